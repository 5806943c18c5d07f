variable "region" {
  type        = string
  description = "AWS region of the environment."
}

variable "environment" {
  type        = string
  description = "development, staging or production."
}

variable "short_name" {
  type        = string
  description = "Short environment name used in resource names."
}

variable "tags" {
  type        = map(string)
  description = "Tags on every resource (the provider adds them); project, environment and cost-center are cost allocation tags."
}

variable "vpc_cidr" {
  type        = string
  description = "The VPC's address range."
}

variable "zones" {
  type        = list(string)
  description = "Availability zones the subnets span, by name."
}

variable "nat_gateways" {
  type        = number
  description = "NAT gateways."
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days flow and WAF logs are kept."
}

variable "log_retention_days" {
  type        = number
  description = "Days application logs are kept."
}

variable "audit_retention_days" {
  type        = number
  description = "Days the audit trail is kept."
}

variable "config_rules" {
  type        = list(string)
  description = "AWS managed Config rules to evaluate."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "image_tag" {
  type        = string
  description = "Image tag the services run; CI overrides it with -var on deploy."
}

variable "task_cpu" {
  type        = number
  description = "Fargate CPU units per task."
}

variable "task_memory" {
  type        = number
  description = "Memory per task in MiB."
}

variable "min_tasks" {
  type        = number
  description = "Tasks per service at the least."
}

variable "on_demand_base" {
  type        = number
  description = "Tasks per service always on on-demand Fargate."
}

variable "interface_endpoints" {
  type        = bool
  description = "Create interface VPC endpoints for AWS APIs."
}

variable "max_tasks" {
  type        = number
  description = "Tasks per service at the most."
}

variable "spot_share" {
  type        = number
  description = "Percent of tasks on Fargate Spot."
}

variable "backup_retention_days" {
  type        = number
  description = "Days backups are kept."
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the database and load balancer from deletion."
}

variable "multi_az" {
  type        = bool
  description = "Run the database with a standby in a second zone."
}

variable "database_class" {
  type        = string
  description = "RDS instance class."
}

variable "database_storage_gb" {
  type        = number
  description = "Database storage in GB."
}

variable "cache_node_type" {
  type        = string
  description = "ElastiCache node type."
}

variable "cache_nodes" {
  type        = number
  description = "Cache nodes."
}

variable "domain_name" {
  type        = string
  description = "Public DNS name of the environment."
}

variable "health_check_path" {
  type        = string
  description = "Path the load balancer checks."
}

variable "alarm_emails" {
  type        = list(string)
  description = "Who receives alarms and budget alerts."
}

variable "monthly_budget" {
  type        = number
  description = "Monthly budget in US dollars for this environment."
}
