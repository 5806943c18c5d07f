# The database reaches the VPC only through Private Service Access, accepts only TLS, and is encrypted with the key.
resource "google_sql_database_instance" "main" {
  name                = var.name
  region              = var.region
  database_version    = "MYSQL_8_4"
  encryption_key_name = var.kms_key_id
  deletion_protection = var.deletion_protection
  settings {
    edition                     = "ENTERPRISE"
    tier                        = var.database_tier
    availability_type           = var.availability_type
    disk_type                   = "PD_SSD"
    disk_size                   = var.database_storage_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = var.labels
    ip_configuration {
      ipv4_enabled                                  = false
      private_network                               = var.private_network
      ssl_mode                                      = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
      enable_private_path_for_google_cloud_services = true
    }
    backup_configuration {
      enabled                        = true
      start_time                     = "03:00"
      binary_log_enabled             = true
      transaction_log_retention_days = min(var.backup_retention_days, 7)
      backup_retention_settings {
        retained_backups = var.backup_retention_days
        retention_unit   = "COUNT"
      }
    }
    maintenance_window {
      day          = 7
      hour         = 4
      update_track = "stable"
    }
    insights_config {
      query_insights_enabled  = true
      record_application_tags = true
      record_client_address   = false
    }
    database_flags {
      name  = "cloudsql_iam_authentication"
      value = "on"
    }
    database_flags {
      name  = "local_infile"
      value = "off"
    }
    database_flags {
      name  = "skip_show_database"
      value = "on"
    }
  }
}

resource "google_sql_database" "app" {
  name     = "app"
  instance = google_sql_database_instance.main.name
}

resource "random_password" "database" {
  length  = 32
  special = false
}

# The administrator's password lives in Secret Manager; services sign in with IAM database authentication.
resource "google_sql_user" "admin" {
  name     = "app_admin"
  instance = google_sql_database_instance.main.name
  password = random_password.database.result
}

resource "google_sql_user" "services" {
  for_each = var.service_accounts
  name     = split("@", each.value)[0]
  instance = google_sql_database_instance.main.name
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

resource "google_project_iam_member" "database_clients" {
  for_each = { for pair in setproduct(keys(var.service_accounts), ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]) : "${pair[0]}/${pair[1]}" => pair }
  project  = var.project_id
  role     = each.value[1]
  member   = "serviceAccount:${var.service_accounts[each.value[0]]}"
}

resource "google_secret_manager_secret" "database" {
  secret_id = "${var.name}-database"
  replication {
    user_managed {
      replicas {
        location = var.region
        customer_managed_encryption {
          kms_key_name = var.kms_key_id
        }
      }
    }
  }
}

resource "google_secret_manager_secret_version" "database" {
  secret      = google_secret_manager_secret.database.id
  secret_data = random_password.database.result
}

resource "google_dns_record_set" "database" {
  managed_zone = var.private_zone
  name         = "db.${var.name}.internal."
  type         = "A"
  ttl          = 300
  rrdatas      = [google_sql_database_instance.main.private_ip_address]
}

# Redis with AUTH and TLS, reached through Private Service Access; production runs a replica with failover.
resource "google_redis_instance" "main" {
  name                    = var.name
  region                  = var.region
  tier                    = var.cache_tier
  memory_size_gb          = var.cache_memory_gb
  redis_version           = "REDIS_7_2"
  authorized_network      = var.private_network
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"
  customer_managed_key    = var.kms_key_id
  labels                  = var.labels
  persistence_config {
    persistence_mode    = "RDB"
    rdb_snapshot_period = "TWENTY_FOUR_HOURS"
  }
  maintenance_policy {
    weekly_maintenance_window {
      day = "SUNDAY"
      start_time {
        hours = 4
      }
    }
  }
}

resource "google_secret_manager_secret" "cache" {
  secret_id = "${var.name}-cache-auth"
  replication {
    user_managed {
      replicas {
        location = var.region
        customer_managed_encryption {
          kms_key_name = var.kms_key_id
        }
      }
    }
  }
}

