region = "us-east-1"
tags = {
  compliance  = "hipaa+pci_dss"
  cost-center = "shop"
  managed-by  = "devops-bot"
  project     = "shop"
  repository  = "acme/shop"
}
