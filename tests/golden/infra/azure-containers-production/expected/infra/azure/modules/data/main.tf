data "azurerm_client_config" "current" {}

locals {
  suffix  = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.name}"), 0, 6)
  compact = substr(replace(var.name, "-", ""), 0, 12)
}

# PostgreSQL Flexible Server: Entra ID sign-in, the vault's key, private endpoint only.
resource "azurerm_postgresql_flexible_server" "main" {
  name                          = "psql-${var.name}-${local.suffix}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  version                       = "16"
  sku_name                      = var.database_sku
  backup_retention_days         = var.backup_retention_days
  geo_redundant_backup_enabled  = var.geo_redundant_backup
  public_network_access_enabled = false
  tags                          = var.tags

  storage {
    storage_mb        = var.database_storage_gb * 1024
    auto_grow_enabled = true
  }

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [var.encryption_identity_id]
  }

  # The vault's key, except with geo-redundant backup: Azure then needs a second key in a vault of the paired region,
  # so production's backups use service-managed keys (docs/compliance.md lists this).
  dynamic "customer_managed_key" {
    for_each = var.geo_redundant_backup ? [] : [1]
    content {
      key_vault_key_id                  = var.key_id
      primary_user_assigned_identity_id = var.encryption_identity_id
    }
  }

  dynamic "high_availability" {
    for_each = var.zone_redundant ? [1] : []
    content {
      mode = "ZoneRedundant"
    }
  }

  lifecycle {
    ignore_changes = [zone, high_availability[0].standby_availability_zone] # Azure moves them on failover
  }

  depends_on = [var.encryption_dependency]
}

# Whoever runs Terraform administers the server through Entra ID and creates the services' roles.
resource "azurerm_postgresql_flexible_server_active_directory_administrator" "deployer" {
  server_name         = azurerm_postgresql_flexible_server.main.name
  resource_group_name = var.resource_group_name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  object_id           = data.azurerm_client_config.current.object_id
  principal_name      = var.database_admin_name
  principal_type      = var.database_admin_type
}

resource "azurerm_postgresql_flexible_server_configuration" "tls" {
  name      = "require_secure_transport"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = "on"
}

resource "azurerm_postgresql_flexible_server_configuration" "tls_version" {
  name      = "ssl_min_protocol_version"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = "TLSv1.2"
}

resource "azurerm_postgresql_flexible_server_configuration" "log_connections" {
  name      = "log_connections"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = "on"
}

resource "azurerm_postgresql_flexible_server_configuration" "log_disconnections" {
  name      = "log_disconnections"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = "on"
}

resource "azurerm_postgresql_flexible_server_configuration" "log_checkpoints" {
  name      = "log_checkpoints"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = "on"
}

resource "azurerm_postgresql_flexible_server_configuration" "connection_throttle" {
  name      = "connection_throttle.enable"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = "on"
}

resource "azurerm_postgresql_flexible_server_database" "app" {
  name      = "app"
  server_id = azurerm_postgresql_flexible_server.main.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

resource "azurerm_management_lock" "database" {
  count      = var.deletion_protection ? 1 : 0
  name       = "${var.name}-database"
  scope      = azurerm_postgresql_flexible_server.main.id
  lock_level = "CanNotDelete"
  notes      = "Production database: remove this lock deliberately before deleting the server."
}

resource "azurerm_private_endpoint" "database" {
  name                = "pe-${var.name}-database"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "database"
    private_connection_resource_id = azurerm_postgresql_flexible_server.main.id
    subresource_names              = ["postgresqlServer"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "database"
    private_dns_zone_ids = [var.private_dns_zone_ids["database"]]
  }
}

# Azure Cache for Redis: TLS 1.2 only, no non-TLS port, Entra ID sign-in instead of access keys, private endpoint.
locals {
  cache_sku = split("_", var.cache_sku)
}

resource "azurerm_redis_cache" "main" {
  name                               = "redis-${var.name}-${local.suffix}"
  location                           = var.location
  resource_group_name                = var.resource_group_name
  sku_name                           = local.cache_sku[0]
  family                             = substr(local.cache_sku[1], 0, 1)
  capacity                           = tonumber(substr(local.cache_sku[1], 1, -1))
  replicas_per_primary               = local.cache_sku[0] == "Premium" ? max(var.cache_nodes - 1, 1) : null
  zones                              = local.cache_sku[0] == "Premium" && var.zone_redundant ? var.zones : null
  non_ssl_port_enabled               = false
  minimum_tls_version                = "1.2"
  public_network_access_enabled      = false
  access_keys_authentication_enabled = false
  tags                               = var.tags

  redis_configuration {
    active_directory_authentication_enabled = true
  }
}

resource "azurerm_redis_cache_access_policy_assignment" "services" {
  for_each           = var.service_principals
  name               = each.key
  redis_cache_id     = azurerm_redis_cache.main.id
  access_policy_name = "Data Contributor"
  object_id          = each.value
  object_id_alias    = each.key
}

resource "azurerm_private_endpoint" "cache" {
  name                = "pe-${var.name}-cache"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "cache"
    private_connection_resource_id = azurerm_redis_cache.main.id
    subresource_names              = ["redisCache"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "cache"
    private_dns_zone_ids = [var.private_dns_zone_ids["cache"]]
  }
}
