variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "image_tag" {
  type        = string
  description = "Image tag every service runs; CI sets it on deploy."
}

variable "environment" {
  type        = map(string)
  description = "Plain environment variables of every service."
}

variable "function_memory" {
  type        = number
  description = "Memory of each function in MB; Lambda gives CPU in proportion."
}

variable "reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and the most allowed to) each function."
}

variable "provisioned_concurrency" {
  type        = number
  description = "Warm instances kept ready per function; 0 for none."
}

variable "log_retention_days" {
  type        = number
  description = "Days service logs are kept."
}

variable "kms_key_arn" {
  type        = string
  description = "Key for images, logs, environment variables and secrets."
}

variable "secret_arns" {
  type        = list(string)
  description = "Secrets the functions read; the first is the application's own secret."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets the functions' network interfaces are placed in."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the services zone."
}

variable "bucket_arn" {
  type        = string
  description = "The application's bucket, or null."
  default     = null
}

variable "queue_arns" {
  type        = list(string)
  description = "The application's queues."
  default     = []
}

variable "cache_user_group_arn" {
  type        = string
  description = "ElastiCache user group the functions authenticate to with IAM, or null."
  default     = null
}

variable "cache_arn" {
  type        = string
  description = "ElastiCache replication group, or null."
  default     = null
}

variable "api_rate_limit" {
  type        = number
  description = "Steady requests per second each API accepts before throttling."
}

variable "api_burst_limit" {
  type        = number
  description = "Burst of requests each API accepts above the steady rate."
}

variable "domain_name" {
  type        = string
  description = "Public DNS name of the application."
}

variable "default_service" {
  type        = string
  description = "Service that answers on the bare domain; the others answer on <service>.<domain>."
}

variable "zone_id" {
  type        = string
  description = "Public hosted zone of the domain."
}

variable "certificate_arn" {
  type        = string
  description = "Validated certificate for the domain and its subdomains."
}
