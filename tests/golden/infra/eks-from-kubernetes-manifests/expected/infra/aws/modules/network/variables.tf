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

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "data_ports" {
  type        = list(number)
  description = "Ports of the data tier the services may reach."
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the load balancer from deletion."
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket that receives the load balancer's access logs."
}

variable "domain_name" {
  type        = string
  description = "Public DNS name of the application; the zone is created for it."
}

variable "default_service" {
  type        = string
  description = "Service that answers on the bare domain; the others answer on <service>.<domain>."
}

variable "target_type" {
  type        = string
  description = "ip for Fargate tasks, instance for EC2."
}

variable "health_check_path" {
  type        = string
  description = "Path the load balancer checks on every service."
}
