"""modules/compute.yaml: ECS on Fargate (with a Fargate Spot share), or for vms a launch template and Auto Scaling
group per service running its container image; ECR repositories, logs, least-privilege roles and CPU scaling.
EKS (cfn_eks.py) and serverless (cfn_serverless.py) build their templates from this module's parts."""

from __future__ import annotations

from typing import Any

from generators.infra import cfn_parts as p
from generators.infra.cfn_network import load_balanced
from generators.infra.cost import ROOT_VOLUME_GB
from generators.infra.model import InfraDesign

TARGET_CPU = 60
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
ACCESS = {"bucket": "HasBucket", "queues": "HasQueues", "cache": "HasCache"}


def service_ids(design: InfraDesign) -> list[tuple[str, str, int]]:
    """(logical id, name, port) of every service."""
    return [(p.logical_id(service.name), service.name, service.port) for service in design.services]


def _parameters(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "Name": p.text("Prefix of every resource name."), "Environment": p.text("development, staging or production."),
        "ImageTag": p.text("Tag of the images to run (tags are immutable)."),
        "MinTasks": p.number("Fewest tasks (or instances) per service.", 1),
        "MaxTasks": p.number("Most tasks (or instances) per service.", 1),
        "OnDemandBase": p.number("Tasks (or instances) per service that always run on demand."),
        "LogRetentionDays": p.number("Days the services' logs are kept.", 1),
        "KmsKeyArn": p.text("Key of the images, logs and secrets."),
        "SecretArns": p.id_list("Secrets the services read: the application's first."),
        "PrivateSubnetIds": p.id_list("Subnets of the services."),
        "SecurityGroupId": p.text("Security group of the services."),
    }
    if design.orchestrator == "asg":
        parameters["InstanceType"] = p.text("EC2 instance type of every service.")
        parameters["OnDemandPercentage"] = p.number("Percent of instances above the base that run on demand.", 0, 100)
        parameters["ImageId"] = {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": AMI_PARAMETER,
                                 "Description": "The latest Amazon Linux 2023 for ARM (Graviton), published by AWS."}
    else:
        parameters["TaskCpu"] = p.number("Fargate CPU units per task (1024 = 1 vCPU).", 256)
        parameters["TaskMemory"] = p.number("MiB of memory per task.", 512)
        parameters["OnDemandWeight"] = p.number("Weight of on-demand Fargate above the base.", 0, 100)
        parameters["SpotWeight"] = p.number("Weight of Fargate Spot above the base.", 0, 100)
    return {**parameters, **wired_parameters(design, wiring)}


def wired_parameters(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    """The target groups and data stores the compute module receives from the other modules."""
    parameters: dict[str, Any] = {}
    if load_balanced(design):
        for ident, name, _ in service_ids(design):
            parameters[f"TargetGroup{ident}"] = p.text(f"Target group of {name}.")
    if wiring["bucket"]:
        parameters["BucketArn"] = p.text("The application's bucket.")
    if wiring["queues"]:
        parameters["QueueArns"] = p.id_list("The application's queues.")
    if wiring["cache"]:
        parameters["CacheUserGroupArn"] = p.text("The cache's user group (IAM authentication).")
        parameters["CacheArn"] = p.text("The cache's replication group.")
    return parameters


def repositories(design: InfraDesign) -> dict[str, Any]:
    """One immutable, scanned, KMS-encrypted ECR repository per service that keeps its last 50 images."""
    lifecycle = ('{"rules": [{"rulePriority": 1, "description": "Keep the last 50 images", "selection": '
                 '{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50}, '
                 '"action": {"type": "expire"}}]}')
    return {f"Repository{ident}": {"Type": "AWS::ECR::Repository", **p.RETAIN, "Properties": {
        "RepositoryName": p.sub(f"${{Name}}/{name}"), "ImageTagMutability": "IMMUTABLE",
        "ImageScanningConfiguration": {"ScanOnPush": True},
        "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": p.ref("KmsKeyArn")},
        "LifecyclePolicy": {"LifecyclePolicyText": lifecycle}}} for ident, name, _ in service_ids(design)}


