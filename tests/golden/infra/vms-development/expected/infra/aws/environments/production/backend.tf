terraform {
  backend "s3" {
    key            = "blog/production/terraform.tfstate"
    region         = "us-east-1"
    encrypt        = true
    dynamodb_table = "blog-terraform-locks"
  }
}
