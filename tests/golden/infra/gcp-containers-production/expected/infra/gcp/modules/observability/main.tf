resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.alarm_emails)
  display_name = "${var.name} alerts to ${each.key}"
  type         = "email"
  labels = {
    email_address = each.key
  }
}

locals {
  channels = [for channel in google_monitoring_notification_channel.email : channel.id]
}

# Application logs stay in _Default for the environment's retention.
resource "google_logging_project_bucket_config" "default" {
  project        = var.project_id
  location       = "global"
  bucket_id      = "_Default"
  retention_days = var.log_retention_days
}

# Audit logs (Admin Activity and Data Access) are copied to their own bucket, kept longer, locked in production.
resource "google_logging_project_bucket_config" "audit" {
  project        = var.project_id
  location       = "global"
  bucket_id      = "audit"
  retention_days = var.audit_retention_days
  locked         = var.lock_audit_logs
}

resource "google_logging_project_sink" "audit" {
  name                   = "${var.name}-audit"
  destination            = "logging.googleapis.com/${google_logging_project_bucket_config.audit.id}"
  filter                 = "logName:\"/logs/cloudaudit.googleapis.com\""
  unique_writer_identity = true
}

# VPC flow, firewall and NAT logs go to their own bucket with their own retention instead of _Default.
resource "google_logging_project_bucket_config" "network" {
  project        = var.project_id
  location       = "global"
  bucket_id      = "network"
  retention_days = var.flow_log_retention_days
}

resource "google_logging_project_sink" "network" {
  name                   = "${var.name}-network"
  destination            = "logging.googleapis.com/${google_logging_project_bucket_config.network.id}"
  filter                 = local.network_logs
  unique_writer_identity = true
}

resource "google_logging_project_exclusion" "network" {
  name        = "${var.name}-network-outside-default"
  description = "Network logs are kept in the network bucket"
  filter      = local.network_logs
}

locals {
  network_logs = "log_id(\"compute.googleapis.com/vpc_flows\") OR log_id(\"compute.googleapis.com/firewall\") OR log_id(\"compute.googleapis.com/nat_flows\")"
}

resource "google_monitoring_alert_policy" "service" {
  for_each              = var.service_ports
  display_name          = "${var.name} ${each.key}: CPU above 80% of its limit"
  combiner              = "OR"
  notification_channels = local.channels
  conditions {
    display_name = "CPU above 80% of its limit"
    condition_threshold {
      filter          = "resource.type = \"k8s_container\" AND resource.labels.cluster_name = \"${var.cluster_name}\" AND resource.labels.container_name = \"${each.key}\" AND metric.type = \"kubernetes.io/container/cpu/limit_utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0.8
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }
    }
  }
  alert_strategy {
    auto_close = "86400s"
  }
}

resource "google_monitoring_alert_policy" "database" {
  display_name          = "${var.name} database: CPU or disk"
  combiner              = "OR"
  notification_channels = local.channels
  conditions {
    display_name = "CPU above 80%"
    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.labels.database_id = \"${var.project_id}:${var.database_instance}\" AND metric.type = \"cloudsql.googleapis.com/database/cpu/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0.8
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }
    }
  }
  conditions {
    display_name = "Disk above 85%"
    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.labels.database_id = \"${var.project_id}:${var.database_instance}\" AND metric.type = \"cloudsql.googleapis.com/database/disk/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0.85
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }
    }
  }
  alert_strategy {
    auto_close = "86400s"
  }
}

resource "google_monitoring_alert_policy" "cache" {
  display_name          = "${var.name} cache: memory"
  combiner              = "OR"
  notification_channels = local.channels
  conditions {
    display_name = "Memory above 80%"
    condition_threshold {
      filter          = "resource.type = \"redis_instance\" AND resource.labels.instance_id = \"projects/${var.project_id}/locations/${var.region}/instances/${var.cache_instance}\" AND metric.type = \"redis.googleapis.com/stats/memory/usage_ratio\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0.8
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }
    }
  }
  alert_strategy {
    auto_close = "86400s"
  }
}

data "google_project" "current" {
  project_id = var.project_id
}

# The environment's project spends at most the monthly budget: alerts at 50%, 80% and 100%, and at a forecast of 100%.
# The budget belongs to the billing account the project is linked to.
resource "google_billing_budget" "monthly" {
  billing_account = data.google_project.current.billing_account
  display_name    = "${var.name} monthly"
  budget_filter {
    projects = ["projects/${data.google_project.current.number}"]
  }
  amount {
    specified_amount {
      currency_code = "USD"
      units         = tostring(var.monthly_budget)
    }
  }
  threshold_rules {
    threshold_percent = 0.5
  }
  threshold_rules {
    threshold_percent = 0.8
  }
  threshold_rules {
    threshold_percent = 1.0
  }
  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }
  all_updates_rule {
    monitoring_notification_channels = slice(local.channels, 0, min(length(local.channels), 5))
    disable_default_iam_recipients   = false
  }
}