def repository_outputs(design: InfraDesign) -> dict[str, Any]:
    """RepositoryUri<service> outputs (the parent stack passes them on)."""
    return {f"RepositoryUri{ident}": p.output(p.get_att(f"Repository{ident}", "RepositoryUri"),
                                              f"Push {name}'s images here.") for ident, name, _ in service_ids(design)}


def _images_and_logs(design: InfraDesign) -> dict[str, Any]:
    images = repositories(design)
    prefix = "/ecs" if design.orchestrator == "ecs" else "/ec2"
    resources: dict[str, Any] = {}
    for ident, name, _ in service_ids(design):
        resources[f"Repository{ident}"] = images[f"Repository{ident}"]
        resources[f"LogGroup{ident}"] = p.log_group(p.sub(f"{prefix}/${{Name}}/{name}"), p.ref("LogRetentionDays"),
                                                    p.ref("KmsKeyArn"))
    return resources


def application_statements(design: InfraDesign, wiring: dict[str, bool]) -> list[Any]:
    """What the application code may do: its own bucket, queues and cache, through the key."""
    statements: list[Any] = [p.allow("UseKey", ["kms:Decrypt", "kms:GenerateDataKey"], p.ref("KmsKeyArn"))]
    if wiring["bucket"]:
        statements.append(p.allow("AppBucket", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                                  [p.ref("BucketArn"), p.sub("${BucketArn}/*")]))
    if wiring["queues"]:
        statements.append(p.allow("AppQueues", ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
                                  p.ref("QueueArns")))
    if wiring["cache"]:
        statements.append(p.allow("CacheIamAuth", ["elasticache:Connect"],
                                  [p.ref("CacheUserGroupArn"), p.ref("CacheArn")]))
    return statements


def _runtime_statements(design: InfraDesign) -> list[Any]:
    """Pull the services' own images, write their own logs, read their own secrets."""
    ids = [ident for ident, _, _ in service_ids(design)]
    return [p.allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
            p.allow("PullImages", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                   "ecr:GetDownloadUrlForLayer"], [p.get_att(f"Repository{i}", "Arn") for i in ids]),
            p.allow("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [p.sub(f"${{LogGroup{i}.Arn}}:*") for i in ids]),
            p.allow("ReadSecrets", ["secretsmanager:GetSecretValue"], p.ref("SecretArns"))]


