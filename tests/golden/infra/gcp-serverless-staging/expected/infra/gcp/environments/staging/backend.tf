terraform {
  backend "gcs" {
    prefix = "shop/staging"
  }
}
