terraform {
  backend "s3" {
    key            = "blog/staging/terraform.tfstate"
    region         = "us-east-1"
    encrypt        = true
    dynamodb_table = "blog-terraform-locks"
  }
}
