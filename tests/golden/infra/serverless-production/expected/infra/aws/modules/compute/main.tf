data "aws_region" "current" {}

data "aws_partition" "current" {}

# Images, not zip files: the services are containers (a Dockerfile each); the AWS Lambda Web Adapter in the image
# turns API Gateway events into HTTP requests on the service's port, so the same image runs on ECS or Lambda.
resource "aws_ecr_repository" "service" {
  for_each             = var.service_ports
  name                 = "${var.name}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "service" {
  for_each   = aws_ecr_repository.service
  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 50 images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 50
      }
      action = { type = "expire" }
    }]
  })
}

# Lambda pulls the image itself, for this account's functions only.
data "aws_iam_policy_document" "pull" {
  for_each = aws_ecr_repository.service
  statement {
    sid     = "LambdaPulls"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:sourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${each.value.registry_id}:function:${var.name}-${each.key}"]
    }
  }
}

resource "aws_ecr_repository_policy" "service" {
  for_each   = aws_ecr_repository.service
  repository = each.value.name
  policy     = data.aws_iam_policy_document.pull[each.key].json
}

resource "aws_cloudwatch_log_group" "service" {
  for_each          = var.service_ports
  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# Failed asynchronous invocations land here instead of disappearing.
resource "aws_sqs_queue" "dead_letter" {
  for_each                  = var.service_ports
  name                      = "${var.name}-${each.key}-dlq"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600
}

data "aws_iam_policy_document" "functions_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# One role per function: its own log group and dead-letter queue, the secrets, and the application's data.
resource "aws_iam_role" "function" {
  for_each           = var.service_ports
  name_prefix        = "${var.name}-fn-"
  assume_role_policy = data.aws_iam_policy_document.functions_trust.json
}

# Network interfaces in the private subnets and X-Ray segments: AWS's managed policies for exactly these.
resource "aws_iam_role_policy_attachment" "vpc_access" {
  for_each   = aws_iam_role.function
  role       = each.value.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "tracing" {
  for_each   = aws_iam_role.function
  role       = each.value.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

data "aws_iam_policy_document" "function" {
  for_each = var.service_ports
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.service[each.key].arn}:*"]
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter[each.key].arn]
  }
  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.secret_arns
  }
  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  dynamic "statement" {
    for_each = var.bucket_arn == null ? [] : [var.bucket_arn]
    content {
      sid       = "AppBucket"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
      resources = [statement.value, "${statement.value}/*"]
    }
  }
  dynamic "statement" {
    for_each = length(var.queue_arns) == 0 ? [] : [var.queue_arns]
    content {
      sid       = "AppQueues"
      actions   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      resources = statement.value
    }
  }
  dynamic "statement" {
    for_each = var.cache_user_group_arn == null ? [] : [var.cache_user_group_arn]
    content {
      sid       = "CacheIamAuth"
      actions   = ["elasticache:Connect"]
      resources = [statement.value, var.cache_arn]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = var.service_ports
  name     = "application"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.function[each.key].json
}

resource "aws_lambda_function" "service" {
  for_each                       = var.service_ports
  function_name                  = "${var.name}-${each.key}"
  role                           = aws_iam_role.function[each.key].arn
  package_type                   = "Image"
  image_uri                      = "${aws_ecr_repository.service[each.key].repository_url}:${var.image_tag}"
  architectures                  = ["arm64"]
  memory_size                    = var.function_memory
  timeout                        = 28 # API Gateway gives up after 29 seconds
  reserved_concurrent_executions = var.reserved_concurrency
  publish                        = true
  kms_key_arn                    = var.kms_key_arn
  environment {
    variables = merge(var.environment, { PORT = tostring(each.value), APP_SECRET_ARN = var.secret_arns[0] })
  }
  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [var.security_group_id]
  }
  tracing_config {
    mode = "Active"
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letter[each.key].arn
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.service[each.key].name
  }
  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy_attachment.vpc_access, aws_ecr_repository_policy.service]
}

