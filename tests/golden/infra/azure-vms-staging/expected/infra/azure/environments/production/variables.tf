variable "location" {
  description = "Azure region"
  type        = string
}

variable "environment" {
  description = "Environment name, added to every resource's tags"
  type        = string
}

variable "short_name" {
  description = "Short environment name in resource names"
  type        = string
}

variable "vnet_cidr" {
  description = "Address space of the VNet"
  type        = string
}

variable "zones" {
  description = "Availability zones"
  type        = list(string)
}

variable "zone_redundant" {
  description = "Zone-redundant database, cache, registry and plans"
  type        = bool
}

variable "flow_log_retention_days" {
  description = "Days VNet flow logs are kept"
  type        = number
}

variable "log_retention_days" {
  description = "Days logs are kept in Log Analytics"
  type        = number
}

variable "audit_retention_days" {
  description = "Days the activity log is kept"
  type        = number
}

variable "image_tag" {
  description = "Image tag the services run"
  type        = string
}

variable "instance_type" {
  description = "VM size of the nodes or instances"
  type        = string
}

variable "spot_share" {
  description = "Percent above the on-demand base on Spot"
  type        = number
}

variable "min_tasks" {
  description = "Minimum nodes or instances"
  type        = number
}

variable "max_tasks" {
  description = "Maximum nodes or instances"
  type        = number
}

variable "storage_replication" {
  description = "Replication of the storage accounts"
  type        = string
}

variable "domain_name" {
  description = "Public DNS zone of the services"
  type        = string
}

variable "certificate_issuer" {
  description = "Key Vault issuer of the TLS certificate"
  type        = string
}

variable "health_check_path" {
  description = "Path the health probes request"
  type        = string
}

variable "admin_ip_ranges" {
  description = "Addresses allowed through the Key Vault firewall"
  type        = list(string)
}

variable "alarm_emails" {
  description = "Addresses the alerts and budget mail"
  type        = list(string)
}

variable "security_contact_email" {
  description = "Who Defender for Cloud alerts"
  type        = string
}

variable "monthly_budget" {
  description = "Monthly budget in US dollars"
  type        = number
}

variable "private_dns_zones" {
  description = "Private DNS zone per endpoint kind"
  type        = map(string)
}

variable "service_ports" {
  description = "Port of each service"
  type        = map(number)
}

variable "tags" {
  description = "Tags of every resource (cost allocation)"
  type        = map(string)
}

variable "ssh_public_key" {
  description = "Public key of the instances' admin user (TF_VAR_ssh_public_key)"
  type        = string
}
