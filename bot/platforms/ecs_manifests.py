"""ECS on Fargate as one CloudFormation template, for a progressive rollout the bot drives (pure: data in, data out).

A canary or blue/green deploy runs two services side by side, `blue` (the stable version) and `green`
(the new one), each registered in its own target group. One ALB listener rule forwards to both with
weights (ALB weighted target groups): that split is the canary, and a stage changes it through the
BlueWeight/GreenWeight parameters (`weight_update`). The bot's analysis and Slack gates decide when,
so the services use ECS's own deployment controller (circuit breaker with rollback, plus the green
service rolls back on its error-rate and latency alarms) rather than CodeDeploy, which would move
traffic on its own clock. Rolling and recreate deploys have one service and one target group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from bot.errors import UserError
from bot.platforms.cloudformation import TEMPLATE_VERSION
from bot.platforms.cloudformation import error_rate_alarm
from bot.platforms.cloudformation import get_att
from bot.platforms.cloudformation import latency_alarm
from bot.platforms.cloudformation import log_group
from bot.platforms.cloudformation import log_key
from bot.platforms.cloudformation import ref
from bot.platforms.cloudformation import resource_name
from bot.platforms.cloudformation import strictest
from bot.platforms.cloudformation import sub
from bot.platforms.cloudformation import tags
from bot.platforms.cloudformation import weight_parameter
from bot.rollouts.contract import Stage

# Fargate's valid task sizes: CPU units → memory (MiB) choices.
FARGATE_MEMORY = {256: (512, 1024, 2048), 512: tuple(range(1024, 4097, 1024)), 1024: tuple(range(2048, 8193, 1024)),
                  2048: tuple(range(4096, 16385, 1024)), 4096: tuple(range(8192, 30721, 1024))}
_ECR = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>.+)$")
TWO_TRACKS = ("canary", "blue_green")


@dataclass(frozen=True)
class EcsOptions:
    """The `ecs:` part of a platform config, with defaults."""

    port: int = 8080
    cpu: int = 256
    memory: int = 512
    desired_count: int = 2
    max_count: int = 10
    health_path: str = "/healthz"
    log_retention_days: int = 30
    secrets: dict[str, str] = field(default_factory=dict)  # ENV_NAME -> Secrets Manager or SSM parameter ARN

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EcsOptions:
        """From platform_config.ecs; UserError lists every bad value."""
        raw = dict(config or {})
        problems: list[str] = []

        def number(key: str, default: int, low: int, high: int) -> int:
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(f"ecs.{key} must be a whole number from {low} to {high}, not {value!r}")
                return default
            return value

        options = cls(port=number("port", 8080, 1, 65535), cpu=number("cpu", 256, 256, 4096),
                      memory=number("memory", 512, 512, 30720), desired_count=number("desired_count", 2, 1, 100),
                      max_count=number("max_count", 10, 1, 1000), health_path=str(raw.get("health_path", "/healthz")),
                      log_retention_days=number("log_retention_days", 30, 1, 3653),
                      secrets={str(k): str(v) for k, v in sorted((raw.get("secrets") or {}).items())})
        if options.cpu in FARGATE_MEMORY and options.memory not in FARGATE_MEMORY[options.cpu]:
            problems.append(f"ecs.memory {options.memory} MiB does not fit Fargate cpu {options.cpu}; use one of "
                            f"{', '.join(map(str, FARGATE_MEMORY[options.cpu][:6]))}…")
        elif options.cpu not in FARGATE_MEMORY:
            problems.append(f"ecs.cpu must be one of {', '.join(map(str, FARGATE_MEMORY))}, not {options.cpu}")
        if options.max_count < options.desired_count:
            problems.append("ecs.max_count must be at least ecs.desired_count")
        if not options.health_path.startswith("/"):
            problems.append(f"ecs.health_path must start with /, not {options.health_path!r}")
        bad = [k for k, v in options.secrets.items() if v.split(":")[:1] != ["arn"]
               or v.split(":")[2:3] not in (["secretsmanager"], ["ssm"])]
        if bad:
            problems.append(f"ecs.secrets must map names to Secrets Manager or SSM ARNs; not for {', '.join(bad)}")
        if problems:
            raise UserError("the ecs platform config has problems:\n" + "\n".join(f"- {p}" for p in problems))
        return options


def tracks(strategy: str) -> tuple[str, ...]:
    """The services a strategy runs: blue and green side by side, or one."""
    return ("blue", "green") if strategy in TWO_TRACKS else ("main",)


def build_template(app: str, image: str, version: str, stable_version: str, environment: str, *, strategy: str,
                   stages: list[Stage], options: EcsOptions | None = None, canary_weight: int = 0) -> dict[str, Any]:
    """The whole stack: task definitions, services, target groups, listener rule, auto scaling, alarms."""
    options = options or EcsOptions()
    name = resource_name(app, environment, limit=40)
    two = strategy in TWO_TRACKS
    resources: dict[str, Any] = {"LogKey": log_key(f"/ecs/{name}"),
                                 "LogGroup": log_group(f"/ecs/{name}", options.log_retention_days)}
    resources["ExecutionRole"] = _execution_role(image, options)
    resources["TaskRole"] = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": _assume("ecs-tasks.amazonaws.com"), "Tags": tags(app, environment)}}
    resources["ServiceSecurityGroup"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": f"{name}: the load balancer reaches the tasks on their port only",
        "VpcId": ref("VpcId"),
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": options.port, "ToPort": options.port,
                                  "SourceSecurityGroupId": ref("LoadBalancerSecurityGroupId"),
                                  "Description": "from the load balancer"}],
        "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
                                 "Description": "HTTPS out (image pulls, AWS APIs)"}],
        "Tags": tags(app, environment)}}
    for track in tracks(strategy):
        key = track.capitalize()
        tag = "StableImageTag" if track == "blue" else "ImageTag"
        resources[f"{key}TaskDefinition"] = _task_definition(app, environment, name, track, tag, options)
        resources[f"{key}TargetGroup"] = _target_group(app, environment, options)
        resources[f"{key}Service"] = _service(app, environment, name, track, strategy, options)
        resources[f"{key}ScalableTarget"] = {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
            "ResourceId": {"Fn::Join": ["/", ["service", ref("ClusterName"), get_att(f"{key}Service", "Name")]]},
            "MinCapacity": options.desired_count if track != "green" else 1, "MaxCapacity": options.max_count}}
        resources[f"{key}ScalingPolicy"] = {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
            "PolicyName": f"{name}-{track}-cpu", "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": ref(f"{key}ScalableTarget"),
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 70.0, "ScaleInCooldown": 120, "ScaleOutCooldown": 60,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}}
    resources["ListenerRule"] = _listener_rule(two)
    new_group = "GreenTargetGroup" if two else "MainTargetGroup"
    max_error_rate, max_p99_ms = strictest(stages)
    dimensions = [{"Name": "TargetGroup", "Value": get_att(new_group, "TargetGroupFullName")},
                  {"Name": "LoadBalancer", "Value": ref("LoadBalancerFullName")}]

    def metric(metric_name: str) -> dict[str, Any]:
        return {"Namespace": "AWS/ApplicationELB", "MetricName": metric_name, "Dimensions": dimensions}

    resources["ErrorRateAlarm"] = error_rate_alarm(
        f"{name}-new-version-error-rate", f"5xx ratio of {app} {version} above {max_error_rate:.2%}: roll back",
        metric("HTTPCode_Target_5XX_Count"), metric("RequestCount"), max_error_rate)
    resources["LatencyAlarm"] = latency_alarm(
        f"{name}-new-version-p99", f"p99 of {app} {version} above {max_p99_ms:.0f} ms: roll back",
        metric("TargetResponseTime"), max_p99_ms / 1000)
    return {"AWSTemplateFormatVersion": TEMPLATE_VERSION,
            "Description": f"devops-bot: {app} on ECS Fargate in {environment}, {strategy} deploy of {version}",
            "Parameters": _parameters(image, version, stable_version, two, canary_weight),
            "Resources": resources, "Outputs": _outputs(two)}


def weight_update(weight: int) -> dict[str, int]:
    """The parameter overrides a stage applies (`aws cloudformation deploy --parameter-overrides`)."""
    weight = max(0, min(100, int(weight)))
    return {"BlueWeight": 100 - weight, "GreenWeight": weight}


def stage_updates(stages: list[Stage], strategy: str) -> list[dict[str, Any]]:
    """Each stage's weight and its parameter overrides, in order (one service: ECS replaces the tasks itself)."""
    if strategy not in TWO_TRACKS:
        return [{"weight": s.weight, "parameters": {}, "note": "one service: the stage is an analysis window while "
                 "ECS replaces tasks (MinimumHealthyPercent/MaximumPercent)"} for s in stages]
    return [{"weight": s.weight, "parameters": weight_update(s.weight)} for s in stages]


