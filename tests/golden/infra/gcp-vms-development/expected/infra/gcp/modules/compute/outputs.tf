output "registry" {
  description = "Push images here as <registry>/<service>:<tag>."
  value       = local.registry
}

output "instance_groups" {
  value = { for name, manager in google_compute_region_instance_group_manager.service : name => manager.instance_group }
}

output "health_checks" {
  value = { for name, check in google_compute_health_check.service : name => check.id }
}
