region = "eu-west-1"
tags = {
  compliance  = "fedramp+gdpr+sox"
  cost-center = "shop"
  managed-by  = "devops-bot"
  project     = "shop"
  repository  = "acme/shop"
}
