location                = "eastus"
environment             = "development"
short_name              = "dev"
vnet_cidr               = "10.10.0.0/16"
zones                   = ["1", "2"]
zone_redundant          = false
flow_log_retention_days = 30
log_retention_days      = 30
audit_retention_days    = 90
image_tag               = "latest"
instance_type           = "Standard_B2pls_v2"
spot_share              = 100
min_tasks               = 1
max_tasks               = 2
storage_replication     = "LRS"
domain_name             = "dev.shop.example.com"
certificate_issuer      = "Self"
health_check_path       = "/"
admin_ip_ranges         = []
alarm_emails            = []
security_contact_email  = "security@dev.shop.example.com"
monthly_budget          = 660
private_dns_zones = {
  blob     = "privatelink.blob.core.windows.net"
  registry = "privatelink.azurecr.io"
  vault    = "privatelink.vaultcore.azure.net"
}
service_ports = {
  shop = 8080
}
tags = {
  compliance  = "none"
  cost-center = "shop"
  managed-by  = "devops-bot"
  project     = "shop"
  repository  = "acme/shop"
}
