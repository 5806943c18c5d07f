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

variable "instance_type" {
  type        = string
  description = "EC2 instance type of every service's instances (Graviton)."
}

variable "min_tasks" {
  type        = number
  description = "Instances per service at the least."
}

variable "on_demand_base" {
  type        = number
  description = "Instances per service that always run on demand, whatever the Spot share."
}

variable "max_tasks" {
  type        = number
  description = "Instances per service at the most."
}

variable "spot_share" {
  type        = number
  description = "Percent of the instances above the on-demand base that run on Spot."
}

variable "log_retention_days" {
  type        = number
  description = "Days service logs are kept."
}

variable "kms_key_arn" {
  type        = string
  description = "Key for images, logs and secrets."
}

variable "secret_arns" {
  type        = list(string)
  description = "Secrets the tasks receive; the first is the application's own secret."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets the tasks run in."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the services zone."
}

variable "target_group_arns" {
  type        = map(string)
  description = "Load balancer target group of each service; null when nothing is public."
  default     = null
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
  description = "ElastiCache user group the tasks authenticate to with IAM, or null."
  default     = null
}

variable "cache_arn" {
  type        = string
  description = "ElastiCache replication group, or null."
  default     = null
}
