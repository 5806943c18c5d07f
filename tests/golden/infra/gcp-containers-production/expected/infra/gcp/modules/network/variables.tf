variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "region" {
  type        = string
  description = "Region of the subnet, router and NAT."
}

variable "cidr" {
  type        = string
  description = "The VPC's address range; the subnet, secondary ranges and the private services range are cut from it."
}

variable "nat_addresses" {
  type        = number
  description = "Static external addresses Cloud NAT sends the services' outbound traffic from."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "internal_ranges" {
  type        = list(string)
  description = "Other internal ranges the services reach (the GKE control plane)."
}

variable "google_front_end_ranges" {
  type        = list(string)
  description = "Source ranges of Google's load balancer proxies and health checks."
}

variable "data_ports" {
  type        = list(number)
  description = "Ports of the data stores the services reach."
}

variable "domain_name" {
  type        = string
  description = "Public domain; each service answers at <service>.<domain>, the default service at the domain."
}
