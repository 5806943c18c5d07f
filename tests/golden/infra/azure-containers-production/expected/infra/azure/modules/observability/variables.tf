variable "name" {
  description = "Prefix of every resource name: project and environment"
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the environment"
  type        = string
}

variable "resource_group_id" {
  description = "The same resource group's ID, the scope of the budget"
  type        = string
}

variable "alarm_emails" {
  description = "Addresses the action group mails"
  type        = list(string)
}

variable "monthly_budget" {
  description = "Monthly budget of the resource group in US dollars"
  type        = number
}

variable "alerts" {
  description = "Metric alerts: resource, metric and the threshold above which it fires"
  type = map(object({
    scope       = string
    namespace   = string
    metric      = string
    aggregation = string
    threshold   = number
    description = string
  }))
}

variable "tags" {
  description = "Tags of every resource"
  type        = map(string)
}
