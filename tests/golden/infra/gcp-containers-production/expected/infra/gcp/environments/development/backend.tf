terraform {
  backend "gcs" {
    prefix = "blog/development"
  }
}
