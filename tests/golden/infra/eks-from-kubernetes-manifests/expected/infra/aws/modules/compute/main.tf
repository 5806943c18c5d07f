data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  # The minimum and maximum node counts split into on-demand and Spot by the Spot share; a group with no nodes
  # at its maximum is not created.
  spot_min = floor(var.min_nodes * var.spot_share / 100)
  spot_max = ceil(var.max_nodes * var.spot_share / 100)
  node_groups = { for name, group in {
    on-demand = { capacity_type = "ON_DEMAND", min = var.min_nodes - local.spot_min, max = max(var.max_nodes - local.spot_max, var.min_nodes - local.spot_min) }
    spot      = { capacity_type = "SPOT", min = local.spot_min, max = local.spot_max }
  } : name => group if group.max > 0 }
  logs = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
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

# Created before the cluster so EKS writes its control-plane logs here, encrypted and kept for the retention.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "cluster_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name_prefix        = "${var.name}-eks-"
  assume_role_policy = data.aws_iam_policy_document.cluster_trust.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# The control plane encrypts Kubernetes secrets with the project's key (envelope encryption).
data "aws_iam_policy_document" "cluster_key" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "cluster_key" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_key.json
}

resource "aws_security_group" "cluster" {
  name_prefix = "${var.name}-eks-"
  description = "EKS control plane: the Kubernetes API, reachable from the nodes only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "cluster_from_nodes" {
  security_group_id            = aws_security_group.cluster.id
  description                  = "The Kubernetes API from the nodes"
  referenced_security_group_id = var.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

# The API endpoint is private: kubectl and CI reach it from inside the VPC (SSM, VPN or a runner in the VPC).
resource "aws_eks_cluster" "main" {
  name                      = var.name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = local.logs
  vpc_config {
    subnet_ids              = var.private_subnet_ids
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = false
  }
  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = var.kms_key_arn
    }
  }
  access_config {
    authentication_mode = "API"
  }
  depends_on = [aws_cloudwatch_log_group.cluster, aws_iam_role_policy_attachment.cluster, aws_iam_role_policy.cluster_key]
}

data "aws_iam_policy_document" "nodes_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# Nodes join the cluster, pull images and run the VPC CNI; applications get their own roles below.
resource "aws_iam_role" "nodes" {
  name_prefix        = "${var.name}-node-"
  assume_role_policy = data.aws_iam_policy_document.nodes_trust.json
}

resource "aws_iam_role_policy_attachment" "nodes" {
  for_each   = toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"])
  role       = aws_iam_role.nodes.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

resource "aws_launch_template" "nodes" {
  name_prefix            = "${var.name}-node-"
  vpc_security_group_ids = [var.security_group_id, aws_eks_cluster.main.vpc_config[0].cluster_security_group_id]
  ebs_optimized          = true
  # IMDSv2 only, one hop: pods get credentials from Pod Identity, never from the node's role.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  monitoring {
    enabled = true
  }
  # Encrypted with the account's aws/ebs key: a customer key would need a key-policy grant to the Auto Scaling
  # service-linked role, which does not exist in a new account when the key is created.
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 20
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }
  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "${var.name}-node"
    }
  }
}

resource "aws_eks_node_group" "main" {
  for_each        = local.node_groups
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = each.key
  node_role_arn   = aws_iam_role.nodes.arn
  subnet_ids      = var.private_subnet_ids
  ami_type        = "AL2023_ARM_64_STANDARD"
  capacity_type   = each.value.capacity_type
  instance_types  = [var.node_instance_type]
  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }
  scaling_config {
    min_size     = each.value.min
    desired_size = each.value.min
    max_size     = each.value.max
  }
  update_config {
    max_unavailable = 1
  }
  labels = {
    capacity = lower(each.value.capacity_type)
  }
  # The cluster autoscaler (or a person) owns the desired size after the first apply.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }
  depends_on = [aws_iam_role_policy_attachment.nodes]
}

data "aws_iam_policy_document" "pods_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_eks_addon" "main" {
  for_each                    = toset(["eks-pod-identity-agent", "vpc-cni", "coredns", "kube-proxy"])
  cluster_name                = aws_eks_cluster.main.name
  addon_name                  = each.value
  resolve_conflicts_on_update = "OVERWRITE"
  depends_on                  = [aws_eks_node_group.main]
}

