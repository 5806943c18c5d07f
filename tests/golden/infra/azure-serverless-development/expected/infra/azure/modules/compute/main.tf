data "azurerm_client_config" "current" {}

locals {
  suffix  = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.name}"), 0, 6)
  compact = substr(replace(var.name, "-", ""), 0, 12)
}

# Premium: private endpoint, zone redundancy, quarantine and retention of untagged manifests.
resource "azurerm_container_registry" "main" {
  name                          = "acr${local.compact}${local.suffix}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = "Premium"
  admin_enabled                 = false
  public_network_access_enabled = false
  anonymous_pull_enabled        = false
  data_endpoint_enabled         = true
  quarantine_policy_enabled     = true
  retention_policy_in_days      = 30
  zone_redundancy_enabled       = true
  network_rule_bypass_option    = "AzureServices"
  tags                          = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.encryption_identity_id]
  }

  encryption {
    key_vault_key_id   = var.key_id
    identity_client_id = var.encryption_identity_client_id
  }

  depends_on = [var.encryption_dependency]
}

resource "azurerm_private_endpoint" "registry" {
  name                = "pe-${var.name}-registry"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "registry"
    private_connection_resource_id = azurerm_container_registry.main.id
    subresource_names              = ["registry"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "registry"
    private_dns_zone_ids = [var.private_dns_zone_ids["registry"]]
  }
}

# Elastic Premium: VNet integration, always-ready instances (no cold start) and zone balancing in production.
resource "azurerm_service_plan" "functions" {
  name                         = "asp-${var.name}"
  location                     = var.location
  resource_group_name          = var.resource_group_name
  os_type                      = "Linux"
  sku_name                     = var.function_plan
  worker_count                 = var.min_tasks
  maximum_elastic_worker_count = var.max_tasks
  zone_balancing_enabled       = var.zone_redundant
  tags                         = var.tags
}

# The functions host's own storage (triggers, leases), reached with each app's identity over private endpoints.
resource "azurerm_storage_account" "functions" {
  name                              = "st${local.compact}fn${local.suffix}"
  location                          = var.location
  resource_group_name               = var.resource_group_name
  account_tier                      = "Standard"
  account_replication_type          = var.storage_replication
  account_kind                      = "StorageV2"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  public_network_access_enabled     = false
  infrastructure_encryption_enabled = true
  local_user_enabled                = false
  tags                              = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.encryption_identity_id]
  }

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices", "Logging", "Metrics"]
  }

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }

  queue_properties {
    logging {
      delete                = true
      read                  = true
      write                 = true
      version               = "1.0"
      retention_policy_days = 30
    }
  }

  sas_policy {
    expiration_period = "00.01:00:00"
  }
}

resource "azurerm_storage_account_customer_managed_key" "functions" {
  storage_account_id        = azurerm_storage_account.functions.id
  key_vault_id              = var.key_vault_id
  key_name                  = var.key_name
  user_assigned_identity_id = var.encryption_identity_id
}

resource "azurerm_private_endpoint" "functions_storage" {
  for_each            = toset(["blob", "queue", "table"])
  name                = "pe-${var.name}-fn-${each.key}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "functions-${each.key}"
    private_connection_resource_id = azurerm_storage_account.functions.id
    subresource_names              = [each.key]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = each.key
    private_dns_zone_ids = [var.private_dns_zone_ids[each.key]]
  }
}

locals {
  host_storage_pairs = setproduct(keys(var.service_identities), ["Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor"])
  host_storage_roles = { for pair in local.host_storage_pairs : join("/", pair) => { principal_id = var.service_identities[pair[0]].principal_id, role = pair[1] } }
}

resource "azurerm_role_assignment" "host_storage" {
  for_each             = local.host_storage_roles
  scope                = azurerm_storage_account.functions.id
  role_definition_name = each.value.role
  principal_id         = each.value.principal_id
}

resource "azurerm_role_assignment" "pull" {
  for_each             = var.service_identities
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = each.value.principal_id
}

resource "azurerm_linux_function_app" "services" {
  for_each                        = var.service_ports
  name                            = var.function_app_names[each.key]
  location                        = var.location
  resource_group_name             = var.resource_group_name
  service_plan_id                 = azurerm_service_plan.functions.id
  storage_account_name            = azurerm_storage_account.functions.name
  storage_uses_managed_identity   = true
  https_only                      = true
  public_network_access_enabled   = false
  virtual_network_subnet_id       = var.app_subnet_id
  key_vault_reference_identity_id = var.service_identities[each.key].id
  functions_extension_version     = "~4"
  tags                            = var.tags

  app_settings = merge(var.environment, {
    AzureWebJobsStorage__credential = "managedidentity"
    AzureWebJobsStorage__clientId   = var.service_identities[each.key].client_id
    AZURE_CLIENT_ID                 = var.service_identities[each.key].client_id
    FUNCTIONS_WORKER_PORT           = tostring(each.value)
  })

  identity {
    type         = "UserAssigned"
    identity_ids = [var.service_identities[each.key].id]
  }

  site_config {
    minimum_tls_version                           = "1.2"
    ftps_state                                    = "Disabled"
    http2_enabled                                 = true
    vnet_route_all_enabled                        = true
    health_check_path                             = var.health_check_path
    health_check_eviction_time_in_min             = 5
    elastic_instance_minimum                      = var.min_tasks
    app_scale_limit                               = var.max_tasks
    container_registry_use_managed_identity       = true
    container_registry_managed_identity_client_id = var.service_identities[each.key].client_id
    application_insights_connection_string        = var.application_insights_connection_string
    ip_restriction_default_action                 = "Deny"
    scm_ip_restriction_default_action             = "Deny"

    application_stack {
      docker {
        registry_url = "https://${azurerm_container_registry.main.login_server}"
        image_name   = each.key
        image_tag    = var.image_tag
      }
    }
  }

  depends_on = [azurerm_role_assignment.host_storage, azurerm_role_assignment.pull]
}

resource "azurerm_private_endpoint" "functions" {
  for_each            = azurerm_linux_function_app.services
  name                = "pe-${var.name}-${each.key}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = each.key
    private_connection_resource_id = each.value.id
    subresource_names              = ["sites"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "sites"
    private_dns_zone_ids = [var.private_dns_zone_ids["sites"]]
  }
}

resource "azurerm_monitor_diagnostic_setting" "functions" {
  for_each                   = azurerm_linux_function_app.services
  name                       = "${var.name}-${each.key}"
  target_resource_id         = each.value.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category = "FunctionAppLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