resource "google_secret_manager_secret_version" "cache" {
  secret      = google_secret_manager_secret.cache.id
  secret_data = google_redis_instance.main.auth_string
}

resource "google_dns_record_set" "cache" {
  managed_zone = var.private_zone
  name         = "cache.${var.name}.internal."
  type         = "A"
  ttl          = 300
  rrdatas      = [google_redis_instance.main.host]
}

resource "google_secret_manager_secret_iam_member" "data" {
  for_each  = { for pair in setproduct(keys(var.service_accounts), ["database", "cache"]) : "${pair[0]}/${pair[1]}" => pair }
  secret_id = each.value[1] == "database" ? google_secret_manager_secret.database.id : google_secret_manager_secret.cache.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.service_accounts[each.value[0]]}"
}

# Private, versioned and encrypted with the key; objects move to Nearline after 30 days and Coldline after 90.
resource "google_storage_bucket" "app" {
  name                        = "${var.name}-app-${var.project_id}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels
  versioning {
    enabled = true
  }
  encryption {
    default_kms_key_name = var.kms_key_id
  }
  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }
  lifecycle_rule {
    condition {
      age                   = 30
      matches_storage_class = ["STANDARD"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }
  lifecycle_rule {
    condition {
      age                   = 90
      matches_storage_class = ["NEARLINE"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
    }
    action {
      type = "Delete"
    }
  }
}

# Usage logs of the app bucket; Data Access audit logs record who read which object.
resource "google_storage_bucket" "access_logs" {
  name                        = "${var.name}-logs-${var.project_id}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels
  versioning {
    enabled = true
  }
  encryption {
    default_kms_key_name = var.kms_key_id
  }
  lifecycle_rule {
    condition {
      age = var.access_log_days
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "access_logs" {
  bucket = google_storage_bucket.access_logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}

resource "google_storage_bucket_iam_member" "app" {
  for_each = var.service_accounts
  bucket   = google_storage_bucket.app.name
  role     = "roles/storage.objectUser"
  member   = "serviceAccount:${each.value}"
}

# One topic per queue; undeliverable messages go to a dead-letter topic after five attempts.
resource "google_pubsub_topic" "queue" {
  for_each                   = toset(var.queues)
  name                       = "${var.name}-${each.key}"
  kms_key_name               = var.kms_key_id
  message_retention_duration = "604800s"
  labels                     = var.labels
}

resource "google_pubsub_topic" "dead_letter" {
  for_each                   = toset(var.queues)
  name                       = "${var.name}-${each.key}-dead-letter"
  kms_key_name               = var.kms_key_id
  message_retention_duration = "1209600s"
  labels                     = var.labels
}

resource "google_pubsub_subscription" "queue" {
  for_each                   = toset(var.queues)
  name                       = "${var.name}-${each.key}"
  topic                      = google_pubsub_topic.queue[each.key].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  labels                     = var.labels
  expiration_policy {
    ttl = ""
  }
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = 5
  }
}

resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = toset(var.queues)
  name                       = "${var.name}-${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = "1209600s"
  labels                     = var.labels
  expiration_policy {
    ttl = ""
  }
}

# Pub/Sub's own agent forwards failed messages to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "dead_letter" {
  for_each = google_pubsub_topic.dead_letter
  topic    = each.value.id
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:service-${var.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_subscription_iam_member" "forwarder" {
  for_each     = google_pubsub_subscription.queue
  subscription = each.value.id
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:service-${var.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic_iam_member" "publishers" {
  for_each = { for pair in setproduct(keys(var.service_accounts), var.queues) : "${pair[0]}/${pair[1]}" => pair }
  topic    = google_pubsub_topic.queue[each.value[1]].id
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${var.service_accounts[each.value[0]]}"
}

resource "google_pubsub_subscription_iam_member" "subscribers" {
  for_each     = { for pair in setproduct(keys(var.service_accounts), var.queues) : "${pair[0]}/${pair[1]}" => pair }
  subscription = google_pubsub_subscription.queue[each.value[1]].id
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${var.service_accounts[each.value[0]]}"
}
