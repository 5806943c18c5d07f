output "workspace_id" {
  value = azurerm_log_analytics_workspace.main.id
}

output "workspace_guid" {
  value = azurerm_log_analytics_workspace.main.workspace_id
}

output "application_insights_connection_string" {
  value     = azurerm_application_insights.main.connection_string
  sensitive = true
}

output "action_group_id" {
  value = azurerm_monitor_action_group.main.id
}
