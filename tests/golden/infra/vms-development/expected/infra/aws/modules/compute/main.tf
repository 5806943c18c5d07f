data "aws_region" "current" {}

# The latest Amazon Linux 2023 for ARM (Graviton), published by AWS in SSM.
data "aws_ssm_parameter" "ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

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

resource "aws_cloudwatch_log_group" "service" {
  for_each          = var.service_ports
  name              = "/ecs/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "instances_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# Instances pull their own images, write their own logs and read their own secrets; shell access is through SSM.
resource "aws_iam_role" "instances" {
  name_prefix        = "${var.name}-vm-"
  assume_role_policy = data.aws_iam_policy_document.instances_trust.json
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.instances.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "instances" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullImages"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [for repository in aws_ecr_repository.service : repository.arn]
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for group in aws_cloudwatch_log_group.service : "${group.arn}:*"]
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

resource "aws_iam_role_policy" "instances" {
  name   = "application"
  role   = aws_iam_role.instances.id
  policy = data.aws_iam_policy_document.instances.json
}

resource "aws_iam_instance_profile" "instances" {
  name_prefix = "${var.name}-vm-"
  role        = aws_iam_role.instances.name
}

resource "aws_launch_template" "service" {
  for_each               = var.service_ports
  name_prefix            = "${var.name}-${each.key}-"
  image_id               = data.aws_ssm_parameter.ami.value
  instance_type          = var.instance_type
  vpc_security_group_ids = [var.security_group_id]
  ebs_optimized          = true
  iam_instance_profile {
    arn = aws_iam_instance_profile.instances.arn
  }
  # IMDSv2 only, one hop: the container uses the host network, so it reaches the instance role and nothing further.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  monitoring {
    enabled = true
  }
  # Encrypted with the account's aws/ebs key: a customer key would need a key-policy grant to the Auto Scaling
  # service-linked role, which does not exist in a new account when the key is created, and no instance would start.
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 20
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }
  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y docker
    systemctl enable --now docker
    registry="${split("/", aws_ecr_repository.service[each.key].repository_url)[0]}"
    aws ecr get-login-password --region ${data.aws_region.current.name} | docker login --username AWS --password-stdin "$registry"
    docker run -d --restart always --read-only --network host -e PORT=${each.value} -e APP_ENV=${var.environment["APP_ENV"]} \
      --log-driver awslogs --log-opt awslogs-group=${aws_cloudwatch_log_group.service[each.key].name} \
      --log-opt awslogs-region=${data.aws_region.current.name} \
      "${aws_ecr_repository.service[each.key].repository_url}:${var.image_tag}"
  EOT
  )
  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "${var.name}-${each.key}"
    }
  }
}

resource "aws_autoscaling_group" "service" {
  for_each                  = var.service_ports
  name_prefix               = "${var.name}-${each.key}-"
  vpc_zone_identifier       = var.private_subnet_ids
  min_size                  = var.min_tasks
  max_size                  = var.max_tasks
  health_check_type         = var.target_group_arns == null ? "EC2" : "ELB"
  health_check_grace_period = 180
  target_group_arns         = var.target_group_arns == null ? [] : [var.target_group_arns[each.key]]
  mixed_instances_policy {
    instances_distribution {
      on_demand_base_capacity                  = var.on_demand_base
      on_demand_percentage_above_base_capacity = 100 - var.spot_share
      spot_allocation_strategy                 = "price-capacity-optimized"
    }
    launch_template {
      launch_template_specification {
        launch_template_id = aws_launch_template.service[each.key].id
        version            = aws_launch_template.service[each.key].latest_version
      }
    }
  }
  # A new launch template version (a new image_tag) changes the policy above and starts this refresh.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 50
    }
  }
  tag {
    key                 = "Name"
    value               = "${var.name}-${each.key}"
    propagate_at_launch = true
  }
}

resource "aws_autoscaling_policy" "cpu" {
  for_each               = aws_autoscaling_group.service
  name                   = "${each.key}-cpu"
  autoscaling_group_name = each.value.name
  policy_type            = "TargetTrackingScaling"
  target_tracking_configuration {
    target_value = 60
    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
  }
}
