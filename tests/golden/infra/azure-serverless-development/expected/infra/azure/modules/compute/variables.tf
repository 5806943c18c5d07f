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

variable "zone_redundant" {
  description = "Spread across every zone with a node or instance in each"
  type        = bool
}

variable "service_ports" {
  description = "Port of each service"
  type        = map(number)
}

variable "image_tag" {
  description = "Image tag the services run"
  type        = string
}

variable "environment" {
  description = "Environment variables of every service"
  type        = map(string)
}

variable "min_tasks" {
  description = "Instances of the plan that always run"
  type        = number
}

variable "max_tasks" {
  description = "Instances of the plan the autoscaler may add up to"
  type        = number
}

variable "function_plan" {
  description = "Elastic Premium plan SKU: EP1, EP2 or EP3"
  type        = string
}

variable "health_check_path" {
  description = "Path App Service probes on each function app"
  type        = string
}

variable "function_app_names" {
  description = "Name of each service's function app, chosen by the network module whose gateway targets it"
  type        = map(string)
}

variable "application_insights_connection_string" {
  description = "Application Insights of the environment"
  type        = string
  sensitive   = true
}

variable "key_name" {
  description = "Name of the vault key that encrypts the host storage"
  type        = string
}

variable "storage_replication" {
  description = "Replication of the functions' host storage account"
  type        = string
}

variable "app_subnet_id" {
  description = "Subnet of the services"
  type        = string
}

variable "service_identities" {
  description = "Managed identity of each service"
  type        = map(object({ id = string, client_id = string, principal_id = string }))
}

variable "encryption_identity_id" {
  description = "Identity allowed to wrap and unwrap with the key"
  type        = string
}

variable "encryption_identity_client_id" {
  description = "Client ID of the same identity"
  type        = string
}

variable "encryption_dependency" {
  description = "The key's role assignments, created before anything encrypts with it"
  type        = list(string)
}

variable "key_vault_id" {
  description = "Key Vault of the environment"
  type        = string
}

variable "key_id" {
  description = "Versionless ID of the vault key that encrypts data at rest"
  type        = string
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the private endpoints"
  type        = string
}

variable "private_dns_zone_ids" {
  description = "Private DNS zone per private-endpoint kind"
  type        = map(string)
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace of the environment"
  type        = string
}

variable "tags" {
  description = "Tags of every resource"
  type        = map(string)
}
