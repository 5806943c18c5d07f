variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "cidr" {
  type        = string
  description = "The VPC's address range."
}

variable "zones" {
  type        = list(string)
  description = "Availability zones the subnets span, by name."
}

variable "nat_gateways" {
  type        = number
  description = "NAT gateways: one per zone for zone independence, one to save cost."
}

variable "interface_endpoints" {
  type        = bool
  description = "Reach AWS APIs through interface endpoints (private, billed per zone-hour) instead of NAT."
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days flow and WAF logs are kept."
}

variable "kms_key_arn" {
  type        = string
  description = "Key that encrypts the log groups."
}

variable "data_ports" {
  type        = list(number)
  description = "Ports of the data tier the services may reach."
}

variable "domain_name" {
  type        = string
  description = "Public DNS name of the application; the zone is created for it."
}
