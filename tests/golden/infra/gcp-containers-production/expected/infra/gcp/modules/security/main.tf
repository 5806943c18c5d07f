data "google_project" "current" {}

# Reading the Cloud Storage service agent creates it.
data "google_storage_project_service_account" "main" {
  depends_on = [google_project_service.apis]
}

locals {
  agents = {
    storage  = data.google_storage_project_service_account.main.email_address
    secrets  = "service-${data.google_project.current.number}@gcp-sa-secretmanager.iam.gserviceaccount.com"
    sql      = "service-${data.google_project.current.number}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    redis    = "service-${data.google_project.current.number}@cloud-redis.iam.gserviceaccount.com"
    registry = "service-${data.google_project.current.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    compute  = "service-${data.google_project.current.number}@compute-system.iam.gserviceaccount.com"
    gke      = "service-${data.google_project.current.number}@container-engine-robot.iam.gserviceaccount.com"
  }
}

# Every API the modules use; enabling one creates its service agent, which the key grants below need.
resource "google_project_service" "apis" {
  for_each           = toset(var.apis)
  service            = each.key
  disable_on_destroy = false
}

# Some service agents exist only once requested (Cloud SQL, Secret Manager, Artifact Registry...): request them all
# before the key grants name them.
resource "google_project_service_identity" "agents" {
  provider   = google-beta
  for_each   = toset(var.agent_apis)
  service    = each.key
  depends_on = [google_project_service.apis]
}

resource "google_kms_key_ring" "main" {
  name       = var.name
  location   = var.region
  depends_on = [google_project_service.apis]
}

# One customer-managed key, rotated every 90 days, encrypts disks, the database, cache, bucket, topics and secrets.
resource "google_kms_crypto_key" "main" {
  name            = var.name
  key_ring        = google_kms_key_ring.main.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s"
  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "agents" {
  for_each      = local.agents
  crypto_key_id = google_kms_crypto_key.main.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${each.value}"
  depends_on    = [google_project_service_identity.agents]
}

# One identity per service: it writes its own logs, metrics and traces and reads its own secrets, nothing else here.
resource "google_service_account" "service" {
  for_each     = var.service_ports
  account_id   = "svc-${each.key}"
  display_name = "${var.name} ${each.key}"
}

resource "google_project_iam_member" "service" {
  for_each = { for pair in setproduct(keys(var.service_ports), var.service_roles) : "${pair[0]}/${pair[1]}" => pair }
  project  = data.google_project.current.project_id
  role     = each.value[1]
  member   = "serviceAccount:${google_service_account.service[each.value[0]].email}"
}

# Third-party keys the application needs; the team adds versions (gcloud secrets versions add).
resource "google_secret_manager_secret" "app" {
  secret_id = "${var.name}-app"
  replication {
    user_managed {
      replicas {
        location = var.region
        customer_managed_encryption {
          kms_key_name = google_kms_crypto_key.main.id
        }
      }
    }
  }
  depends_on = [google_kms_crypto_key_iam_member.agents]
}

resource "google_secret_manager_secret_iam_member" "app" {
  for_each  = google_service_account.service
  secret_id = google_secret_manager_secret.app.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${each.value.email}"
}

# Data Access audit logs for every service: who read or changed which data, beside the Admin Activity logs.
resource "google_project_iam_audit_config" "all" {
  project = data.google_project.current.project_id
  service = "allServices"
  audit_log_config {
    log_type = "ADMIN_READ"
  }
  audit_log_config {
    log_type = "DATA_READ"
  }
  audit_log_config {
    log_type = "DATA_WRITE"
  }
}

# Project-level controls without an organization: OS Login for every VM, and no Editor role on default accounts.
resource "google_compute_project_metadata_item" "os_login" {
  key        = "enable-oslogin"
  value      = "TRUE"
  depends_on = [google_project_service.apis]
}

resource "google_project_default_service_accounts" "main" {
  project        = data.google_project.current.project_id
  action         = "DEPRIVILEGE"
  restore_policy = "REVERT_AND_IGNORE_FAILURE"
  depends_on     = [google_project_service.apis]
}
