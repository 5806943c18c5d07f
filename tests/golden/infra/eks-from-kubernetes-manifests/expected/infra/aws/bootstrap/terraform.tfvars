region = "us-east-1"
tags = {
  compliance  = "sox"
  cost-center = "shop"
  managed-by  = "devops-bot"
  project     = "shop"
  repository  = "acme/shop"
}
