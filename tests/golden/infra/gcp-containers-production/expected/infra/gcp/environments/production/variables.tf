variable "project_id" {
  type        = string
  description = "Project of the environment (one project per environment)."
}

variable "region" {
  type        = string
  description = "Region of the environment."
}

variable "environment" {
  type        = string
  description = "development, staging or production."
}

variable "short_name" {
  type        = string
  description = "Short environment name used in resource names."
}

variable "labels" {
  type        = map(string)
  description = "Labels on every resource (the provider adds them); project, environment and cost-center allocate the bill."
}

variable "cidr" {
  type        = string
  description = "The VPC's address range."
}

variable "nat_addresses" {
  type        = number
  description = "Static external addresses of Cloud NAT."
}

variable "zone_count" {
  type        = number
  description = "Zones the nodes or instances are spread over."
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days VPC flow, firewall and NAT logs are kept."
}

variable "log_retention_days" {
  type        = number
  description = "Days application logs are kept."
}

variable "audit_retention_days" {
  type        = number
  description = "Days audit logs are kept."
}

variable "machine_type" {
  type        = string
  description = "Machine type of the GKE nodes or the VMs."
}

variable "spot" {
  type        = bool
  description = "Run the nodes or VMs on Spot VMs."
}

variable "min_instances" {
  type        = number
  description = "Minimum nodes (GKE) or instances per service."
}

variable "max_instances" {
  type        = number
  description = "Maximum nodes (GKE) or instances per service."
}

variable "release_channel" {
  type        = string
  description = "GKE release channel."
}

variable "control_plane_cidr" {
  type        = string
  description = "The /28 range of the private GKE control plane."
}

variable "authorized_networks" {
  type        = list(string)
  description = "Ranges that may reach the GKE control plane (add your office or CI ranges)."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the database, cluster, services and audit logs."
}

variable "backup_retention_days" {
  type        = number
  description = "Daily database backups kept; days old object versions are kept."
}

variable "database_tier" {
  type        = string
  description = "Cloud SQL machine tier."
}

variable "availability_type" {
  type        = string
  description = "REGIONAL (standby in another zone) or ZONAL."
}

variable "database_storage_gb" {
  type        = number
  description = "Initial database storage."
}

variable "cache_tier" {
  type        = string
  description = "BASIC or STANDARD_HA."
}

variable "cache_memory_gb" {
  type        = number
  description = "Redis memory."
}

variable "domain_name" {
  type        = string
  description = "Public domain of the services."
}

variable "alarm_emails" {
  type        = list(string)
  description = "Addresses that receive alerts and budget notifications."
}

variable "monthly_budget" {
  type        = number
  description = "Monthly budget in whole US dollars."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}
