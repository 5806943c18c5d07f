terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = merge(var.tags, { environment = var.environment })
  }
}

locals {
  name = "${var.tags["project"]}-${var.short_name}"
}

module "security" {
  source               = "../../modules/security"
  name                 = local.name
  audit_retention_days = var.audit_retention_days
  config_rules         = var.config_rules
}

module "network" {
  source                  = "../../modules/network"
  name                    = local.name
  cidr                    = var.vpc_cidr
  zones                   = var.zones
  nat_gateways            = var.nat_gateways
  interface_endpoints     = var.interface_endpoints
  flow_log_retention_days = var.flow_log_retention_days
  kms_key_arn             = module.security.kms_key_arn
  data_ports              = [5432]
  domain_name             = var.domain_name
}

module "data" {
  source                  = "../../modules/data"
  name                    = local.name
  kms_key_arn             = module.security.kms_key_arn
  security_group_id       = module.network.data_security_group_id
  database_subnet_ids     = module.network.database_subnet_ids
  backup_retention_days   = var.backup_retention_days
  multi_az                = var.multi_az
  database_class          = var.database_class
  database_storage_gb     = var.database_storage_gb
  deletion_protection     = var.deletion_protection
  access_log_bucket       = module.security.audit_bucket
  noncurrent_version_days = var.backup_retention_days
  queues                  = ["rabbitmq"]
}

module "compute" {
  source                  = "../../modules/compute"
  name                    = local.name
  service_ports           = var.service_ports
  image_tag               = var.image_tag
  environment             = { APP_ENV = var.environment }
  function_memory         = var.function_memory
  reserved_concurrency    = var.reserved_concurrency
  provisioned_concurrency = var.provisioned_concurrency
  log_retention_days      = var.log_retention_days
  kms_key_arn             = module.security.kms_key_arn
  secret_arns             = [module.security.app_secret_arn, module.data.database_secret_arn]
  private_subnet_ids      = module.network.private_subnet_ids
  security_group_id       = module.network.services_security_group_id
  api_rate_limit          = var.api_rate_limit
  api_burst_limit         = var.api_burst_limit
  domain_name             = var.domain_name
  default_service         = "api"
  zone_id                 = module.network.public_zone_id
  certificate_arn         = module.network.certificate_arn
  bucket_arn              = module.data.bucket_arn
  queue_arns              = module.data.queue_arns
}

module "observability" {
  source              = "../../modules/observability"
  name                = local.name
  kms_key_arn         = module.security.kms_key_arn
  alarm_emails        = var.alarm_emails
  monthly_budget      = var.monthly_budget
  service_dimensions  = module.compute.service_dimensions
  api_names           = module.compute.api_names
  database_identifier = module.data.database_identifier
}