# The EBS CSI driver creates encrypted volumes for persistent volume claims through its own role.
resource "aws_iam_role" "ebs_csi" {
  name_prefix        = "${var.name}-ebs-csi-"
  assume_role_policy = data.aws_iam_policy_document.pods_trust.json
}

resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.ebs_csi.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

resource "aws_eks_addon" "ebs_csi" {
  cluster_name                = aws_eks_cluster.main.name
  addon_name                  = "aws-ebs-csi-driver"
  resolve_conflicts_on_update = "OVERWRITE"
  pod_identity_association {
    role_arn        = aws_iam_role.ebs_csi.arn
    service_account = "ebs-csi-controller-sa"
  }
  depends_on = [aws_eks_addon.main]
}

# Container Insights: the pod CPU and memory metrics the observability module alarms on.
# Its agent and Fluent Bit write into these groups; made here first, they are encrypted and kept for the retention
# (the add-on would create missing groups unencrypted and kept forever). AL2023 nodes send no dataplane or host
# logs unless the add-on's configuration turns them on.
resource "aws_cloudwatch_log_group" "container_insights" {
  for_each          = toset(["application", "dataplane", "host", "performance"])
  name              = "/aws/containerinsights/${var.name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "cloudwatch_agent" {
  name_prefix        = "${var.name}-cw-agent-"
  assume_role_policy = data.aws_iam_policy_document.pods_trust.json
}

resource "aws_iam_role_policy_attachment" "cloudwatch_agent" {
  role       = aws_iam_role.cloudwatch_agent.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/CloudWatchAgentServerPolicy"
}

resource "aws_eks_addon" "observability" {
  cluster_name                = aws_eks_cluster.main.name
  addon_name                  = "amazon-cloudwatch-observability"
  resolve_conflicts_on_update = "OVERWRITE"
  pod_identity_association {
    role_arn        = aws_iam_role.cloudwatch_agent.arn
    service_account = "cloudwatch-agent"
  }
  depends_on = [aws_eks_addon.main, aws_cloudwatch_log_group.container_insights]
}

# One role per service, for the pods of its Kubernetes service account in the application namespace.
resource "aws_iam_role" "service" {
  for_each           = var.service_ports
  name_prefix        = "${var.name}-pod-"
  assume_role_policy = data.aws_iam_policy_document.pods_trust.json
}

data "aws_iam_policy_document" "service" {
  for_each = var.service_ports
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

resource "aws_iam_role_policy" "service" {
  for_each = var.service_ports
  name     = "application"
  role     = aws_iam_role.service[each.key].id
  policy   = data.aws_iam_policy_document.service[each.key].json
}

resource "aws_eks_pod_identity_association" "service" {
  for_each        = var.service_ports
  cluster_name    = aws_eks_cluster.main.name
  namespace       = var.namespace
  service_account = each.key
  role_arn        = aws_iam_role.service[each.key].arn
  depends_on      = [aws_eks_addon.main]
}

# The load balancer, its listener and WAF stay in the network module; the AWS Load Balancer Controller only
# registers pod IPs in their existing target groups (TargetGroupBinding), so it may not create load balancers.
resource "aws_iam_role" "load_balancer_controller" {
  name_prefix        = "${var.name}-lbc-"
  assume_role_policy = data.aws_iam_policy_document.pods_trust.json
}

data "aws_iam_policy_document" "load_balancer_controller" {
  statement {
    sid       = "Describe"
    actions   = ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTags", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]
    resources = ["*"]
  }
  statement {
    sid       = "RegisterPods"
    actions   = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
    resources = values(var.target_group_arns)
  }
}

resource "aws_iam_role_policy" "load_balancer_controller" {
  name   = "target-group-binding"
  role   = aws_iam_role.load_balancer_controller.id
  policy = data.aws_iam_policy_document.load_balancer_controller.json
}

resource "aws_eks_pod_identity_association" "load_balancer_controller" {
  cluster_name    = aws_eks_cluster.main.name
  namespace       = "kube-system"
  service_account = "aws-load-balancer-controller"
  role_arn        = aws_iam_role.load_balancer_controller.arn
  depends_on      = [aws_eks_addon.main]
}
