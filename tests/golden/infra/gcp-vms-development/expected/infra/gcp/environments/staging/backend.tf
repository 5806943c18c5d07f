terraform {
  backend "gcs" {
    prefix = "blog/staging"
  }
}
