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
  description = "Region of the services and the image repository."
}

variable "kms_key_id" {
  type        = string
  description = "Key that encrypts images, disks and secrets."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "service_accounts" {
  type        = map(string)
  description = "Service account e-mail of each service."
}

variable "network_id" {
  type        = string
  description = "The VPC."
}

variable "subnet_id" {
  type        = string
  description = "The services subnet."
}

variable "services_tag" {
  type        = string
  description = "Network tag the firewall zones apply to."
}

variable "min_instances" {
  type        = number
  description = "Minimum instances of each service."
}

variable "max_instances" {
  type        = number
  description = "Maximum instances of each service."
}

variable "environment" {
  type        = string
  description = "development, staging or production."
}

variable "image_tag" {
  type        = string
  description = "Image tag every service runs."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the cluster or services (production)."
}

variable "cpu" {
  type        = string
  description = "CPU limit of each instance."
}

variable "memory" {
  type        = string
  description = "Memory limit of each instance."
}
