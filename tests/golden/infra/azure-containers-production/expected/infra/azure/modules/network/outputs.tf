output "vnet_id" {
  value = azurerm_virtual_network.main.id
}

output "app_subnet_id" {
  value = azurerm_subnet.app.id
}

output "backend_addresses" {
  description = "The address each service's gateway backend pool targets"
  value       = local.backend_addresses
}

output "data_subnet_id" {
  value = azurerm_subnet.data.id
}

output "private_dns_zone_ids" {
  value = { for key, zone in azurerm_private_dns_zone.private : key => zone.id }
}

output "application_gateway_id" {
  value = azurerm_application_gateway.main.id
}

output "backend_pool_ids" {
  value = { for pool in azurerm_application_gateway.main.backend_address_pool : pool.name => pool.id }
}

output "name_servers" {
  value = azurerm_dns_zone.public.name_servers
}

output "alerts" {
  value = {
    gateway-unhealthy = {
      scope       = azurerm_application_gateway.main.id
      namespace   = "Microsoft.Network/applicationGateways"
      metric      = "UnhealthyHostCount"
      aggregation = "Average"
      threshold   = 0
      description = "The gateway has backends failing their health probe"
    }
    gateway-failed = {
      scope       = azurerm_application_gateway.main.id
      namespace   = "Microsoft.Network/applicationGateways"
      metric      = "FailedRequests"
      aggregation = "Total"
      threshold   = 50
      description = "More than 50 requests failed at the gateway in 15 minutes"
    }
  }
}
