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

output "bucket" {
  value = google_storage_bucket.app.name
}

output "topics" {
  value = { for name, topic in google_pubsub_topic.queue : name => topic.name }
}

output "subscriptions" {
  value = { for name, subscription in google_pubsub_subscription.queue : name => subscription.name }
}
