output "registry" {
  description = "Push images here as <registry>/<service>:<tag>."
  value       = local.registry
}

output "service_names" {
  value = { for name, service in google_cloud_run_v2_service.service : name => service.name }
}