def _ecs(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    tasks_trust = p.trust("ecs-tasks.amazonaws.com")
    resources: dict[str, Any] = {
        "ExecLogGroup": p.log_group(p.sub("/ecs/${Name}/exec"), p.ref("LogRetentionDays"), p.ref("KmsKeyArn")),
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {
            "ClusterName": p.ref("Name"), "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
            "Configuration": {"ExecuteCommandConfiguration": {
                "KmsKeyId": p.ref("KmsKeyArn"), "Logging": "OVERRIDE", "LogConfiguration": {
                    "CloudWatchEncryptionEnabled": True, "CloudWatchLogGroupName": p.ref("ExecLogGroup")}}}}},
        "CapacityProviders": {"Type": "AWS::ECS::ClusterCapacityProviderAssociations", "Properties": {
            "Cluster": p.ref("Cluster"), "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
            "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}]}},
        # The execution role pulls images, writes logs and reads the secrets the task definitions name.
        "ExecutionRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": tasks_trust, "Policies": [p.policy("execution", [
                *_runtime_statements(design), p.allow("Decrypt", ["kms:Decrypt"], p.ref("KmsKeyArn"))])]}},
        "TaskRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": tasks_trust,
            "Policies": [p.policy("application", application_statements(design, wiring))]}},
    }
    for ident, name, port in service_ids(design):
        container = {
            "Name": name, "Image": p.sub(f"${{Repository{ident}.RepositoryUri}}:${{ImageTag}}"), "Essential": True,
            "ReadonlyRootFilesystem": True, "PortMappings": [{"ContainerPort": port, "Protocol": "tcp"}],
            "Environment": [{"Name": "APP_ENV", "Value": p.ref("Environment")}],
            "Secrets": [{"Name": "APP_SECRETS", "ValueFrom": {"Fn::Select": [0, p.ref("SecretArns")]}}],
            "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                "awslogs-group": p.ref(f"LogGroup{ident}"), "awslogs-region": p.ref("AWS::Region"),
                "awslogs-stream-prefix": name}}}
        resources[f"TaskDefinition{ident}"] = {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "Family": p.sub(f"${{Name}}-{name}"), "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc",
            "Cpu": p.ref("TaskCpu"), "Memory": p.ref("TaskMemory"),
            "ExecutionRoleArn": p.get_att("ExecutionRole", "Arn"), "TaskRoleArn": p.get_att("TaskRole", "Arn"),
            "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "ARM64"},
            "ContainerDefinitions": [container]}}
        service: dict[str, Any] = {
            "ServiceName": name, "Cluster": p.ref("Cluster"), "TaskDefinition": p.ref(f"TaskDefinition{ident}"),
            "DesiredCount": p.ref("MinTasks"), "EnableExecuteCommand": False, "PropagateTags": "SERVICE",
            "CapacityProviderStrategy": [
                {"CapacityProvider": "FARGATE", "Weight": p.ref("OnDemandWeight"), "Base": p.ref("OnDemandBase")},
                {"CapacityProvider": "FARGATE_SPOT", "Weight": p.ref("SpotWeight"), "Base": 0}],
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "Subnets": p.ref("PrivateSubnetIds"), "SecurityGroups": [p.ref("SecurityGroupId")],
                "AssignPublicIp": "DISABLED"}},
            "DeploymentConfiguration": {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}}
        if design.public:
            service["LoadBalancers"] = [{"TargetGroupArn": p.ref(f"TargetGroup{ident}"), "ContainerName": name,
                                         "ContainerPort": port}]
        resources[f"Service{ident}"] = {"Type": "AWS::ECS::Service", "DependsOn": "CapacityProviders",
                                        "Properties": service}
        resources[f"ScalableTarget{ident}"] = {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
            "ResourceId": p.sub(f"service/${{Cluster}}/${{Service{ident}.Name}}"),
            "MinCapacity": p.ref("MinTasks"), "MaxCapacity": p.ref("MaxTasks")}}
        resources[f"CpuScaling{ident}"] = {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
            "PolicyName": f"{name}-cpu", "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": p.ref(f"ScalableTarget{ident}"),
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": TARGET_CPU, "ScaleInCooldown": 300, "ScaleOutCooldown": 60,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}}
    return resources


def _user_data(ident: str, name: str, port: int) -> dict[str, Any]:
    script = "\n".join([
        "#!/bin/bash", "set -euo pipefail", "dnf install -y docker", "systemctl enable --now docker",
        'registry="${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}"',
        'aws ecr get-login-password --region ${AWS::Region} | docker login --username AWS --password-stdin "$registry"',
        f"docker run -d --restart always --read-only --network host -e PORT={port} -e APP_ENV=${{Environment}} \\",
        f"  --log-driver awslogs --log-opt awslogs-group=${{LogGroup{ident}}} --log-opt awslogs-region=${{AWS::Region}} \\",
        f'  "${{Repository{ident}.RepositoryUri}}:${{ImageTag}}"', ""])
    return {"Fn::Base64": p.sub(script)}


def _vms(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    resources: dict[str, Any] = {
        # Instances pull their own images, write their own logs and read their own secrets; shell access is SSM.
        "InstanceRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("ec2.amazonaws.com"),
            "ManagedPolicyArns": [p.sub("arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore")],
            "Policies": [p.policy("application", [*_runtime_statements(design),
                                                  *application_statements(design, wiring)])]}},
        "InstanceProfile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [p.ref("InstanceRole")]}},
    }
    for ident, name, port in service_ids(design):
        resources[f"LaunchTemplate{ident}"] = {"Type": "AWS::EC2::LaunchTemplate", "Properties": {
            "LaunchTemplateData": {
                "ImageId": p.ref("ImageId"), "InstanceType": p.ref("InstanceType"),
                "SecurityGroupIds": [p.ref("SecurityGroupId")], "EbsOptimized": True,
                "IamInstanceProfile": {"Arn": p.get_att("InstanceProfile", "Arn")},
                # IMDSv2 only, one hop: the container uses the host network and reaches the instance role only.
                "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
                "Monitoring": {"Enabled": True},
                "BlockDeviceMappings": p.root_volume(ROOT_VOLUME_GB),
                "UserData": _user_data(ident, name, port),
                "TagSpecifications": [{"ResourceType": "instance", "Tags": [
                    {"Key": "Name", "Value": p.sub(f"${{Name}}-{name}")}]}]}}}
        group: dict[str, Any] = {
            "AutoScalingGroupName": p.sub(f"${{Name}}-{name}"), "VPCZoneIdentifier": p.ref("PrivateSubnetIds"),
            "MinSize": p.ref("MinTasks"), "MaxSize": p.ref("MaxTasks"), "HealthCheckGracePeriod": 180,
            "HealthCheckType": "ELB" if design.public else "EC2",
            "MixedInstancesPolicy": {
                "InstancesDistribution": {"OnDemandBaseCapacity": p.ref("OnDemandBase"),
                                          "OnDemandPercentageAboveBaseCapacity": p.ref("OnDemandPercentage"),
                                          "SpotAllocationStrategy": "price-capacity-optimized"},
                "LaunchTemplate": {"LaunchTemplateSpecification": {
                    "LaunchTemplateId": p.ref(f"LaunchTemplate{ident}"),
                    "Version": p.get_att(f"LaunchTemplate{ident}", "LatestVersionNumber")}}}}
        if design.public:
            group["TargetGroupARNs"] = [p.ref(f"TargetGroup{ident}")]
        # A new launch template version (a new ImageTag) replaces the instances a few at a time.
        resources[f"AutoScalingGroup{ident}"] = {
            "Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": group,
            "UpdatePolicy": {"AutoScalingRollingUpdate": {"MinInstancesInService": p.ref("MinTasks"),
                                                          "MaxBatchSize": 1, "PauseTime": "PT5M"}}}
        resources[f"CpuScaling{ident}"] = {"Type": "AWS::AutoScaling::ScalingPolicy", "Properties": {
            "AutoScalingGroupName": p.ref(f"AutoScalingGroup{ident}"), "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {"TargetValue": TARGET_CPU, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ASGAverageCPUUtilization"}}}}
    return resources


def compute_template(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    """The compute module's template; `wiring` says which data stores the roles may reach."""
    if design.orchestrator == "eks":
        from generators.infra.cfn_eks import eks_template  # imported here: cfn_eks builds on this module's parts

        return eks_template(design, wiring)
    if design.orchestrator == "lambda":
        from generators.infra.cfn_serverless import serverless_template  # builds on this module's parts too

        return serverless_template(design, wiring)
    body = _ecs(design, wiring) if design.orchestrator == "ecs" else _vms(design, wiring)
    what = "ECS on Fargate" if design.orchestrator == "ecs" else "EC2 Auto Scaling groups"
    return p.template(f"{design.name} compute: {what}, ECR, logs, least-privilege roles, CPU target tracking",
                      _parameters(design, wiring), {**_images_and_logs(design), **body},
                      outputs=repository_outputs(design))
