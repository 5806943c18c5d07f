region = "us-east-1"
tags = {
  compliance  = "none"
  cost-center = "api"
  managed-by  = "devops-bot"
  project     = "api"
  repository  = "acme/api"
}
