terraform {
  backend "s3" {
    key            = "shop/production/terraform.tfstate"
    region         = "us-east-1"
    encrypt        = true
    dynamodb_table = "shop-terraform-locks"
  }
}
