data "azurerm_client_config" "current" {}

# The first module: every other one takes its resource group, workspace and keys, so the modules depend one way only.
resource "azurerm_resource_group" "main" {
  name     = "rg-${var.name}"
  location = var.location
  tags     = var.tags
}

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${var.name}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_application_insights" "main" {
  name                          = "appi-${var.name}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  workspace_id                  = azurerm_log_analytics_workspace.main.id
  application_type              = "web"
  local_authentication_disabled = true
  tags                          = var.tags
}

locals {
  # Storage account and vault names are global: a stable suffix from the subscription keeps them unique.
  suffix  = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.name}"), 0, 6)
  compact = substr(replace(var.name, "-", ""), 0, 12)
}

# One user-assigned identity per service; role assignments grant each only what it uses.
resource "azurerm_user_assigned_identity" "services" {
  for_each            = toset(var.services)
  name                = "id-${var.name}-${each.key}"
  location            = var.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = var.tags
}

# Platform identities: the cluster or scale sets, and the encryption of data stores at rest.
resource "azurerm_user_assigned_identity" "platform" {
  for_each            = toset(var.platform_identities)
  name                = "id-${var.name}-${each.key}"
  location            = var.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = var.tags
}

# Apps reach the vault through network's private endpoint and trusted services (disk encryption, customer-managed
# keys) through the bypass; the public endpoint is on only when admin_ip_ranges names addresses for the firewall.
resource "azurerm_key_vault" "main" {
  name                          = "kv-${local.compact}-${local.suffix}"
  location                      = var.location
  resource_group_name           = azurerm_resource_group.main.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "premium" # HSM-backed keys
  rbac_authorization_enabled    = true
  purge_protection_enabled      = true # disk encryption sets and customer-managed keys require it
  soft_delete_retention_days    = 90
  public_network_access_enabled = length(var.admin_ip_ranges) > 0 ? true : false # checkov's parser drops a bare comparison
  tags                          = var.tags

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
    ip_rules       = var.admin_ip_ranges
  }
}

# Whoever runs Terraform manages keys, secrets and certificates through RBAC (no access policies).
resource "azurerm_role_assignment" "deployer" {
  for_each             = toset(["Key Vault Crypto Officer", "Key Vault Secrets Officer", "Key Vault Certificates Officer"])
  scope                = azurerm_key_vault.main.id
  role_definition_name = each.key
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_key_vault_key" "main" {
  name         = "${var.name}-data"
  key_vault_id = azurerm_key_vault.main.id
  key_type     = "RSA-HSM"
  key_size     = 3072
  key_opts     = ["decrypt", "encrypt", "sign", "unwrapKey", "verify", "wrapKey"]
  tags         = var.tags

  rotation_policy {
    automatic {
      time_before_expiry = "P30D"
    }
    expire_after         = "P1Y"
    notify_before_expiry = "P29D"
  }

  depends_on = [azurerm_role_assignment.deployer]
}

# Encryption at rest with the vault's key for every service that can use it.
resource "azurerm_role_assignment" "encryption" {
  for_each             = azurerm_user_assigned_identity.platform
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = each.value.principal_id
}

resource "azurerm_disk_encryption_set" "main" {
  name                      = "des-${var.name}"
  location                  = var.location
  resource_group_name       = azurerm_resource_group.main.name
  key_vault_key_id          = azurerm_key_vault_key.main.versionless_id
  auto_key_rotation_enabled = true
  encryption_type           = "EncryptionAtRestWithCustomerKey"
  tags                      = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.platform["encryption"].id]
  }

  depends_on = [azurerm_role_assignment.encryption]
}

# A generated signing key for the application; services read it through their identities.
resource "random_password" "app" {
  length  = 48
  special = false
}

resource "azurerm_key_vault_secret" "app" {
  name            = "${var.name}-app"
  key_vault_id    = azurerm_key_vault.main.id
  value           = random_password.app.result
  content_type    = "text/plain"
  expiration_date = timeadd(plantimestamp(), "8760h") # a year after creation; rotate before then
  tags            = var.tags

  lifecycle {
    ignore_changes = [expiration_date]
  }

  depends_on = [azurerm_role_assignment.deployer]
}

