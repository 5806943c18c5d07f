location = "eastus"
tags = {
  compliance  = "hipaa"
  cost-center = "blog"
  managed-by  = "devops-bot"
  project     = "blog"
  repository  = "acme/blog"
}
