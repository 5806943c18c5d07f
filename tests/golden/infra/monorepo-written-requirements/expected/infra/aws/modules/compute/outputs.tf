output "metric_namespace" {
  value = "AWS/ECS"
}

output "service_dimensions" {
  value = { for name, service in aws_ecs_service.service : name => { ClusterName = aws_ecs_cluster.main.name, ServiceName = service.name } }
}

output "repository_urls" {
  value = { for name, repository in aws_ecr_repository.service : name => repository.repository_url }
}

output "task_role_arn" {
  value = aws_iam_role.task.arn
}
