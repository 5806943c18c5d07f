locals {
  registry = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

# One Docker repository per environment; tags are immutable and old untagged images are cleaned up.
resource "google_artifact_registry_repository" "images" {
  repository_id = var.name
  location      = var.region
  format        = "DOCKER"
  kms_key_name  = var.kms_key_id
  docker_config {
    immutable_tags = true
  }
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 50
    }
  }
  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "2592000s"
    }
  }
}

resource "google_artifact_registry_repository_iam_member" "readers" {
  for_each   = var.service_accounts
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${each.value}"
}

data "google_compute_zones" "available" {
  region = var.region
  status = "UP"
}

locals {
  zones = slice(sort(data.google_compute_zones.available.names), 0, var.zone_count)
}

data "google_compute_image" "cos" {
  family  = "cos-stable"
  project = "cos-cloud"
}

# Container-Optimized OS runs the service's image as a systemd unit; no external address, OS Login only.
resource "google_compute_instance_template" "service" {
  for_each     = var.service_ports
  name_prefix  = "${var.name}-${each.key}-"
  machine_type = var.machine_type
  region       = var.region
  tags         = [var.services_tag]
  labels       = merge(var.labels, { service = each.key })
  disk {
    source_image = data.google_compute_image.cos.self_link
    boot         = true
    auto_delete  = true
    disk_type    = "pd-balanced"
    disk_size_gb = var.disk_size_gb
    disk_encryption_key {
      kms_key_self_link = var.kms_key_id
    }
  }
  network_interface {
    subnetwork = var.subnet_id
  }
  service_account {
    email  = var.service_accounts[each.key]
    scopes = ["https://www.googleapis.com/auth/cloud-platform"]
  }
  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }
  scheduling {
    provisioning_model          = var.spot ? "SPOT" : "STANDARD"
    preemptible                 = var.spot
    automatic_restart           = !var.spot
    on_host_maintenance         = var.spot ? "TERMINATE" : "MIGRATE"
    instance_termination_action = var.spot ? "STOP" : null
  }
  metadata = {
    block-project-ssh-keys    = "true"
    enable-oslogin            = "TRUE"
    google-logging-enabled    = "true"
    google-monitoring-enabled = "true"
    user-data                 = <<-EOT
      #cloud-config
      write_files:
        - path: /etc/systemd/system/app.service
          permissions: "0644"
          content: |
            [Unit]
            Description=${each.key}
            Wants=network-online.target
            After=network-online.target
            [Service]
            Environment=HOME=/home/cloudservice
            ExecStartPre=/usr/bin/docker-credential-gcr configure-docker --registries ${var.region}-docker.pkg.dev
            ExecStart=/usr/bin/docker run --rm --name app -p ${each.value}:${each.value} -e APP_ENV=${var.environment} ${local.registry}/${each.key}:${var.image_tag}
            ExecStop=/usr/bin/docker stop app
            Restart=always
      runcmd:
        - systemctl daemon-reload
        - systemctl start app.service
    EOT
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_health_check" "service" {
  for_each            = var.service_ports
  name                = "${var.name}-${each.key}"
  check_interval_sec  = 10
  timeout_sec         = 5
  healthy_threshold   = 2
  unhealthy_threshold = 3
  http_health_check {
    port         = each.value
    request_path = var.health_check_path
  }
  log_config {
    enable = true
  }
}

# Spread over the environment's zones; unhealthy instances are recreated, new templates roll out proactively.
resource "google_compute_region_instance_group_manager" "service" {
  for_each                  = var.service_ports
  name                      = "${var.name}-${each.key}"
  region                    = var.region
  base_instance_name        = "${var.name}-${each.key}"
  distribution_policy_zones = local.zones
  version {
    instance_template = google_compute_instance_template.service[each.key].id
  }
  named_port {
    name = "http"
    port = each.value
  }
  auto_healing_policies {
    health_check      = google_compute_health_check.service[each.key].id
    initial_delay_sec = 300
  }
  update_policy {
    type                  = "PROACTIVE"
    minimal_action        = "REPLACE"
    max_surge_fixed       = var.zone_count
    max_unavailable_fixed = 0
  }
}

resource "google_compute_region_autoscaler" "service" {
  for_each = var.service_ports
  name     = "${var.name}-${each.key}"
  region   = var.region
  target   = google_compute_region_instance_group_manager.service[each.key].id
  autoscaling_policy {
    min_replicas    = var.min_instances
    max_replicas    = var.max_instances
    cooldown_period = 120
    cpu_utilization {
      target = 0.6
    }
  }
}
