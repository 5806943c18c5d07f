output "function_app_ids" {
  value = { for name, app in azurerm_linux_function_app.services : name => app.id }
}

output "registry_login_server" {
  value = azurerm_container_registry.main.login_server
}

output "alerts" {
  value = { for name, app in azurerm_linux_function_app.services : "${name}-5xx" => {
    scope       = app.id
    namespace   = "Microsoft.Web/sites"
    metric      = "Http5xx"
    aggregation = "Total"
    threshold   = 10
    description = "${name} answered more than 10 server errors in 15 minutes"
  } }
}