def _parameters(image: str, version: str, stable_version: str, two: bool, canary_weight: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ClusterName": {"Type": "String", "Description": "the ECS cluster the services run in"},
        "Image": {"Type": "String", "Default": image, "Description": "image repository, without a tag"},
        "ImageTag": {"Type": "String", "Default": version, "Description": "the new version's tag"},
        "VpcId": {"Type": "AWS::EC2::VPC::Id"},
        "SubnetIds": {"Type": "List<AWS::EC2::Subnet::Id>", "Description": "private subnets for the tasks"},
        "ListenerArn": {"Type": "String", "Description": "the ALB listener the rule is added to"},
        "LoadBalancerFullName": {"Type": "String", "Description": "app/NAME/ID of that ALB, for the alarms"},
        "LoadBalancerSecurityGroupId": {"Type": "AWS::EC2::SecurityGroup::Id"},
        "HostHeader": {"Type": "String", "Description": "the host name the rule matches"},
        "RulePriority": {"Type": "Number", "MinValue": 1, "MaxValue": 50000, "Default": 100},
    }
    if two:
        params["StableImageTag"] = {"Type": "String", "Default": stable_version,
                                    "Description": "the tag serving now (the blue service)"}
        params["BlueWeight"] = weight_parameter("percent of requests to blue (stable)", 100 - canary_weight)
        params["GreenWeight"] = weight_parameter("percent of requests to green (the new version)", canary_weight)
    return params


