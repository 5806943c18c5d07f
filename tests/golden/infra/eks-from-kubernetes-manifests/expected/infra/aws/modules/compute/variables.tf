variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "kubernetes_version" {
  type        = string
  description = "Kubernetes version of the control plane and the nodes."
}

variable "namespace" {
  type        = string
  description = "Namespace of the application's service accounts."
}

variable "node_instance_type" {
  type        = string
  description = "EC2 instance type of the nodes (Graviton)."
}

variable "min_nodes" {
  type        = number
  description = "Nodes at the least, on-demand and Spot together."
}

variable "max_nodes" {
  type        = number
  description = "Nodes at the most, on-demand and Spot together."
}

variable "spot_share" {
  type        = number
  description = "Percent of the nodes that run on Spot."
}

variable "log_retention_days" {
  type        = number
  description = "Days the control-plane and Container Insights logs are kept."
}

variable "kms_key_arn" {
  type        = string
  description = "Key for images, logs and Kubernetes secrets."
}

variable "secret_arns" {
  type        = list(string)
  description = "Secrets the services' pods may read."
}

variable "vpc_id" {
  type        = string
  description = "The VPC of the cluster."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets of the nodes and the control plane's interfaces."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the services zone, given to the nodes."
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
  description = "ElastiCache user group the pods authenticate to with IAM, or null."
  default     = null
}

variable "cache_arn" {
  type        = string
  description = "ElastiCache replication group, or null."
  default     = null
}

variable "target_group_arns" {
  type        = map(string)
  description = "Load balancer target group of each service; the controller registers the pods in them."
}
