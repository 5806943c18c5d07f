location = "eastus"
tags = {
  compliance  = "none"
  cost-center = "shop"
  managed-by  = "devops-bot"
  project     = "shop"
  repository  = "acme/shop"
}
