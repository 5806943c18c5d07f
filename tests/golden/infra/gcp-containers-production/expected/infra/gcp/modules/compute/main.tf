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
  for_each   = { nodes = google_service_account.nodes.email }
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

# Nodes run as their own account with only the logging and monitoring roles GKE needs.
resource "google_service_account" "nodes" {
  account_id   = "${var.name}-nodes"
  display_name = "${var.name} GKE nodes"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(var.node_roles)
  project  = var.project_id
  role     = each.key
  member   = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_container_cluster" "main" {
  name                        = var.name
  location                    = var.region
  node_locations              = local.zones
  network                     = var.network_id
  subnetwork                  = var.subnet_id
  networking_mode             = "VPC_NATIVE"
  remove_default_node_pool    = true
  initial_node_count          = 1
  deletion_protection         = var.deletion_protection
  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  resource_labels = {
    project       = var.labels["project"]
    environment   = var.labels["environment"]
    "cost-center" = var.labels["cost-center"]
  }
  release_channel {
    channel = var.release_channel
  }
  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }
  # Nodes have no external addresses; the control plane answers only the authorized ranges.
  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.control_plane_cidr
  }
  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled = false
    dynamic "cidr_blocks" {
      for_each = var.authorized_networks
      content {
        cidr_block   = cidr_blocks.value
        display_name = cidr_blocks.value
      }
    }
  }
  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }
  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }
  network_policy {
    enabled  = true
    provider = "CALICO"
  }
  addons_config {
    network_policy_config {
      disabled = false
    }
    http_load_balancing {
      disabled = false
    }
  }
  gateway_api_config {
    channel = "CHANNEL_STANDARD"
  }
  # Kubernetes secrets are encrypted at the application layer with the customer-managed key.
  database_encryption {
    state    = "ENCRYPTED"
    key_name = var.kms_key_id
  }
  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }
  security_posture_config {
    mode               = "BASIC"
    vulnerability_mode = "VULNERABILITY_BASIC"
  }
  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }
  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    managed_prometheus {
      enabled = true
    }
  }
  maintenance_policy {
    recurring_window {
      start_time = "2025-01-04T03:00:00Z"
      end_time   = "2025-01-04T09:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
    }
  }
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
  }
  lifecycle {
    ignore_changes = [node_config]
  }
}

resource "google_container_node_pool" "main" {
  name     = "main"
  cluster  = google_container_cluster.main.id
  location = var.region
  autoscaling {
    total_min_node_count = var.min_instances
    total_max_node_count = var.max_instances
    location_policy      = "BALANCED"
  }
  management {
    auto_repair  = true
    auto_upgrade = true
  }
  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }
  node_config {
    machine_type      = var.machine_type
    spot              = var.spot
    image_type        = "COS_CONTAINERD"
    disk_type         = "pd-balanced"
    disk_size_gb      = 50
    boot_disk_kms_key = var.kms_key_id
    service_account   = google_service_account.nodes.email
    oauth_scopes      = ["https://www.googleapis.com/auth/cloud-platform"]
    tags              = [var.services_tag]
    resource_labels   = var.labels
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
  }
}

# Workload Identity: the Kubernetes service account <service> in the namespace acts as the service's account.
resource "google_service_account_iam_member" "workload_identity" {
  for_each           = var.service_accounts
  service_account_id = "projects/${var.project_id}/serviceAccounts/${each.value}"
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.namespace}/${each.key}]"
}
