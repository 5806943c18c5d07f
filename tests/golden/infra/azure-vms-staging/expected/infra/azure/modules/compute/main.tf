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

locals {
  # A Uniform scale set is all Spot or all regular: any Spot share makes development and staging Spot.
  spot = var.spot_share > 0
}

resource "azurerm_role_assignment" "pull" {
  for_each             = var.service_identities
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = each.value.principal_id
}

resource "azurerm_linux_virtual_machine_scale_set" "services" {
  for_each                        = var.service_ports
  name                            = "vmss-${var.name}-${each.key}"
  location                        = var.location
  resource_group_name             = var.resource_group_name
  sku                             = var.instance_type
  instances                       = var.min_tasks
  zones                           = var.zones
  zone_balance                    = var.zone_redundant
  admin_username                  = "azureuser"
  disable_password_authentication = true
  encryption_at_host_enabled      = true
  upgrade_mode                    = "Rolling"
  provision_vm_agent              = true
  priority                        = local.spot ? "Spot" : "Regular"
  eviction_policy                 = local.spot ? "Delete" : null
  max_bid_price                   = local.spot ? -1 : null
  tags                            = var.tags

  # Installs Docker and the Azure CLI, signs in with the service's identity and runs the service's image.
  custom_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    apt-get update && apt-get install -y docker.io
    curl -sL https://aka.ms/InstallAzureCLIDeb | bash
    az login --identity --client-id ${var.service_identities[each.key].client_id}
    az acr login --name ${azurerm_container_registry.main.name}
    docker run -d --restart always --name ${each.key} -p ${each.value}:${each.value} \
      ${join(" ", [for key, value in var.environment : "-e ${key}=${value}"])} \
      ${azurerm_container_registry.main.login_server}/${each.key}:${var.image_tag}
  EOT
  )

  admin_ssh_key {
    username   = "azureuser"
    public_key = var.ssh_public_key
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server-arm64"
    version   = "latest"
  }

  os_disk {
    caching                = "ReadWrite"
    storage_account_type   = "Premium_LRS"
    disk_encryption_set_id = var.disk_encryption_set_id
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [var.service_identities[each.key].id]
  }

  network_interface {
    name    = "nic"
    primary = true

    ip_configuration {
      name                                         = "internal"
      primary                                      = true
      subnet_id                                    = var.app_subnet_id
      application_gateway_backend_address_pool_ids = contains(keys(var.backend_pool_ids), each.key) ? [var.backend_pool_ids[each.key]] : []
    }
  }

  extension {
    name                       = "health"
    publisher                  = "Microsoft.ManagedServices"
    type                       = "ApplicationHealthLinux"
    type_handler_version       = "2.0"
    auto_upgrade_minor_version = true
    settings = jsonencode({
      protocol    = "http"
      port        = each.value
      requestPath = var.health_check_path
    })
  }

  automatic_instance_repair {
    enabled      = true
    grace_period = "PT10M"
  }

  automatic_os_upgrade_policy {
    enable_automatic_os_upgrade = true
    disable_automatic_rollback  = false
  }

  rolling_upgrade_policy {
    max_batch_instance_percent              = 34
    max_unhealthy_instance_percent          = 34
    max_unhealthy_upgraded_instance_percent = 34
    pause_time_between_batches              = "PT1M"
  }

  boot_diagnostics {}

  lifecycle {
    ignore_changes = [instances] # the autoscale setting owns the count
  }
}

resource "azurerm_monitor_autoscale_setting" "services" {
  for_each            = azurerm_linux_virtual_machine_scale_set.services
  name                = "autoscale-${var.name}-${each.key}"
  location            = var.location
  resource_group_name = var.resource_group_name
  target_resource_id  = each.value.id
  tags                = var.tags

  profile {
    name = "cpu"

    capacity {
      default = var.min_tasks
      minimum = var.min_tasks
      maximum = var.max_tasks
    }

    rule {
      metric_trigger {
        metric_name        = "Percentage CPU"
        metric_resource_id = each.value.id
        time_grain         = "PT1M"
        statistic          = "Average"
        time_window        = "PT5M"
        time_aggregation   = "Average"
        operator           = "GreaterThan"
        threshold          = 60
      }
      scale_action {
        direction = "Increase"
        type      = "ChangeCount"
        value     = 1
        cooldown  = "PT5M"
      }
    }

    rule {
      metric_trigger {
        metric_name        = "Percentage CPU"
        metric_resource_id = each.value.id
        time_grain         = "PT1M"
        statistic          = "Average"
        time_window        = "PT10M"
        time_aggregation   = "Average"
        operator           = "LessThan"
        threshold          = 30
      }
      scale_action {
        direction = "Decrease"
        type      = "ChangeCount"
        value     = 1
        cooldown  = "PT10M"
      }
    }
  }
}
