terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = var.labels
}

variable "project_id" {
  type        = string
  description = "Project that holds the state of every environment."
}

variable "region" {
  type        = string
  description = "Region of the state bucket and its key."
}

variable "labels" {
  type        = map(string)
  description = "Labels on every resource."
}

data "google_project" "current" {}

resource "google_project_service" "kms" {
  service            = "cloudkms.googleapis.com"
  disable_on_destroy = false
}

resource "google_kms_key_ring" "state" {
  name       = "shop-tfstate"
  location   = var.region
  depends_on = [google_project_service.kms]
}

resource "google_kms_crypto_key" "state" {
  name            = "shop-tfstate"
  key_ring        = google_kms_key_ring.state.id
  rotation_period = "7776000s"
  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "storage" {
  crypto_key_id = google_kms_crypto_key.state.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.current.number}@gs-project-accounts.iam.gserviceaccount.com"
}

resource "random_id" "state" {
  byte_length = 4
}

# Versioned, private and encrypted; GCS locks the state natively while a plan or apply runs.
resource "google_storage_bucket" "state" {
  name                        = "shop-tfstate-${random_id.state.hex}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  versioning {
    enabled = true
  }
  encryption {
    default_kms_key_name = google_kms_crypto_key.state.id
  }
  lifecycle_rule {
    condition {
      num_newer_versions = 20
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
  lifecycle {
    prevent_destroy = true
  }
  depends_on = [google_kms_crypto_key_iam_member.storage]
}

output "state_bucket" {
  value = google_storage_bucket.state.name
}
