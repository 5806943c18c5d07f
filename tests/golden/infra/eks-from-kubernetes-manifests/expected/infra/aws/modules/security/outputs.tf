output "kms_key_arn" {
  value = aws_kms_key.main.arn
}

output "audit_bucket" {
  value = aws_s3_bucket.audit.id
}

output "audit_bucket_arn" {
  value = aws_s3_bucket.audit.arn
}

output "app_secret_arn" {
  value = aws_secretsmanager_secret.app.arn
}

output "security_topic_arn" {
  value = aws_sns_topic.security.arn
}
