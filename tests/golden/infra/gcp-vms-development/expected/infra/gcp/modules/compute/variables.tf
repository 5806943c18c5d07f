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

variable "labels" {
  type        = map(string)
  description = "Cost allocation labels."
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

variable "zone_count" {
  type        = number
  description = "Zones the nodes or instances are spread over."
}

variable "machine_type" {
  type        = string
  description = "Machine type of the nodes or instances."
}

variable "spot" {
  type        = bool
  description = "Run on Spot VMs (development and staging)."
}

variable "disk_size_gb" {
  type        = number
  description = "Boot disk size of every instance."
}

variable "health_check_path" {
  type        = string
  description = "HTTP path the health checks request."
}
