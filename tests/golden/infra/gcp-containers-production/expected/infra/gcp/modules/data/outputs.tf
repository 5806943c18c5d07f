output "database_instance" {
  value = google_sql_database_instance.main.name
}

output "database_connection_name" {
  value = google_sql_database_instance.main.connection_name
}

output "database_secret_id" {
  value = google_secret_manager_secret.database.id
}

output "cache_instance" {
  value = google_redis_instance.main.name
}

output "cache_host" {
  value = google_redis_instance.main.host
}
