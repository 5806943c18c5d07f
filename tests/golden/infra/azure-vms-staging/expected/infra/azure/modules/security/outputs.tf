output "resource_group_name" {
  value = azurerm_resource_group.main.name
}

output "resource_group_id" {
  value = azurerm_resource_group.main.id
}

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

output "key_vault_id" {
  value = azurerm_key_vault.main.id
}

output "key_vault_uri" {
  value = azurerm_key_vault.main.vault_uri
}

output "key_id" {
  value = azurerm_key_vault_key.main.versionless_id
}

output "key_name" {
  value = azurerm_key_vault_key.main.name
}

output "disk_encryption_set_id" {
  value = azurerm_disk_encryption_set.main.id
}

output "app_secret_id" {
  value = azurerm_key_vault_secret.app.versionless_id
}

output "audit_storage_account_id" {
  value = azurerm_storage_account.audit.id
}

output "service_identities" {
  value = { for name, identity in azurerm_user_assigned_identity.services : name => { id = identity.id, client_id = identity.client_id, principal_id = identity.principal_id } }
}

output "platform_identities" {
  value = { for name, identity in azurerm_user_assigned_identity.platform : name => { id = identity.id, client_id = identity.client_id, principal_id = identity.principal_id } }
}

output "encryption_dependency" {
  description = "The encryption role assignments; resources using the key wait for them"
  value       = [for assignment in azurerm_role_assignment.encryption : assignment.id]
}

output "certificate_secret_id" {
  value = azurerm_key_vault_certificate.public.versionless_secret_id
}
