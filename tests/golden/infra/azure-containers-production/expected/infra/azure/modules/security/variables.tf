variable "name" {
  description = "Prefix of every resource name: project and environment"
  type        = string
}

variable "location" {
  description = "Azure region"
  type        = string
}

variable "log_retention_days" {
  description = "Days logs are kept in the Log Analytics workspace"
  type        = number
}

variable "services" {
  description = "Services that each get a managed identity"
  type        = list(string)
}

variable "platform_identities" {
  description = "Identities of the platform: encryption at rest, the cluster or scale sets, the gateway"
  type        = list(string)
}

variable "admin_ip_ranges" {
  description = "Addresses that may reach the Key Vault data plane, such as the Terraform runner's"
  type        = list(string)
}

variable "storage_replication" {
  description = "Replication of the audit storage account"
  type        = string
}

variable "audit_retention_days" {
  description = "Days audit logs are kept"
  type        = number
}

variable "defender_plans" {
  description = "Defender for Cloud plans enabled on the subscription"
  type        = list(string)
}

variable "security_contact_email" {
  description = "Who Defender for Cloud alerts"
  type        = string
}

variable "tags" {
  description = "Tags of every resource"
  type        = map(string)
}

variable "domain_name" {
  description = "Domain of the public TLS certificate"
  type        = string
}

variable "certificate_issuer" {
  description = "Key Vault certificate issuer: Self, or the name of a CA issuer configured in the vault"
  type        = string
}
