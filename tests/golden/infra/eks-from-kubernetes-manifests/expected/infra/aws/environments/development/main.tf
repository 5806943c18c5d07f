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
  service_ports           = var.service_ports
  data_ports              = [5432]
  deletion_protection     = var.deletion_protection
  access_log_bucket       = module.security.audit_bucket
  domain_name             = var.domain_name
  default_service         = "admin"
  target_type             = "ip"
  health_check_path       = var.health_check_path
}

module "data" {
  source                = "../../modules/data"
  name                  = local.name
  kms_key_arn           = module.security.kms_key_arn
  security_group_id     = module.network.data_security_group_id
  database_subnet_ids   = module.network.database_subnet_ids
  backup_retention_days = var.backup_retention_days
  multi_az              = var.multi_az
  database_class        = var.database_class
  database_storage_gb   = var.database_storage_gb
  deletion_protection   = var.deletion_protection
}

module "compute" {
  source             = "../../modules/compute"
  name               = local.name
  service_ports      = var.service_ports
  kubernetes_version = "1.35"
  namespace          = "shop"
  node_instance_type = var.node_instance_type
  min_nodes          = var.min_nodes
  max_nodes          = var.max_nodes
  spot_share         = var.spot_share
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.security.kms_key_arn
  secret_arns        = [module.security.app_secret_arn, module.data.database_secret_arn]
  vpc_id             = module.network.vpc_id
  private_subnet_ids = module.network.private_subnet_ids
  security_group_id  = module.network.services_security_group_id
  target_group_arns  = module.network.target_group_arns
}

module "observability" {
  source                   = "../../modules/observability"
  name                     = local.name
  kms_key_arn              = module.security.kms_key_arn
  alarm_emails             = var.alarm_emails
  monthly_budget           = var.monthly_budget
  metric_namespace         = module.compute.metric_namespace
  service_dimensions       = module.compute.service_dimensions
  load_balancer_arn_suffix = module.network.load_balancer_arn_suffix
  database_identifier      = module.data.database_identifier
}
