output "scale_set_ids" {
  value = { for name, scale_set in azurerm_linux_virtual_machine_scale_set.services : name => scale_set.id }
}

output "registry_login_server" {
  value = azurerm_container_registry.main.login_server
}

output "alerts" {
  value = { for name, scale_set in azurerm_linux_virtual_machine_scale_set.services : "${name}-cpu" => {
    scope       = scale_set.id
    namespace   = "Microsoft.Compute/virtualMachineScaleSets"
    metric      = "Percentage CPU"
    aggregation = "Average"
    threshold   = 85
    description = "${name} instances above 85% CPU: autoscaling is at its maximum"
  } }
}
