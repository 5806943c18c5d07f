output "registry" {
  description = "Push images here as <registry>/<service>:<tag>."
  value       = local.registry
}

output "cluster_name" {
  value = google_container_cluster.main.name
}
