output "database_endpoint" {
  value = aws_db_instance.main.endpoint
}

output "database_identifier" {
  value = aws_db_instance.main.identifier
}

output "database_secret_arn" {
  value = aws_db_instance.main.master_user_secret[0].secret_arn
}
