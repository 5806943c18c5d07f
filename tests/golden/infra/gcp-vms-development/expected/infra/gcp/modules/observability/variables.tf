variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "project_id" {
  type        = string
  description = "Project the environment lives in."
}

variable "region" {
  type        = string
  description = "Region of the environment."
}

variable "alarm_emails" {
  type        = list(string)
  description = "Addresses that receive alerts and budget notifications (each confirms by e-mail)."
}

variable "monthly_budget" {
  type        = number
  description = "Monthly budget in US dollars (whole dollars)."
}

variable "log_retention_days" {
  type        = number
  description = "Days application logs are kept."
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days VPC flow, firewall and NAT logs are kept."
}

variable "audit_retention_days" {
  type        = number
  description = "Days audit logs are kept."
}

variable "lock_audit_logs" {
  type        = bool
  description = "Lock the audit log bucket so its retention cannot be shortened (production)."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "forwarding_rule" {
  type        = string
  description = "HTTPS forwarding rule of the load balancer."
}

variable "database_instance" {
  type        = string
  description = "Cloud SQL instance name."
}

variable "cache_instance" {
  type        = string
  description = "Memorystore instance name."
}
