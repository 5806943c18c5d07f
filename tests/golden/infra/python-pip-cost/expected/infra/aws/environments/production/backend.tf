terraform {
  backend "s3" {
    key            = "api/production/terraform.tfstate"
    region         = "us-east-1"
    encrypt        = true
    dynamodb_table = "api-terraform-locks"
  }
}
