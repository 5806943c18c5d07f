terraform {
  required_version = ">= 1.6"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.42"
    }
  }
}

provider "azurerm" {
  storage_use_azuread = true
  features {}
}

variable "location" {
  description = "Azure region of the state account"
  type        = string
}

variable "tags" {
  description = "Tags of every resource"
  type        = map(string)
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "state" {
  name     = "rg-blog-tfstate"
  location = var.location
  tags     = var.tags
}

# Versioned, soft-deleted, geo-zone-redundant, Entra ID only; state locks are blob leases.
resource "azurerm_storage_account" "state" {
  name                              = "tfstateblog${substr(sha1(data.azurerm_client_config.current.subscription_id), 0, 8)}"
  location                          = azurerm_resource_group.state.location
  resource_group_name               = azurerm_resource_group.state.name
  account_tier                      = "Standard"
  account_replication_type          = "GZRS"
  account_kind                      = "StorageV2"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  infrastructure_encryption_enabled = true
  local_user_enabled                = false
  tags                              = var.tags

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

resource "azurerm_storage_container" "state" {
  name                  = "tfstate"
  storage_account_id    = azurerm_storage_account.state.id
  container_access_type = "private"
}

resource "azurerm_management_lock" "state" {
  name       = "terraform-state"
  scope      = azurerm_storage_account.state.id
  lock_level = "CanNotDelete"
  notes      = "Holds the Terraform state of every environment."
}

# Whoever runs the bootstrap reads and writes state through Entra ID.
resource "azurerm_role_assignment" "state" {
  scope                = azurerm_storage_account.state.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = data.azurerm_client_config.current.object_id
}

output "state_storage_account" {
  value = azurerm_storage_account.state.name
}