# Callers use the alias, so provisioned concurrency (warm instances) follows each published version.
resource "aws_lambda_alias" "live" {
  for_each         = aws_lambda_function.service
  name             = "live"
  function_name    = each.value.function_name
  function_version = each.value.version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  for_each                          = var.provisioned_concurrency > 0 ? aws_lambda_alias.live : {}
  function_name                     = each.value.function_name
  qualifier                         = each.value.name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

# REST API rather than HTTP API: AWS WAF attaches to REST API stages and load balancers, not to HTTP APIs, and the
# public endpoint gets the same managed rules the load balancer's web ACL has on the other compute types.
resource "aws_api_gateway_rest_api" "service" {
  for_each                     = var.service_ports
  name                         = "${var.name}-${each.key}"
  disable_execute_api_endpoint = true # only the custom domain, behind the certificate and WAF
  endpoint_configuration {
    types = ["REGIONAL"]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "proxy" {
  for_each    = aws_api_gateway_rest_api.service
  rest_api_id = each.value.id
  parent_id   = each.value.root_resource_id
  path_part   = "{proxy+}"
}

locals {
  # Every path of every API, the root and {proxy+}, goes to the function; the application routes and authenticates.
  routes = merge(
    { for name, api in aws_api_gateway_rest_api.service : "${name}/root" => { service = name, resource_id = api.root_resource_id } },
    { for name, resource in aws_api_gateway_resource.proxy : "${name}/proxy" => { service = name, resource_id = resource.id } },
  )
}

resource "aws_api_gateway_method" "service" {
  for_each      = local.routes
  rest_api_id   = aws_api_gateway_rest_api.service[each.value.service].id
  resource_id   = each.value.resource_id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "service" {
  for_each                = aws_api_gateway_method.service
  rest_api_id             = each.value.rest_api_id
  resource_id             = each.value.resource_id
  http_method             = each.value.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_alias.live[local.routes[each.key].service].invoke_arn
}

resource "aws_lambda_permission" "api" {
  for_each      = aws_api_gateway_rest_api.service
  statement_id  = "ApiGatewayInvokes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_alias.live[each.key].function_name
  qualifier     = aws_lambda_alias.live[each.key].name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${each.value.execution_arn}/*/*"
}

resource "aws_api_gateway_deployment" "service" {
  for_each    = aws_api_gateway_rest_api.service
  rest_api_id = each.value.id
  triggers = {
    redeployment = sha1(jsonencode([for key, integration in aws_api_gateway_integration.service : integration.uri if startswith(key, "${each.key}/")]))
  }
  lifecycle {
    create_before_destroy = true
  }
  depends_on = [aws_api_gateway_integration.service]
}

# API Gateway writes its logs through one CloudWatch role per account and region.
data "aws_iam_policy_document" "api_logs_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_logs" {
  name_prefix        = "${var.name}-apigw-"
  assume_role_policy = data.aws_iam_policy_document.api_logs_trust.json
}

resource "aws_iam_role_policy_attachment" "api_logs" {
  role       = aws_iam_role.api_logs.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "main" {
  cloudwatch_role_arn = aws_iam_role.api_logs.arn
  depends_on          = [aws_iam_role_policy_attachment.api_logs]
}

resource "aws_cloudwatch_log_group" "api" {
  for_each          = var.service_ports
  name              = "/aws/apigateway/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_api_gateway_stage" "live" {
  for_each             = aws_api_gateway_deployment.service
  rest_api_id          = each.value.rest_api_id
  deployment_id        = each.value.id
  stage_name           = "live"
  xray_tracing_enabled = true
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api[each.key].arn
    format = jsonencode({
      requestId = "$context.requestId"
      ip        = "$context.identity.sourceIp"
      time      = "$context.requestTime"
      method    = "$context.httpMethod"
      path      = "$context.path"
      status    = "$context.status"
      latency   = "$context.responseLatency"
      waf       = "$context.waf.status"
      error     = "$context.integrationErrorMessage"
    })
  }
  depends_on = [aws_api_gateway_account.main]
}

# Throttling per environment; caching stays off because the responses are the application's dynamic pages.
resource "aws_api_gateway_method_settings" "all" {
  for_each    = aws_api_gateway_stage.live
  rest_api_id = each.value.rest_api_id
  stage_name  = each.value.stage_name
  method_path = "*/*"
  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    caching_enabled        = false
    cache_data_encrypted   = true
    throttling_rate_limit  = var.api_rate_limit
    throttling_burst_limit = var.api_burst_limit
  }
}

resource "aws_wafv2_web_acl" "main" {
  name  = "${var.name}-public"
  scope = "REGIONAL"
  default_action {
    allow {}
  }
  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 0
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesCommonRuleSet"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "AWSManagedRulesAmazonIpReputationList"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesAmazonIpReputationList"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "AWSManagedRulesSQLiRuleSet"
    priority = 3
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesSQLiRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesSQLiRuleSet"
      sampled_requests_enabled   = true
    }
  }
  rule {
    name     = "AWSManagedRulesAnonymousIpList"
    priority = 4
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAnonymousIpList"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesAnonymousIpList"
      sampled_requests_enabled   = true
    }
  }
  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-public"
    sampled_requests_enabled   = true
  }
}

# WAF requires the aws-waf-logs- prefix on its log group.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "main" {
  resource_arn            = aws_wafv2_web_acl.main.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]
}

resource "aws_wafv2_web_acl_association" "api" {
  for_each     = aws_api_gateway_stage.live
  resource_arn = each.value.arn
  web_acl_arn  = aws_wafv2_web_acl.main.arn
}

resource "aws_api_gateway_domain_name" "service" {
  for_each                 = var.service_ports
  domain_name              = each.key == var.default_service ? var.domain_name : "${each.key}.${var.domain_name}"
  regional_certificate_arn = var.certificate_arn
  security_policy          = "TLS_1_2"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "service" {
  for_each    = aws_api_gateway_domain_name.service
  domain_name = each.value.domain_name
  api_id      = aws_api_gateway_rest_api.service[each.key].id
  stage_name  = aws_api_gateway_stage.live[each.key].stage_name
}

resource "aws_route53_record" "service" {
  for_each = aws_api_gateway_domain_name.service
  zone_id  = var.zone_id
  name     = each.value.domain_name
  type     = "A"
  alias {
    name                   = each.value.regional_domain_name
    zone_id                = each.value.regional_zone_id
    evaluate_target_health = false
  }
}
