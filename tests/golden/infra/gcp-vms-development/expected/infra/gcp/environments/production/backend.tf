terraform {
  backend "gcs" {
    prefix = "blog/production"
  }
}
