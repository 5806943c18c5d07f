# The database reaches the VPC only through Private Service Access, accepts only TLS, and is encrypted with the key.
resource "google_sql_database_instance" "main" {
  name                = var.name
  region              = var.region
  database_version    = "POSTGRES_17"
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
      point_in_time_recovery_enabled = true
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
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_duration"
      value = "on"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_min_messages"
      value = "warning"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "pgaudit.log"
      value = "ddl,role"
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
  name     = trimsuffix(each.value, ".gserviceaccount.com")
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
