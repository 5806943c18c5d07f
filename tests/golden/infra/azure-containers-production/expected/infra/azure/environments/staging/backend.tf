terraform {
  backend "azurerm" {
    resource_group_name = "rg-blog-tfstate"
    container_name      = "tfstate"
    key                 = "blog/staging/terraform.tfstate"
    use_azuread_auth    = true
  }
}