def _assume(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                   "Action": "sts:AssumeRole"}]}


def _execution_role(image: str, options: EcsOptions) -> dict[str, Any]:
    """Pull the image, write to this log group, read the named secrets: nothing more."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": sub("${LogGroup.Arn}:*")}]
    ecr = _ECR.match(image)
    if ecr:
        statements.append({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"})
        statements.append({"Effect": "Allow", "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                                         "ecr:GetDownloadUrlForLayer"],
                           "Resource": f"arn:aws:ecr:{ecr['region']}:{ecr['account']}:repository/{ecr['repo']}"})
    for service, action in (("secretsmanager", "secretsmanager:GetSecretValue"), ("ssm", "ssm:GetParameters")):
        arns = sorted({arn for arn in options.secrets.values() if arn.split(":")[2:3] == [service]})
        if arns:
            statements.append({"Effect": "Allow", "Action": action, "Resource": arns})
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": _assume("ecs-tasks.amazonaws.com"),
        "Policies": [{"PolicyName": "task-execution", "PolicyDocument": {"Version": "2012-10-17",
                                                                          "Statement": statements}}]}}


def _task_definition(app: str, environment: str, name: str, track: str, tag: str,
                     options: EcsOptions) -> dict[str, Any]:
    health = f"curl -fsS http://localhost:{options.port}{options.health_path} || exit 1"
    container: dict[str, Any] = {
        "Name": resource_name(app), "Image": sub(f"${{Image}}:${{{tag}}}"), "Essential": True,
        "PortMappings": [{"ContainerPort": options.port, "Protocol": "tcp"}],
        "Environment": [{"Name": "ENVIRONMENT", "Value": environment}],
        "ReadonlyRootFilesystem": True, "User": "10001", "Privileged": False,
        "MountPoints": [{"SourceVolume": "tmp", "ContainerPath": "/tmp", "ReadOnly": False}],
        "HealthCheck": {"Command": ["CMD-SHELL", health], "Interval": 15, "Timeout": 5, "Retries": 3,
                        "StartPeriod": 30},
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {
            "awslogs-group": ref("LogGroup"), "awslogs-region": ref("AWS::Region"), "awslogs-stream-prefix": track}},
    }
    if options.secrets:
        container["Secrets"] = [{"Name": key, "ValueFrom": arn} for key, arn in sorted(options.secrets.items())]
    return {"Type": "AWS::ECS::TaskDefinition", "Properties": {
        "Family": f"{name}-{track}", "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc",
        "Cpu": str(options.cpu), "Memory": str(options.memory),
        "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64"},
        "ExecutionRoleArn": get_att("ExecutionRole", "Arn"), "TaskRoleArn": get_att("TaskRole", "Arn"),
        "Volumes": [{"Name": "tmp"}], "ContainerDefinitions": [container], "Tags": tags(app, environment)}}


def _target_group(app: str, environment: str, options: EcsOptions) -> dict[str, Any]:
    return {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
        "TargetType": "ip", "Protocol": "HTTP", "Port": options.port, "VpcId": ref("VpcId"),
        "HealthCheckPath": options.health_path, "HealthCheckIntervalSeconds": 10, "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3, "Matcher": {"HttpCode": "200"},
        "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
        "Tags": tags(app, environment)}}


def _service(app: str, environment: str, name: str, track: str, strategy: str, options: EcsOptions) -> dict[str, Any]:
    key = track.capitalize()
    # recreate stops every old task before starting new ones; the others keep full capacity while replacing.
    minimum, maximum = (0, 100) if strategy == "recreate" else (100, 200)
    deployment: dict[str, Any] = {"MinimumHealthyPercent": minimum, "MaximumPercent": maximum,
                                  "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}
    if track != "blue":  # the service that runs the new version also rolls back on its alarms
        deployment["Alarms"] = {"AlarmNames": [ref("ErrorRateAlarm"), ref("LatencyAlarm")], "Enable": True,
                                "Rollback": True}
    return {"Type": "AWS::ECS::Service", "DependsOn": ["ListenerRule"], "Properties": {
        "ServiceName": f"{name}-{track}", "Cluster": ref("ClusterName"), "LaunchType": "FARGATE",
        "TaskDefinition": ref(f"{key}TaskDefinition"),
        "DesiredCount": options.desired_count if track != "green" else 1,
        "DeploymentController": {"Type": "ECS"}, "DeploymentConfiguration": deployment,
        "HealthCheckGracePeriodSeconds": 60, "PropagateTags": "SERVICE", "EnableECSManagedTags": True,
        "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED", "Subnets": ref("SubnetIds"),
                                                         "SecurityGroups": [ref("ServiceSecurityGroup")]}},
        "LoadBalancers": [{"ContainerName": resource_name(app), "ContainerPort": options.port,
                           "TargetGroupArn": ref(f"{key}TargetGroup")}],
        "Tags": tags(app, environment)}}


def _listener_rule(two: bool) -> dict[str, Any]:
    groups = [{"TargetGroupArn": ref("BlueTargetGroup"), "Weight": ref("BlueWeight")},
              {"TargetGroupArn": ref("GreenTargetGroup"), "Weight": ref("GreenWeight")}] if two else \
        [{"TargetGroupArn": ref("MainTargetGroup"), "Weight": 100}]
    return {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {
        "ListenerArn": ref("ListenerArn"), "Priority": ref("RulePriority"),
        "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": [ref("HostHeader")]}}],
        "Actions": [{"Type": "forward", "ForwardConfig": {
            "TargetGroups": groups, "TargetGroupStickinessConfig": {"Enabled": False}}}]}}


def _outputs(two: bool) -> dict[str, Any]:
    outputs = {"ListenerRuleArn": {"Value": ref("ListenerRule")},
               "ErrorRateAlarmName": {"Value": ref("ErrorRateAlarm")}, "LatencyAlarmName": {"Value": ref("LatencyAlarm")}}
    for track in ("blue", "green") if two else ("main",):
        key = track.capitalize()
        outputs[f"{key}ServiceName"] = {"Value": get_att(f"{key}Service", "Name")}
        outputs[f"{key}TargetGroupArn"] = {"Value": ref(f"{key}TargetGroup")}
    return outputs
