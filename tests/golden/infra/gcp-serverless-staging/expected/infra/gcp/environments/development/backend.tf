terraform {
  backend "gcs" {
    prefix = "shop/development"
  }
}