resource "azurerm_role_assignment" "service_secrets" {
  for_each             = azurerm_user_assigned_identity.services
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = each.value.principal_id
}

# The public TLS certificate. "Self" signs it for a first apply; set certificate_issuer to a CA issuer configured in
# the vault (DigiCert, GlobalSign) or import a certificate under the same name before going live.
resource "azurerm_key_vault_certificate" "public" {
  name         = "${var.name}-public"
  key_vault_id = azurerm_key_vault.main.id
  tags         = var.tags

  certificate_policy {
    issuer_parameters {
      name = var.certificate_issuer
    }
    key_properties {
      exportable = true
      key_type   = "RSA"
      key_size   = 2048
      reuse_key  = false
    }
    lifetime_action {
      action {
        action_type = "AutoRenew"
      }
      trigger {
        days_before_expiry = 30
      }
    }
    secret_properties {
      content_type = "application/x-pkcs12"
    }
    x509_certificate_properties {
      key_usage          = ["digitalSignature", "keyEncipherment"]
      extended_key_usage = ["1.3.6.1.5.5.7.3.1"]
      subject            = "CN=${var.domain_name}"
      validity_in_months = 12
      subject_alternative_names {
        dns_names = [var.domain_name, "*.${var.domain_name}"]
      }
    }
  }

  depends_on = [azurerm_role_assignment.deployer]
}

resource "azurerm_role_assignment" "gateway_certificate" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.platform["gateway"].principal_id
}

# Audit storage: VNet flow logs and the exported activity log, immutable for the retention period.
resource "azurerm_storage_account" "audit" {
  name                              = "st${local.compact}log${local.suffix}"
  location                          = var.location
  resource_group_name               = azurerm_resource_group.main.name
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
    identity_ids = [azurerm_user_assigned_identity.platform["encryption"].id]
  }

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices", "Logging", "Metrics"]
  }

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 30
    }
    container_delete_retention_policy {
      days = 30
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

resource "azurerm_storage_account_customer_managed_key" "audit" {
  storage_account_id        = azurerm_storage_account.audit.id
  key_vault_id              = azurerm_key_vault.main.id
  key_name                  = azurerm_key_vault_key.main.name
  user_assigned_identity_id = azurerm_user_assigned_identity.platform["encryption"].id

  depends_on = [azurerm_role_assignment.encryption]
}

resource "azurerm_storage_management_policy" "audit" {
  storage_account_id = azurerm_storage_account.audit.id

  rule {
    name    = "expire-audit-logs"
    enabled = true
    filters {
      blob_types = ["blockBlob", "appendBlob"]
    }
    actions {
      base_blob {
        tier_to_cool_after_days_since_modification_greater_than = 30
        delete_after_days_since_modification_greater_than       = var.audit_retention_days
      }
    }
  }
}

# The subscription's activity log goes to the workspace and, for the audit retention, to the audit account.
resource "azurerm_monitor_diagnostic_setting" "activity_log" {
  name                       = "${var.name}-activity-log"
  target_resource_id         = "/subscriptions/${data.azurerm_client_config.current.subscription_id}"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id
  storage_account_id         = azurerm_storage_account.audit.id

  dynamic "enabled_log" {
    for_each = ["Administrative", "Security", "Policy", "Alert", "ServiceHealth", "ResourceHealth"]
    content {
      category = enabled_log.value
    }
  }
}

resource "azurerm_monitor_diagnostic_setting" "vault" {
  name                       = "${var.name}-vault"
  target_resource_id         = azurerm_key_vault.main.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id
  storage_account_id         = azurerm_storage_account.audit.id

  enabled_log {
    category_group = "audit"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

# Defender for Cloud plans for what this design runs (once per subscription, like the activity log export).
resource "azurerm_security_center_subscription_pricing" "plans" {
  for_each      = toset(var.defender_plans)
  tier          = "Standard"
  resource_type = each.key
}

resource "azurerm_security_center_contact" "main" {
  name                = "security"
  email               = var.security_contact_email
  alert_notifications = true
  alerts_to_admins    = true
}
