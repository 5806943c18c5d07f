resource "azurerm_virtual_network" "main" {
  name                = "vnet-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  address_space       = [var.cidr]
  tags                = var.tags
}

# Tiers: public (the Application Gateway only), app (the services), data (private endpoints of data services).
resource "azurerm_subnet" "public" {
  name                 = "snet-public"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.main.name
  address_prefixes     = [cidrsubnet(var.cidr, 8, 0)]
}

resource "azurerm_subnet" "app" {
  name                 = "snet-app"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.main.name
  address_prefixes     = [cidrsubnet(var.cidr, 4, 1)]
}

resource "azurerm_subnet" "data" {
  name                              = "snet-data"
  resource_group_name               = var.resource_group_name
  virtual_network_name              = azurerm_virtual_network.main.name
  address_prefixes                  = [cidrsubnet(var.cidr, 8, 1)]
  private_endpoint_network_policies = "Enabled" # the data NSG applies to the private endpoints
}

resource "azurerm_network_security_group" "public" {
  name                = "nsg-${var.name}-public"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  security_rule {
    name                       = "https-from-internet"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["443"]
    source_address_prefix      = "Internet"
    destination_address_prefix = cidrsubnet(var.cidr, 8, 0)
  }

  security_rule {
    name                       = "gateway-manager"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "65200-65535" # Application Gateway v2 infrastructure, required by Azure
    source_address_prefix      = "GatewayManager"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "azure-load-balancer"
    priority                   = 120
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "AzureLoadBalancer"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_group" "app" {
  name                = "nsg-${var.name}-app"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  security_rule {
    name                       = "services-from-gateway"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = [for port in sort(distinct(values(var.service_ports))) : tostring(port)]
    source_address_prefix      = cidrsubnet(var.cidr, 8, 0)
    destination_address_prefix = cidrsubnet(var.cidr, 4, 1)
  }

  security_rule {
    name                       = "within-app-tier"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = cidrsubnet(var.cidr, 4, 1)
    destination_address_prefix = cidrsubnet(var.cidr, 4, 1)
  }

  security_rule {
    name                       = "deny-internet"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_group" "data" {
  name                = "nsg-${var.name}-data"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  security_rule {
    name                       = "data-from-app-tier"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = [for port in var.data_ports : tostring(port)]
    source_address_prefix      = cidrsubnet(var.cidr, 4, 1)
    destination_address_prefix = cidrsubnet(var.cidr, 8, 1)
  }

  security_rule {
    name                       = "https-from-gateway"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["443"] # the Application Gateway reads its certificate through the vault's endpoint
    source_address_prefix      = cidrsubnet(var.cidr, 8, 0)
    destination_address_prefix = cidrsubnet(var.cidr, 8, 1)
  }

  security_rule {
    name                       = "https-from-app-tier"
    priority                   = 120
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["443"] # Key Vault, Blob, Service Bus and registry endpoints
    source_address_prefix      = cidrsubnet(var.cidr, 4, 1)
    destination_address_prefix = cidrsubnet(var.cidr, 8, 1)
  }

  security_rule {
    name                       = "deny-other-vnet-traffic"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "public" {
  subnet_id                 = azurerm_subnet.public.id
  network_security_group_id = azurerm_network_security_group.public.id
}

resource "azurerm_subnet_network_security_group_association" "app" {
  subnet_id                 = azurerm_subnet.app.id
  network_security_group_id = azurerm_network_security_group.app.id
}

resource "azurerm_subnet_network_security_group_association" "data" {
  subnet_id                 = azurerm_subnet.data.id
  network_security_group_id = azurerm_network_security_group.data.id
}

# Outbound internet for the app tier through one NAT gateway (a NAT gateway serves one zone; Azure allows one per subnet).
resource "azurerm_public_ip" "nat" {
  name                = "pip-${var.name}-nat"
  location            = var.location
  resource_group_name = var.resource_group_name
  allocation_method   = "Static"
  sku                 = "Standard"
  zones               = ["1"]
  tags                = var.tags
}

resource "azurerm_nat_gateway" "main" {
  name                    = "ng-${var.name}"
  location                = var.location
  resource_group_name     = var.resource_group_name
  sku_name                = "Standard"
  idle_timeout_in_minutes = 10
  zones                   = ["1"]
  tags                    = var.tags
}

resource "azurerm_nat_gateway_public_ip_association" "main" {
  nat_gateway_id       = azurerm_nat_gateway.main.id
  public_ip_address_id = azurerm_public_ip.nat.id
}

resource "azurerm_subnet_nat_gateway_association" "app" {
  subnet_id      = azurerm_subnet.app.id
  nat_gateway_id = azurerm_nat_gateway.main.id
}

# Private DNS zones that resolve the data services' private endpoints inside the VNet.
resource "azurerm_private_dns_zone" "private" {
  for_each            = var.private_dns_zones
  name                = each.value
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "private" {
  for_each              = var.private_dns_zones
  name                  = "${var.name}-${each.key}"
  resource_group_name   = var.resource_group_name
  private_dns_zone_name = azurerm_private_dns_zone.private[each.key].name
  virtual_network_id    = azurerm_virtual_network.main.id
  registration_enabled  = false
  tags                  = var.tags
}

# The security module's vault and audit account, reached from the VNet only through these endpoints.
resource "azurerm_private_endpoint" "vault" {
  name                = "pe-${var.name}-vault"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = azurerm_subnet.data.id
  tags                = var.tags

  private_service_connection {
    name                           = "vault"
    private_connection_resource_id = var.key_vault_id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "vault"
    private_dns_zone_ids = [azurerm_private_dns_zone.private["vault"].id]
  }
}

resource "azurerm_private_endpoint" "audit" {
  name                = "pe-${var.name}-audit"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = azurerm_subnet.data.id
  tags                = var.tags

  private_service_connection {
    name                           = "audit-blob"
    private_connection_resource_id = var.audit_storage_account_id
    subresource_names              = ["blob"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "blob"
    private_dns_zone_ids = [azurerm_private_dns_zone.private["blob"].id]
  }
}

# VNet flow logs through the region's Network Watcher (Azure creates NetworkWatcher_<region> in NetworkWatcherRG).
data "azurerm_network_watcher" "region" {
  name                = "NetworkWatcher_${var.location}"
  resource_group_name = "NetworkWatcherRG"
}

resource "azurerm_network_watcher_flow_log" "vnet" {
  name                 = "fl-${var.name}"
  network_watcher_name = data.azurerm_network_watcher.region.name
  resource_group_name  = data.azurerm_network_watcher.region.resource_group_name
  target_resource_id   = azurerm_virtual_network.main.id
  storage_account_id   = var.audit_storage_account_id
  enabled              = true
  version              = 2
  tags                 = var.tags

  retention_policy {
    enabled = true
    days    = var.flow_log_retention_days
  }

  traffic_analytics {
    enabled               = true
    workspace_id          = var.log_analytics_workspace_guid
    workspace_region      = var.location
    workspace_resource_id = var.log_analytics_workspace_id
    interval_in_minutes   = 10
  }
}

# The address each service's gateway backend pool targets, decided here so the network needs nothing from compute.
locals {
  # The scale sets join their gateway pools themselves (backend_pool_ids).
  backend_addresses = { for service in keys(var.service_ports) : service => { ip_addresses = [], fqdns = [] } }
}

resource "azurerm_private_dns_zone" "internal" {
  name                = "${var.name}.internal"
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "internal" {
  name                  = "${var.name}-internal"
  resource_group_name   = var.resource_group_name
  private_dns_zone_name = azurerm_private_dns_zone.internal.name
  virtual_network_id    = azurerm_virtual_network.main.id
  registration_enabled  = false
  tags                  = var.tags
}

# Public entry: Application Gateway WAF_v2 with TLS from a Key Vault certificate, HTTP redirected to HTTPS.
resource "azurerm_public_ip" "gateway" {
  name                = "pip-${var.name}-agw"
  location            = var.location
  resource_group_name = var.resource_group_name
  allocation_method   = "Static"
  sku                 = "Standard"
  zones               = var.zones
  tags                = var.tags
}

resource "azurerm_web_application_firewall_policy" "main" {
  name                = "waf-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  policy_settings {
    enabled                     = true
    mode                        = "Prevention"
    request_body_check          = true
    max_request_body_size_in_kb = 128
    file_upload_limit_in_mb     = 100
  }

  managed_rules {
    managed_rule_set {
      type    = "OWASP"
      version = "3.2"
    }
    managed_rule_set {
      type    = "Microsoft_BotManagerRuleSet"
      version = "1.0"
    }
  }
}

locals {
  gateway_services = { for index, service in sort(keys(var.service_ports)) : service => index }
}

resource "azurerm_application_gateway" "main" {
  name                              = "agw-${var.name}"
  location                          = var.location
  resource_group_name               = var.resource_group_name
  zones                             = var.zones
  firewall_policy_id                = azurerm_web_application_firewall_policy.main.id
  force_firewall_policy_association = true
  enable_http2                      = true
  tags                              = var.tags

  sku {
    name = "WAF_v2"
    tier = "WAF_v2"
  }

  autoscale_configuration {
    min_capacity = var.gateway_min_capacity
    max_capacity = 10
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [var.gateway_identity_id]
  }

  gateway_ip_configuration {
    name      = "gateway"
    subnet_id = azurerm_subnet.public.id
  }

  frontend_ip_configuration {
    name                 = "public"
    public_ip_address_id = azurerm_public_ip.gateway.id
  }

  frontend_port {
    name = "https"
    port = 443
  }

  frontend_port {
    name = "http"
    port = 80
  }

  ssl_policy {
    policy_type = "Predefined"
    policy_name = "AppGwSslPolicy20220101S" # TLS 1.2 and later, strong ciphers only
  }

  ssl_certificate {
    name                = "public"
    key_vault_secret_id = var.certificate_secret_id
  }

  http_listener {
    name                           = "http"
    frontend_ip_configuration_name = "public"
    frontend_port_name             = "http"
    protocol                       = "Http"
  }

  redirect_configuration {
    name                 = "to-https"
    redirect_type        = "Permanent"
    target_listener_name = "https-${var.default_service}"
    include_path         = true
    include_query_string = true
  }

  request_routing_rule {
    name                        = "http-to-https"
    rule_type                   = "Basic"
    http_listener_name          = "http"
    redirect_configuration_name = "to-https"
    priority                    = 10
  }

  dynamic "http_listener" {
    for_each = local.gateway_services
    content {
      name                           = "https-${http_listener.key}"
      frontend_ip_configuration_name = "public"
      frontend_port_name             = "https"
      protocol                       = "Https"
      ssl_certificate_name           = "public"
      host_name                      = http_listener.key == var.default_service ? var.domain_name : "${http_listener.key}.${var.domain_name}"
    }
  }

  dynamic "backend_address_pool" {
    for_each = local.gateway_services
    content {
      name         = backend_address_pool.key
      ip_addresses = local.backend_addresses[backend_address_pool.key].ip_addresses
      fqdns        = local.backend_addresses[backend_address_pool.key].fqdns
    }
  }

  dynamic "probe" {
    for_each = local.gateway_services
    content {
      name                                      = probe.key
      protocol                                  = var.backend_protocol
      path                                      = var.health_check_path
      interval                                  = 30
      timeout                                   = 10
      unhealthy_threshold                       = 3
      pick_host_name_from_backend_http_settings = true
    }
  }

  dynamic "backend_http_settings" {
    for_each = local.gateway_services
    content {
      name                                = backend_http_settings.key
      protocol                            = var.backend_protocol
      port                                = var.backend_protocol == "Https" ? 443 : var.service_ports[backend_http_settings.key]
      cookie_based_affinity               = "Disabled"
      request_timeout                     = 60
      probe_name                          = backend_http_settings.key
      pick_host_name_from_backend_address = var.backend_protocol == "Https"
    }
  }

  dynamic "request_routing_rule" {
    for_each = local.gateway_services
    content {
      name                       = request_routing_rule.key
      rule_type                  = "Basic"
      http_listener_name         = "https-${request_routing_rule.key}"
      backend_address_pool_name  = request_routing_rule.key
      backend_http_settings_name = request_routing_rule.key
      priority                   = 100 + request_routing_rule.value
    }
  }

  # The gateway reads its certificate from the vault through the private endpoint and the linked zone.
  depends_on = [azurerm_private_endpoint.vault, azurerm_private_dns_zone_virtual_network_link.private]
}

resource "azurerm_dns_zone" "public" {
  name                = var.domain_name
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_dns_a_record" "apex" {
  name                = "@"
  zone_name           = azurerm_dns_zone.public.name
  resource_group_name = var.resource_group_name
  ttl                 = 300
  target_resource_id  = azurerm_public_ip.gateway.id
  tags                = var.tags
}

resource "azurerm_dns_a_record" "services" {
  for_each            = { for service, index in local.gateway_services : service => index if service != var.default_service }
  name                = each.key
  zone_name           = azurerm_dns_zone.public.name
  resource_group_name = var.resource_group_name
  ttl                 = 300
  target_resource_id  = azurerm_public_ip.gateway.id
  tags                = var.tags
}
