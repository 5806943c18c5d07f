location = "eastus"
tags = {
  compliance  = "gdpr+pci_dss"
  cost-center = "blog"
  managed-by  = "devops-bot"
  project     = "blog"
  repository  = "acme/blog"
}
