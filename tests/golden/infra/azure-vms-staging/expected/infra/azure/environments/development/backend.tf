terraform {
  backend "azurerm" {
    resource_group_name = "rg-shop-tfstate"
    container_name      = "tfstate"
    key                 = "shop/development/terraform.tfstate"
    use_azuread_auth    = true
  }
}
