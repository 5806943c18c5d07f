output "metric_namespace" {
  value = "AWS/Lambda"
}

output "service_dimensions" {
  value = { for name, function in aws_lambda_function.service : name => { FunctionName = function.function_name } }
}

output "repository_urls" {
  value = { for name, repository in aws_ecr_repository.service : name => repository.repository_url }
}

output "function_role_arns" {
  value = { for name, role in aws_iam_role.function : name => role.arn }
}

output "dead_letter_queue_arns" {
  value = { for name, queue in aws_sqs_queue.dead_letter : name => queue.arn }
}

output "api_names" {
  value = { for name, api in aws_api_gateway_rest_api.service : name => api.name }
}
