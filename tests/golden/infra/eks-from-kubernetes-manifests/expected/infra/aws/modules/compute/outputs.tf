output "metric_namespace" {
  value = "ContainerInsights"
}

output "service_dimensions" {
  value = { for name in keys(var.service_ports) : name => { ClusterName = aws_eks_cluster.main.name, Namespace = var.namespace, Service = name } }
}

output "repository_urls" {
  value = { for name, repository in aws_ecr_repository.service : name => repository.repository_url }
}

output "cluster_name" {
  value = aws_eks_cluster.main.name
}

output "cluster_endpoint" {
  value = aws_eks_cluster.main.endpoint
}

output "service_role_arns" {
  value = { for name, role in aws_iam_role.service : name => role.arn }
}

output "target_group_arns" {
  description = "One TargetGroupBinding per service registers its pods in these."
  value       = var.target_group_arns
}
