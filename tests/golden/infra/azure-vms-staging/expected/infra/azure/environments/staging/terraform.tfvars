location                = "eastus"
environment             = "staging"
short_name              = "stg"
vnet_cidr               = "10.20.0.0/16"
zones                   = ["1", "2"]
zone_redundant          = false
flow_log_retention_days = 90
log_retention_days      = 90
audit_retention_days    = 365
image_tag               = "latest"
instance_type           = "Standard_B2ps_v2"
spot_share              = 100
min_tasks               = 1
max_tasks               = 3
storage_replication     = "LRS"
domain_name             = "stg.shop.example.com"
certificate_issuer      = "Self"
health_check_path       = "/"
admin_ip_ranges         = []
alarm_emails            = []
security_contact_email  = "security@stg.shop.example.com"
monthly_budget          = 680
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
