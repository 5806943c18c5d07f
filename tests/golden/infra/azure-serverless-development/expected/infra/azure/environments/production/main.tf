terraform {
  required_version = ">= 1.6"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.42"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "azurerm" {
  storage_use_azuread = true # storage accounts allow Entra ID only (shared keys are off)
  features {}
}

# azurerm has no default tags: every module receives these and tags each resource with them.
locals {
  name = "${var.tags["project"]}-${var.short_name}"
  tags = merge(var.tags, { environment = var.environment })
}

module "security" {
  source                 = "../../modules/security"
  name                   = local.name
  location               = var.location
  log_retention_days     = var.log_retention_days
  services               = keys(var.service_ports)
  platform_identities    = ["encryption", "gateway"]
  admin_ip_ranges        = var.admin_ip_ranges
  storage_replication    = var.storage_replication
  audit_retention_days   = var.audit_retention_days
  defender_plans         = ["AppServices", "Arm", "ContainerRegistry", "KeyVaults", "OpenSourceRelationalDatabases", "StorageAccounts"]
  security_contact_email = var.security_contact_email
  domain_name            = var.domain_name
  certificate_issuer     = var.certificate_issuer
  tags                   = local.tags
}

module "network" {
  source                       = "../../modules/network"
  name                         = local.name
  location                     = var.location
  resource_group_name          = module.security.resource_group_name
  cidr                         = var.vnet_cidr
  zones                        = var.zones
  service_ports                = var.service_ports
  data_ports                   = [5432, 6380]
  private_dns_zones            = var.private_dns_zones
  key_vault_id                 = module.security.key_vault_id
  audit_storage_account_id     = module.security.audit_storage_account_id
  flow_log_retention_days      = var.flow_log_retention_days
  log_analytics_workspace_id   = module.security.workspace_id
  log_analytics_workspace_guid = module.security.workspace_guid
  name_suffix                  = module.security.name_suffix
  domain_name                  = var.domain_name
  default_service              = "blog"
  gateway_identity_id          = module.security.platform_identities["gateway"].id
  certificate_secret_id        = module.security.certificate_secret_id
  gateway_min_capacity         = var.zone_redundant ? 2 : 1
  backend_protocol             = "Https"
  health_check_path            = var.health_check_path
  tags                         = local.tags
}

module "data" {
  source                     = "../../modules/data"
  name                       = local.name
  location                   = var.location
  resource_group_name        = module.security.resource_group_name
  zones                      = var.zones
  zone_redundant             = var.zone_redundant
  private_endpoint_subnet_id = module.network.data_subnet_id
  private_dns_zone_ids       = module.network.private_dns_zone_ids
  key_id                     = module.security.key_id
  encryption_identity_id     = module.security.platform_identities["encryption"].id
  encryption_dependency      = module.security.encryption_dependency
  service_principals         = { for name, identity in module.security.service_identities : name => identity.principal_id }
  database_sku               = var.database_sku
  database_storage_gb        = var.database_storage_gb
  backup_retention_days      = var.backup_retention_days
  geo_redundant_backup       = var.geo_redundant_backup
  deletion_protection        = var.deletion_protection
  database_admin_name        = var.database_admin_name
  database_admin_type        = var.database_admin_type
  cache_sku                  = var.cache_sku
  cache_nodes                = var.cache_nodes
  tags                       = local.tags
}

module "compute" {
  source                                 = "../../modules/compute"
  name                                   = local.name
  location                               = var.location
  resource_group_name                    = module.security.resource_group_name
  zone_redundant                         = var.zone_redundant
  service_ports                          = var.service_ports
  image_tag                              = var.image_tag
  environment                            = { APP_ENV = var.environment }
  min_tasks                              = var.min_tasks
  max_tasks                              = var.max_tasks
  function_plan                          = var.function_plan
  health_check_path                      = var.health_check_path
  function_app_names                     = module.network.function_app_names
  application_insights_connection_string = module.security.application_insights_connection_string
  key_name                               = module.security.key_name
  storage_replication                    = var.storage_replication
  app_subnet_id                          = module.network.app_subnet_id
  service_identities                     = module.security.service_identities
  key_vault_id                           = module.security.key_vault_id
  key_id                                 = module.security.key_id
  encryption_identity_id                 = module.security.platform_identities["encryption"].id
  encryption_dependency                  = module.security.encryption_dependency
  encryption_identity_client_id          = module.security.platform_identities["encryption"].client_id
  private_endpoint_subnet_id             = module.network.data_subnet_id
  private_dns_zone_ids                   = module.network.private_dns_zone_ids
  log_analytics_workspace_id             = module.security.workspace_id
  tags                                   = local.tags
}

module "observability" {
  source              = "../../modules/observability"
  name                = local.name
  resource_group_name = module.security.resource_group_name
  resource_group_id   = module.security.resource_group_id
  alarm_emails        = var.alarm_emails
  monthly_budget      = var.monthly_budget
  alerts              = merge(module.compute.alerts, module.network.alerts, module.data.alerts)
  tags                = local.tags
}
