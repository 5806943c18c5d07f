output "database_endpoint" {
  value = aws_db_instance.main.endpoint
}

output "database_identifier" {
  value = aws_db_instance.main.identifier
}

output "database_secret_arn" {
  value = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "cache_endpoint" {
  value = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "cache_id" {
  value = aws_elasticache_replication_group.main.id
}

output "cache_arn" {
  value = aws_elasticache_replication_group.main.arn
}

output "cache_user_group_arn" {
  value = aws_elasticache_user_group.main.arn
}
