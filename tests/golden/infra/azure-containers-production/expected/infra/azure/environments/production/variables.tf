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

variable "instance_type" {
  description = "VM size of the nodes or instances"
  type        = string
}

variable "spot_share" {
  description = "Percent above the on-demand base on Spot"
  type        = number
}

variable "on_demand_base" {
  description = "Always on regular capacity"
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

variable "cluster_sku_tier" {
  description = "AKS tier: Standard has the uptime SLA"
  type        = string
}

variable "backup_retention_days" {
  description = "Days of database restore and of deleted blobs"
  type        = number
}

variable "deletion_protection" {
  description = "A delete lock on the database"
  type        = bool
}

variable "geo_redundant_backup" {
  description = "Copy database backups to the paired region"
  type        = bool
}

variable "database_sku" {
  description = "Flexible Server SKU"
  type        = string
}

variable "database_storage_gb" {
  description = "Database storage"
  type        = number
}

variable "database_admin_name" {
  description = "Entra ID name of the principal that runs Terraform"
  type        = string
}

variable "database_admin_type" {
  description = "ServicePrincipal, User or Group"
  type        = string
}

variable "cache_sku" {
  description = "Redis tier and size"
  type        = string
}

variable "cache_nodes" {
  description = "Redis nodes per shard (Premium)"
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
