output "database_id" {
  value = azurerm_postgresql_flexible_server.main.id
}

output "database_host" {
  value = azurerm_postgresql_flexible_server.main.fqdn
}

output "cache_id" {
  value = azurerm_redis_cache.main.id
}

output "cache_host" {
  value = azurerm_redis_cache.main.hostname
}

output "alerts" {
  value = merge(
    {
      database-cpu = {
        scope       = azurerm_postgresql_flexible_server.main.id
        namespace   = "Microsoft.DBforPostgreSQL/flexibleServers"
        metric      = "cpu_percent"
        aggregation = "Average"
        threshold   = 80
        description = "Database CPU above 80%"
      }
      database-storage = {
        scope       = azurerm_postgresql_flexible_server.main.id
        namespace   = "Microsoft.DBforPostgreSQL/flexibleServers"
        metric      = "storage_percent"
        aggregation = "Average"
        threshold   = 85
        description = "Database storage above 85% (storage grows automatically)"
      }
    },
    {
      cache-load = {
        scope       = azurerm_redis_cache.main.id
        namespace   = "Microsoft.Cache/redis"
        metric      = "serverLoad"
        aggregation = "Average"
        threshold   = 80
        description = "Redis server load above 80%"
      }
    },
  {})
}
