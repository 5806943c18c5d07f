output "metric_namespace" {
  value = "AWS/EC2"
}

output "service_dimensions" {
  value = { for name, group in aws_autoscaling_group.service : name => { AutoScalingGroupName = group.name } }
}

output "repository_urls" {
  value = { for name, repository in aws_ecr_repository.service : name => repository.repository_url }
}

output "instance_role_arn" {
  value = aws_iam_role.instances.arn
}
