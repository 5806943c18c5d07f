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
  description = "Minimum nodes of the pool."
}

variable "max_instances" {
  type        = number
  description = "Maximum nodes of the pool."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the cluster or services (production)."
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

variable "release_channel" {
  type        = string
  description = "GKE release channel."
}

variable "control_plane_cidr" {
  type        = string
  description = "The /28 range of the private control plane."
}

variable "authorized_networks" {
  type        = list(string)
  description = "Ranges that may reach the control plane."
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the services' service accounts."
}

variable "node_roles" {
  type        = list(string)
  description = "Project roles of the node service account."
}
