variable "name" {
  type        = string
  description = "Prefix of every resource name."
}

variable "region" {
  type        = string
  description = "Region of the key ring and the secret's replica."
}

variable "apis" {
  type        = list(string)
  description = "APIs the modules use."
}

variable "agent_apis" {
  type        = list(string)
  description = "APIs whose service agents use the key."
}

variable "service_ports" {
  type        = map(number)
  description = "Port of each service, by service name."
}

variable "service_roles" {
  type        = list(string)
  description = "Project roles every service account holds (logs, metrics, traces)."
}
