output "network_id" {
  value = google_compute_network.main.id
}

output "subnet_id" {
  value = google_compute_subnetwork.services.id
}

output "services_tag" {
  description = "Network tag of everything that runs the services; the firewall zones apply to it."
  value       = local.services_tag
}

output "private_zone" {
  value = google_dns_managed_zone.private.name
}

output "private_network" {
  description = "The VPC, once the Private Service Access peering the data stores need exists."
  value       = google_service_networking_connection.private_services.network
}

output "name_servers" {
  description = "Delegate the domain to these name servers."
  value       = google_dns_managed_zone.public.name_servers
}

output "load_balancer_address" {
  value = google_compute_global_address.load_balancer.address
}

output "security_policy" {
  description = "Cloud Armor policy of the public backends."
  value       = google_compute_security_policy.main.name
}

output "certificate" {
  value = google_compute_managed_ssl_certificate.main.name
}

output "ssl_policy" {
  value = google_compute_ssl_policy.main.name
}

output "load_balancer_address_name" {
  value = google_compute_global_address.load_balancer.name
}

output "https_forwarding_rule" {
  description = "The forwarding rule whose 5xx rate is alerted on."
  value       = google_compute_global_forwarding_rule.https.name
}
