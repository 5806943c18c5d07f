terraform {
  backend "gcs" {
    prefix = "shop/production"
  }
}
