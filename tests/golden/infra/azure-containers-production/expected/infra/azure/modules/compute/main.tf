data "azurerm_client_config" "current" {}

locals {
  suffix  = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.name}"), 0, 6)
  compact = substr(replace(var.name, "-", ""), 0, 12)
}

# Premium: private endpoint, zone redundancy, quarantine and retention of untagged manifests.
resource "azurerm_container_registry" "main" {
  name                          = "acr${local.compact}${local.suffix}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = "Premium"
  admin_enabled                 = false
  public_network_access_enabled = false
  anonymous_pull_enabled        = false
  data_endpoint_enabled         = true
  quarantine_policy_enabled     = true
  retention_policy_in_days      = 30
  zone_redundancy_enabled       = true
  network_rule_bypass_option    = "AzureServices"
  tags                          = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.encryption_identity_id]
  }

  encryption {
    key_vault_key_id   = var.key_id
    identity_client_id = var.encryption_identity_client_id
  }

  depends_on = [var.encryption_dependency]
}

resource "azurerm_private_endpoint" "registry" {
  name                = "pe-${var.name}-registry"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "registry"
    private_connection_resource_id = azurerm_container_registry.main.id
    subresource_names              = ["registry"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "registry"
    private_dns_zone_ids = [var.private_dns_zone_ids["registry"]]
  }
}

locals {
  spot        = var.spot_share > 0
  regular_min = local.spot ? min(var.on_demand_base, var.min_tasks) : var.min_tasks
}

# The cluster identity manages the subnet's load balancers and internal load balancer addresses.
resource "azurerm_role_assignment" "cluster_network" {
  scope                = var.app_subnet_id
  role_definition_name = "Network Contributor"
  principal_id         = var.cluster_identity.principal_id
}

# Node OS disks use the vault key. etcd keeps platform-managed encryption: KMS with a firewalled vault needs API
# Server VNet Integration, which azurerm 4.x cannot set (terraform-provider-azurerm#30505).
resource "azurerm_kubernetes_cluster" "main" {
  name                              = "aks-${var.name}"
  location                          = var.location
  resource_group_name               = var.resource_group_name
  dns_prefix                        = var.name
  private_cluster_enabled           = true
  private_dns_zone_id               = "System"
  sku_tier                          = var.cluster_sku_tier
  automatic_upgrade_channel         = "patch"
  node_os_upgrade_channel           = "NodeImage"
  local_account_disabled            = true
  role_based_access_control_enabled = true
  oidc_issuer_enabled               = true
  workload_identity_enabled         = true
  azure_policy_enabled              = true
  disk_encryption_set_id            = var.disk_encryption_set_id
  tags                              = var.tags

  default_node_pool {
    name                         = "system"
    vm_size                      = var.instance_type
    vnet_subnet_id               = var.app_subnet_id
    zones                        = var.zones
    auto_scaling_enabled         = true
    min_count                    = var.zone_redundant ? length(var.zones) : 1
    max_count                    = length(var.zones)
    only_critical_addons_enabled = true
    host_encryption_enabled      = true
    max_pods                     = 50
    temporary_name_for_rotation  = "systemtmp"
    tags                         = var.tags

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [var.cluster_identity.id]
  }

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
    tenant_id          = data.azurerm_client_config.current.tenant_id
  }

  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }

  microsoft_defender {
    log_analytics_workspace_id = var.log_analytics_workspace_id
  }

  oms_agent {
    log_analytics_workspace_id      = var.log_analytics_workspace_id
    msi_auth_for_monitoring_enabled = true
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_policy      = "azure"
    load_balancer_sku   = "standard"
    outbound_type       = "userAssignedNATGateway"
    pod_cidr            = "192.168.0.0/16"
    service_cidr        = "172.16.0.0/16"
    dns_service_ip      = "172.16.0.10"
  }

  depends_on = [azurerm_role_assignment.cluster_network]
}

# On-demand nodes for the services; in development and staging only the on-demand base runs here.
resource "azurerm_kubernetes_cluster_node_pool" "apps" {
  name                    = "apps"
  kubernetes_cluster_id   = azurerm_kubernetes_cluster.main.id
  vm_size                 = var.instance_type
  mode                    = "User"
  vnet_subnet_id          = var.app_subnet_id
  zones                   = var.zones
  auto_scaling_enabled    = true
  min_count               = local.regular_min
  max_count               = var.max_tasks
  host_encryption_enabled = true
  max_pods                = 50
  node_labels             = { workload = "apps" }
  tags                    = var.tags

  upgrade_settings {
    max_surge = "33%"
  }
}

# Spot nodes for the rest of the minimum, evicted when Azure needs the capacity; pods must tolerate the taint.
resource "azurerm_kubernetes_cluster_node_pool" "spot" {
  count                   = local.spot ? 1 : 0
  name                    = "spot"
  kubernetes_cluster_id   = azurerm_kubernetes_cluster.main.id
  vm_size                 = var.instance_type
  mode                    = "User"
  priority                = "Spot"
  eviction_policy         = "Delete"
  spot_max_price          = -1
  vnet_subnet_id          = var.app_subnet_id
  zones                   = var.zones
  auto_scaling_enabled    = true
  min_count               = var.min_tasks - local.regular_min
  max_count               = var.max_tasks
  host_encryption_enabled = true
  max_pods                = 50
  node_labels             = { workload = "apps", "kubernetes.azure.com/scalesetpriority" = "spot" }
  node_taints             = ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]
  tags                    = var.tags
}

resource "azurerm_role_assignment" "pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_kubernetes_cluster.main.kubelet_identity[0].object_id
}

# Workload identity: the pods of service S run as service account S in namespace S and get S's managed identity.
resource "azurerm_federated_identity_credential" "services" {
  for_each            = var.service_identities
  name                = "aks-${each.key}"
  resource_group_name = var.resource_group_name
  parent_id           = each.value.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.main.oidc_issuer_url
  subject             = "system:serviceaccount:${each.key}:${each.key}"
}
