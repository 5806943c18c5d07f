variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "audit_retention_days" {
  type        = number
  description = "Days the audit trail, Config history and access logs are kept."
}

variable "config_rules" {
  type        = list(string)
  description = "AWS managed Config rule identifiers to evaluate."
}
