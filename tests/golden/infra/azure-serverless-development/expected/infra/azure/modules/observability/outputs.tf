output "action_group_id" {
  value = azurerm_monitor_action_group.main.id
}
