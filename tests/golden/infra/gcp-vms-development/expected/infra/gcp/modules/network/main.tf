resource "google_compute_network" "main" {
  name                    = var.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

# Services run here without external addresses; Private Google Access reaches Google APIs without NAT.
resource "google_compute_subnetwork" "services" {
  name                     = "${var.name}-services"
  region                   = var.region
  network                  = google_compute_network.main.id
  ip_cidr_range            = cidrsubnet(var.cidr, 4, 0)
  private_ip_google_access = true
  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "main" {
  name    = var.name
  region  = var.region
  network = google_compute_network.main.id
}

# Static egress addresses, so partners can allow-list the services' outbound traffic.
resource "google_compute_address" "nat" {
  count        = var.nat_addresses
  name         = "${var.name}-nat-${count.index}"
  region       = var.region
  address_type = "EXTERNAL"
}

resource "google_compute_router_nat" "main" {
  name                               = var.name
  router                             = google_compute_router.main.name
  region                             = var.region
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = google_compute_address.nat[*].self_link
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"
  subnetwork {
    name                    = google_compute_subnetwork.services.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }
  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# The data zone: Cloud SQL and Memorystore get addresses from this range through Private Service Access.
resource "google_compute_global_address" "private_services" {
  name          = "${var.name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  address       = cidrhost(cidrsubnet(var.cidr, 4, 12), 0)
  prefix_length = 20
  network       = google_compute_network.main.id
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.main.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

# Security zones as firewall rules: nothing reaches the services but the load balancer's health checks and proxies,
# and they reach only the data zone's ports and HTTPS.
resource "google_compute_firewall" "deny_ingress" {
  name      = "${var.name}-deny-ingress"
  network   = google_compute_network.main.id
  direction = "INGRESS"
  priority  = 65534
  deny {
    protocol = "all"
  }
  source_ranges = ["0.0.0.0/0"]
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "load_balancer" {
  name      = "${var.name}-allow-load-balancer"
  network   = google_compute_network.main.id
  direction = "INGRESS"
  priority  = 1000
  allow {
    protocol = "tcp"
    ports    = [for port in distinct(values(var.service_ports)) : tostring(port)]
  }
  source_ranges = var.google_front_end_ranges
  target_tags   = [local.services_tag]
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "deny_egress" {
  name      = "${var.name}-deny-egress"
  network   = google_compute_network.main.id
  direction = "EGRESS"
  priority  = 65534
  deny {
    protocol = "all"
  }
  destination_ranges = ["0.0.0.0/0"]
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "egress_internal" {
  name      = "${var.name}-allow-egress-internal"
  network   = google_compute_network.main.id
  direction = "EGRESS"
  priority  = 1000
  allow {
    protocol = "all"
  }
  destination_ranges = concat([google_compute_subnetwork.services.ip_cidr_range], [for range in google_compute_subnetwork.services.secondary_ip_range : range.ip_cidr_range], var.internal_ranges)
  target_tags        = [local.services_tag]
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "egress_https" {
  name      = "${var.name}-allow-egress-https"
  network   = google_compute_network.main.id
  direction = "EGRESS"
  priority  = 1000
  allow {
    protocol = "tcp"
    ports    = ["443"]
  }
  destination_ranges = ["0.0.0.0/0"]
  target_tags        = [local.services_tag]
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "egress_data" {
  name      = "${var.name}-allow-egress-data"
  network   = google_compute_network.main.id
  direction = "EGRESS"
  priority  = 1000
  allow {
    protocol = "tcp"
    ports    = [for port in var.data_ports : tostring(port)]
  }
  destination_ranges = ["${google_compute_global_address.private_services.address}/${google_compute_global_address.private_services.prefix_length}"]
  target_tags        = [local.services_tag]
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

locals {
  services_tag = "${var.name}-services"
}

resource "google_dns_policy" "main" {
  name           = var.name
  enable_logging = true
  networks {
    network_url = google_compute_network.main.id
  }
}

resource "google_dns_managed_zone" "private" {
  name        = "${var.name}-internal"
  dns_name    = "${var.name}.internal."
  description = "Names of the data stores inside the VPC"
  visibility  = "private"
  private_visibility_config {
    networks {
      network_url = google_compute_network.main.id
    }
  }
}

resource "google_dns_managed_zone" "public" {
  name        = "${var.name}-public"
  dns_name    = "${var.domain_name}."
  description = "Public names of the services"
  dnssec_config {
    state = "on"
    default_key_specs {
      algorithm  = "rsasha256"
      key_length = 2048
      key_type   = "keySigning"
    }
    default_key_specs {
      algorithm  = "rsasha256"
      key_length = 1024
      key_type   = "zoneSigning"
    }
  }
}

resource "google_compute_global_address" "load_balancer" {
  name = "${var.name}-lb"
}

resource "google_dns_record_set" "apex" {
  managed_zone = google_dns_managed_zone.public.name
  name         = google_dns_managed_zone.public.dns_name
  type         = "A"
  ttl          = 300
  rrdatas      = [google_compute_global_address.load_balancer.address]
}

resource "google_dns_record_set" "services" {
  for_each     = var.service_ports
  managed_zone = google_dns_managed_zone.public.name
  name         = "${each.key}.${google_dns_managed_zone.public.dns_name}"
  type         = "A"
  ttl          = 300
  rrdatas      = [google_compute_global_address.load_balancer.address]
}

# Google-managed certificate for the domain and one host name per service; it is issued once DNS points here.
resource "google_compute_managed_ssl_certificate" "main" {
  name = "${var.name}-cert"
  managed {
    domains = concat([var.domain_name], [for service in keys(var.service_ports) : "${service}.${var.domain_name}"])
  }
}

resource "google_compute_ssl_policy" "main" {
  name            = "${var.name}-tls"
  profile         = "RESTRICTED"
  min_tls_version = "TLS_1_2"
}

# Cloud Armor: OWASP rules, the Log4j lookup rule, a per-client rate limit and adaptive DDoS protection.
resource "google_compute_security_policy" "main" {
  name = "${var.name}-armor"
  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable = true
    }
  }
  rule {
    action   = "deny(403)"
    priority = 1000
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})"
      }
    }
    description = "OWASP SQL injection"
  }
  rule {
    action   = "deny(403)"
    priority = 1001
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 1})"
      }
    }
    description = "OWASP cross-site scripting"
  }
  rule {
    action   = "deny(403)"
    priority = 1002
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('lfi-v33-stable', {'sensitivity': 1})"
      }
    }
    description = "OWASP local file inclusion"
  }
  rule {
    action   = "deny(403)"
    priority = 1003
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('rce-v33-stable', {'sensitivity': 1})"
      }
    }
    description = "OWASP remote code execution"
  }
  rule {
    action   = "deny(403)"
    priority = 1004
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('scannerdetection-v33-stable', {'sensitivity': 1})"
      }
    }
    description = "Known vulnerability scanners"
  }
  rule {
    action   = "deny(403)"
    priority = 1100
    match {
      expr {
        expression = "evaluatePreconfiguredExpr('cve-canary')"
      }
    }
    description = "Log4j lookups (CVE-2021-44228)"
  }
  rule {
    action   = "throttle"
    priority = 2000
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = 600
        interval_sec = 60
      }
    }
    description = "At most 600 requests a minute per client address"
  }
  rule {
    action   = "allow"
    priority = 2147483647
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    description = "Everything else"
  }
}

