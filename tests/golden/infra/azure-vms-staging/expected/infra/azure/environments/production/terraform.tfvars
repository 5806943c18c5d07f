location                = "eastus"
environment             = "production"
short_name              = "prod"
vnet_cidr               = "10.30.0.0/16"
zones                   = ["1", "2", "3"]
zone_redundant          = true
flow_log_retention_days = 365
log_retention_days      = 365
audit_retention_days    = 2557
image_tag               = "latest"
instance_type           = "Standard_B2ps_v2"
spot_share              = 0
min_tasks               = 2
max_tasks               = 6
storage_replication     = "GZRS"
domain_name             = "shop.example.com"
certificate_issuer      = "Self"
health_check_path       = "/"
admin_ip_ranges         = []
alarm_emails            = []
security_contact_email  = "security@shop.example.com"
monthly_budget          = 1150
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
