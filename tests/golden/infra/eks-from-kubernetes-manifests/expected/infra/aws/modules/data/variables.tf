variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "kms_key_arn" {
  type        = string
  description = "Key that encrypts every data store."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the database zone."
}

variable "database_subnet_ids" {
  type        = list(string)
  description = "Subnets of the database zone."
}

variable "backup_retention_days" {
  type        = number
  description = "Days automated backups and snapshots are kept."
}

variable "multi_az" {
  type        = bool
  description = "Run a standby in a second zone (database) and fail over automatically (cache, needs two nodes)."
}

variable "database_class" {
  type        = string
  description = "RDS instance class."
}

variable "database_storage_gb" {
  type        = number
  description = "Allocated storage; autoscaling may grow it fourfold."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the database; a final snapshot is kept either way when on."
}
