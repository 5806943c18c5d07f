terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.10"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

# Every resource that takes labels gets the cost allocation labels plus the environment.
provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = merge(var.labels, { environment = var.environment })
}

# Only for the service identities (google_project_service_identity), which the GA provider lacks.
provider "google-beta" {
  project = var.project_id
  region  = var.region
}

locals {
  name   = "${var.labels["project"]}-${var.short_name}"
  labels = merge(var.labels, { environment = var.environment })
}

module "security" {
  source        = "../../modules/security"
  name          = local.name
  region        = var.region
  apis          = ["artifactregistry.googleapis.com", "billingbudgets.googleapis.com", "cloudbilling.googleapis.com", "cloudkms.googleapis.com", "cloudresourcemanager.googleapis.com", "compute.googleapis.com", "dns.googleapis.com", "iam.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com", "pubsub.googleapis.com", "redis.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com", "servicenetworking.googleapis.com", "sqladmin.googleapis.com", "storage.googleapis.com"]
  agent_apis    = ["artifactregistry.googleapis.com", "pubsub.googleapis.com", "redis.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com", "sqladmin.googleapis.com"]
  service_ports = var.service_ports
  service_roles = ["roles/cloudtrace.agent", "roles/logging.logWriter", "roles/monitoring.metricWriter"]
}

module "network" {
  source          = "../../modules/network"
  name            = local.name
  region          = var.region
  cidr            = var.cidr
  nat_addresses   = var.nat_addresses
  service_ports   = var.service_ports
  internal_ranges = []
  data_ports      = [3306, 6379]
  domain_name     = var.domain_name
  default_service = "api"
}

module "data" {
  source                  = "../../modules/data"
  name                    = local.name
  project_id              = var.project_id
  region                  = var.region
  labels                  = local.labels
  kms_key_id              = module.security.kms_key_id
  service_accounts        = module.security.service_accounts
  private_network         = module.network.private_network
  private_zone            = module.network.private_zone
  database_tier           = var.database_tier
  availability_type       = var.availability_type
  database_storage_gb     = var.database_storage_gb
  backup_retention_days   = var.backup_retention_days
  deletion_protection     = var.deletion_protection
  cache_tier              = var.cache_tier
  cache_memory_gb         = var.cache_memory_gb
  noncurrent_version_days = var.backup_retention_days
  access_log_days         = var.log_retention_days
  queues                  = ["rabbitmq"]
  project_number          = module.security.project_number
}

module "compute" {
  source              = "../../modules/compute"
  name                = local.name
  project_id          = var.project_id
  region              = var.region
  kms_key_id          = module.security.kms_key_id
  service_accounts    = module.security.service_accounts
  service_ports       = var.service_ports
  network_id          = module.network.network_id
  subnet_id           = module.network.subnet_id
  services_tag        = module.network.services_tag
  min_instances       = var.min_instances
  max_instances       = var.max_instances
  environment         = var.environment
  image_tag           = var.image_tag
  deletion_protection = var.deletion_protection
  cpu                 = var.cpu
  memory              = var.memory
}

module "observability" {
  source                  = "../../modules/observability"
  name                    = local.name
  project_id              = var.project_id
  region                  = var.region
  alarm_emails            = var.alarm_emails
  monthly_budget          = var.monthly_budget
  log_retention_days      = var.log_retention_days
  flow_log_retention_days = var.flow_log_retention_days
  audit_retention_days    = var.audit_retention_days
  lock_audit_logs         = var.deletion_protection
  service_ports           = var.service_ports
  forwarding_rule         = module.network.https_forwarding_rule
  database_instance       = module.data.database_instance
  cache_instance          = module.data.cache_instance
}
