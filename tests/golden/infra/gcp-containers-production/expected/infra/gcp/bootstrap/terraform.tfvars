project_id = "blog-tfstate"
region     = "us-central1"
labels = {
  compliance  = "hipaa_pci_dss"
  cost-center = "blog"
  managed-by  = "devops-bot"
  project     = "blog"
  repository  = "acme_blog"
}
