region = "us-east-1"
tags = {
  compliance  = "pci_dss"
  cost-center = "blog"
  managed-by  = "devops-bot"
  project     = "blog"
  repository  = "acme/blog"
}
