variable "name" {
  description = "Prefix of every resource name: project and environment"
  type        = string
}

variable "location" {
  description = "Azure region"
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the environment"
  type        = string
}

variable "zones" {
  description = "Availability zones the zonal resources span"
  type        = list(string)
}

variable "zone_redundant" {
  description = "Zone-redundant high availability for the database and cache"
  type        = bool
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the private endpoints"
  type        = string
}

variable "private_dns_zone_ids" {
  description = "Private DNS zone per private-endpoint kind"
  type        = map(string)
}

variable "key_id" {
  description = "Versionless ID of the vault key that encrypts data at rest"
  type        = string
}

variable "encryption_identity_id" {
  description = "Identity allowed to wrap and unwrap with the key"
  type        = string
}

variable "encryption_dependency" {
  description = "The key's role assignments, created before anything encrypts with it"
  type        = list(string)
}

variable "service_principals" {
  description = "Principal ID of each service's managed identity, granted access to the data stores"
  type        = map(string)
}

variable "tags" {
  description = "Tags of every resource"
  type        = map(string)
}

variable "database_sku" {
  description = "Flexible Server SKU"
  type        = string
}

variable "database_storage_gb" {
  description = "Storage of the database server"
  type        = number
}

variable "backup_retention_days" {
  description = "Days of point-in-time restore"
  type        = number
}

variable "geo_redundant_backup" {
  description = "Copy backups to the paired region"
  type        = bool
}

variable "deletion_protection" {
  description = "Lock the database server against deletion"
  type        = bool
}

variable "database_admin_name" {
  description = "Entra ID name of the principal that runs Terraform, made the server's administrator"
  type        = string
}

variable "database_admin_type" {
  description = "ServicePrincipal, User or Group"
  type        = string
}

variable "cache_sku" {
  description = "Redis tier and size: Basic_C0, Standard_C1, Premium_P1..."
  type        = string
}

variable "cache_nodes" {
  description = "Nodes per shard (Premium: the primary and its replicas)"
  type        = number
}
