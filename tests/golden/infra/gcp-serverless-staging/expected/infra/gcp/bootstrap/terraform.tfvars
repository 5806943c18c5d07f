project_id = "shop-tfstate"
region     = "europe-west1"
labels = {
  compliance  = "fedramp_gdpr_sox"
  cost-center = "shop"
  managed-by  = "devops-bot"
  project     = "shop"
  repository  = "acme_shop"
}
