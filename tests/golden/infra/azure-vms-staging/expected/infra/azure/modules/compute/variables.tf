variable "name" {
  description = "Prefix of every resource name: project and environment"
  type        = string
}

variable "location" {
  description = "Azure region"
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the environment"
  type        = string
}

variable "zones" {
  description = "Availability zones the services span"
  type        = list(string)
}

variable "zone_redundant" {
  description = "Spread across every zone with a node or instance in each"
  type        = bool
}

variable "service_ports" {
  description = "Port of each service"
  type        = map(number)
}

variable "image_tag" {
  description = "Image tag the services run"
  type        = string
}

variable "environment" {
  description = "Environment variables of every service"
  type        = map(string)
}

variable "min_tasks" {
  description = "Instances per service that always run"
  type        = number
}

variable "max_tasks" {
  description = "Instances per service the autoscaler may add up to"
  type        = number
}

variable "instance_type" {
  description = "VM size of the instances"
  type        = string
}

variable "spot_share" {
  description = "Percent of instances per service above the on-demand base that run on Spot; 0 runs none"
  type        = number
}

variable "disk_encryption_set_id" {
  description = "Disk encryption set with the vault key"
  type        = string
}

variable "app_subnet_id" {
  description = "Subnet of the services"
  type        = string
}

variable "ssh_public_key" {
  description = "Public key of the instances' admin user; passwords are disabled"
  type        = string
}

variable "health_check_path" {
  description = "Path the health extension and the gateway probe"
  type        = string
}

variable "backend_pool_ids" {
  description = "Application Gateway backend pool of each service"
  type        = map(string)
}

variable "service_identities" {
  description = "Managed identity of each service"
  type        = map(object({ id = string, client_id = string, principal_id = string }))
}

variable "encryption_identity_id" {
  description = "Identity allowed to wrap and unwrap with the key"
  type        = string
}

variable "encryption_identity_client_id" {
  description = "Client ID of the same identity"
  type        = string
}

variable "encryption_dependency" {
  description = "The key's role assignments, created before anything encrypts with it"
  type        = list(string)
}

variable "key_id" {
  description = "Versionless ID of the vault key that encrypts data at rest"
  type        = string
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the private endpoints"
  type        = string
}

variable "private_dns_zone_ids" {
  description = "Private DNS zone per private-endpoint kind"
  type        = map(string)
}

variable "tags" {
  description = "Tags of every resource"
  type        = map(string)
}
