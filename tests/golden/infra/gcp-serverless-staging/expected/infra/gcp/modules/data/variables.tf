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
  description = "Region of the data stores."
}

variable "labels" {
  type        = map(string)
  description = "Cost allocation labels."
}

variable "kms_key_id" {
  type        = string
  description = "Key that encrypts every data store."
}

variable "service_accounts" {
  type        = map(string)
  description = "Service account e-mail of each service; each gets access to the data stores."
}

variable "private_network" {
  type        = string
  description = "The VPC with its Private Service Access peering."
}

variable "private_zone" {
  type        = string
  description = "Private DNS zone for the data stores' names."
}

variable "database_tier" {
  type        = string
  description = "Cloud SQL machine tier."
}

variable "availability_type" {
  type        = string
  description = "REGIONAL (a standby in another zone) or ZONAL."
}

variable "database_storage_gb" {
  type        = number
  description = "Initial database storage; it grows automatically."
}

variable "backup_retention_days" {
  type        = number
  description = "Daily backups kept."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the database (production)."
}

variable "cache_tier" {
  type        = string
  description = "BASIC or STANDARD_HA (a replica with automatic failover)."
}

variable "cache_memory_gb" {
  type        = number
  description = "Redis memory."
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days replaced object versions are kept."
}

variable "access_log_days" {
  type        = number
  description = "Days bucket usage logs are kept."
}

variable "queues" {
  type        = list(string)
  description = "Queue names; each becomes a topic, a subscription and a dead-letter pair."
}

variable "project_number" {
  type        = string
  description = "Project number, which names the Pub/Sub service agent."
}