resource "google_compute_backend_service" "services" {
  for_each              = var.service_ports
  name                  = "${var.name}-${each.key}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTP"
  security_policy       = google_compute_security_policy.main.id
  port_name             = "http"
  health_checks         = [var.health_checks[each.key]]
  timeout_sec           = 30
  backend {
    group           = var.instance_groups[each.key]
    balancing_mode  = "UTILIZATION"
    capacity_scaler = 1
  }
  log_config {
    enable      = true
    sample_rate = 1
  }
}

# Host-based routing: <service>.<domain> reaches that service, the domain itself the default one.
resource "google_compute_url_map" "https" {
  name            = "${var.name}-https"
  default_service = google_compute_backend_service.services[var.default_service].id
  dynamic "host_rule" {
    for_each = var.service_ports
    content {
      hosts        = ["${host_rule.key}.${var.domain_name}"]
      path_matcher = host_rule.key
    }
  }
  dynamic "path_matcher" {
    for_each = var.service_ports
    content {
      name            = path_matcher.key
      default_service = google_compute_backend_service.services[path_matcher.key].id
    }
  }
}

resource "google_compute_target_https_proxy" "main" {
  name             = "${var.name}-https"
  url_map          = google_compute_url_map.https.id
  ssl_certificates = [google_compute_managed_ssl_certificate.main.id]
  ssl_policy       = google_compute_ssl_policy.main.id
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "${var.name}-https"
  target                = google_compute_target_https_proxy.main.id
  ip_address            = google_compute_global_address.load_balancer.id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# Plain HTTP only answers with a redirect to HTTPS.
resource "google_compute_url_map" "redirect" {
  name = "${var.name}-redirect"
  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  name    = "${var.name}-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "${var.name}-http"
  target                = google_compute_target_http_proxy.redirect.id
  ip_address            = google_compute_global_address.load_balancer.id
  port_range            = "80"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
