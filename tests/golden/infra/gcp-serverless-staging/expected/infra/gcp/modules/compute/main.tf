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

resource "google_cloud_run_v2_service" "service" {
  for_each            = var.service_ports
  name                = "${var.name}-${each.key}"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  deletion_protection = var.deletion_protection
  template {
    service_account                  = var.service_accounts[each.key]
    encryption_key                   = var.kms_key_id
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = 80
    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }
    # Direct VPC egress: every outbound connection leaves through the VPC, its firewall zones and Cloud NAT.
    vpc_access {
      egress = "ALL_TRAFFIC"
      network_interfaces {
        network    = var.network_id
        subnetwork = var.subnet_id
        tags       = [var.services_tag]
      }
    }
    containers {
      image = "${local.registry}/${each.key}:${var.image_tag}"
      ports {
        container_port = each.value
      }
      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle = false
      }
      env {
        name  = "APP_ENV"
        value = var.environment
      }
    }
  }
}

# Every service may call every other one; the public ones are invoked through the load balancer.
resource "google_cloud_run_v2_service_iam_member" "callers" {
  for_each = { for pair in setproduct(keys(var.service_ports), keys(var.service_ports)) : "${pair[0]}/${pair[1]}" => pair }
  name     = google_cloud_run_v2_service.service[each.value[0]].name
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.service_accounts[each.value[1]]}"
}

# Requests from the load balancer carry no Google identity; ingress admits only the load balancer and the VPC.
resource "google_cloud_run_v2_service_iam_member" "load_balancer" {
  for_each = google_cloud_run_v2_service.service
  name     = each.value.name
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}
