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

variable "cidr" {
  description = "Address space of the VNet; the tiers are carved out of it"
  type        = string
}

variable "zones" {
  description = "Availability zones the zonal resources span"
  type        = list(string)
}

variable "service_ports" {
  description = "Port of each service"
  type        = map(number)
}

variable "data_ports" {
  description = "Ports of the data services, reachable from the app tier only"
  type        = list(number)
}

variable "private_dns_zones" {
  description = "Private DNS zone per private-endpoint kind"
  type        = map(string)
}

variable "key_vault_id" {
  description = "Key Vault the private endpoint connects to the data subnet"
  type        = string
}

variable "audit_storage_account_id" {
  description = "Audit storage account: keeps the VNet flow logs and gets a private endpoint"
  type        = string
}

variable "flow_log_retention_days" {
  description = "Days the flow logs are kept"
  type        = number
}

variable "log_analytics_workspace_id" {
  description = "Resource ID of the Log Analytics workspace for traffic analytics"
  type        = string
}

variable "log_analytics_workspace_guid" {
  description = "Workspace (customer) ID of the same workspace"
  type        = string
}

variable "tags" {
  description = "Tags of every resource"
  type        = map(string)
}

variable "name_suffix" {
  description = "Suffix of globally unique names; with name and the service it names each function app"
  type        = string
}

variable "domain_name" {
  description = "Public DNS zone; each service is served at <service>.<domain>, the default one at the domain"
  type        = string
}

variable "default_service" {
  description = "The service served at the domain itself"
  type        = string
}

variable "gateway_identity_id" {
  description = "Managed identity that reads the TLS certificate from Key Vault"
  type        = string
}

variable "certificate_secret_id" {
  description = "Versionless Key Vault secret ID of the TLS certificate"
  type        = string
}

variable "gateway_min_capacity" {
  description = "Application Gateway instances that always run"
  type        = number
}

variable "backend_protocol" {
  description = "Http to private service addresses, Https to function apps' private endpoints"
  type        = string
}

variable "health_check_path" {
  description = "Path the gateway probes on each service"
  type        = string
}
