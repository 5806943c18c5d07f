variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "kms_key_arn" {
  type        = string
  description = "Key that encrypts the alarm topic."
}

variable "alarm_emails" {
  type        = list(string)
  description = "Addresses subscribed to alarms and budget alerts (each confirms by email)."
}

variable "monthly_budget" {
  type        = number
  description = "Monthly budget in US dollars."
}

variable "metric_namespace" {
  type        = string
  description = "CloudWatch namespace of the services' metrics (AWS/ECS, ContainerInsights or AWS/EC2)."
}

variable "service_dimensions" {
  type        = map(map(string))
  description = "CloudWatch dimensions of each service's metrics."
}

variable "load_balancer_arn_suffix" {
  type        = string
  description = "The load balancer's CloudWatch dimension."
}

variable "database_identifier" {
  type        = string
  description = "RDS instance identifier."
}
