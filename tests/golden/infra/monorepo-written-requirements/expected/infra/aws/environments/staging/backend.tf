terraform {
  backend "s3" {
    key            = "shop/staging/terraform.tfstate"
    region         = "eu-west-1"
    encrypt        = true
    dynamodb_table = "shop-terraform-locks"
  }
}
