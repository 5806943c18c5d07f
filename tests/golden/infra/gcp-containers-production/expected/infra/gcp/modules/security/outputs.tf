output "kms_key_id" {
  value      = google_kms_crypto_key.main.id
  depends_on = [google_kms_crypto_key_iam_member.agents]
}

output "service_accounts" {
  value = { for name, account in google_service_account.service : name => account.email }
}

output "app_secret_id" {
  value = google_secret_manager_secret.app.id
}

output "project_number" {
  value = data.google_project.current.number
}
