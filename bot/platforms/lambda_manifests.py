"""AWS Lambda as one CloudFormation template, for a progressive rollout the bot drives (pure: data in, data out).

The stack publishes the new code as a function version and points the `live` alias at the version
serving now, with the new one as an additional version weighted by CanaryWeight (Lambda's weighted
alias): that is the canary. A stage moves the weight with UpdateAlias (`alias_update`), and the last
stage points the alias at the new version alone. The bot's analysis and Slack gates decide when, so
no CodeDeploy deployment group shifts traffic on its own clock; the error-rate and p99 alarms on the
new version's alias traffic hold it to the strictest stage criteria.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.platforms.cloudformation import RETAIN
from bot.platforms.cloudformation import TEMPLATE_VERSION
from bot.platforms.cloudformation import error_rate_alarm
from bot.platforms.cloudformation import get_att
from bot.platforms.cloudformation import latency_alarm
from bot.platforms.cloudformation import log_group
from bot.platforms.cloudformation import log_key
from bot.platforms.cloudformation import logical_id
from bot.platforms.cloudformation import ref
from bot.platforms.cloudformation import resource_name
from bot.platforms.cloudformation import strictest
from bot.platforms.cloudformation import sub
from bot.platforms.cloudformation import tags
from bot.rollouts.contract import Stage

ALIAS = "live"
ARCHITECTURES = ("x86_64", "arm64")
_S3 = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/?(?P<prefix>.*)$")


@dataclass(frozen=True)
class LambdaOptions:
    """The `lambda:` part of a platform config, with defaults."""

    runtime: str = "python3.12"
    handler: str = "app.handler"
    memory: int = 256
    timeout: int = 30
    architecture: str = "arm64"
    reserved_concurrency: int = 100
    vpc: bool = False  # run in the VPC's subnets (SubnetIds and SecurityGroupIds parameters)
    log_retention_days: int = 30

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LambdaOptions:
        """From platform_config.lambda; UserError lists every bad value."""
        raw = dict(config or {})
        problems: list[str] = []

        def number(key: str, default: int, low: int, high: int) -> int:
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(f"lambda.{key} must be a whole number from {low} to {high}, not {value!r}")
                return default
            return value

        options = cls(runtime=str(raw.get("runtime", "python3.12")), handler=str(raw.get("handler", "app.handler")),
                      memory=number("memory", 256, 128, 10240), timeout=number("timeout", 30, 1, 900),
                      architecture=str(raw.get("architecture", "arm64")),
                      reserved_concurrency=number("reserved_concurrency", 100, 1, 10000),
                      vpc=bool(raw.get("vpc", False)), log_retention_days=number("log_retention_days", 30, 1, 3653))
        if options.architecture not in ARCHITECTURES:
            problems.append(f"lambda.architecture must be one of {', '.join(ARCHITECTURES)}, not "
                            f"{options.architecture!r}")
        if problems:
            raise UserError("the lambda platform config has problems:\n" + "\n".join(f"- {p}" for p in problems))
        return options


def version_logical_id(version: str) -> str:
    """The Version resource's id: one per app version, so a new version publishes a new Lambda version."""
    return logical_id("Version", version) if logical_id(version) else "Version"


def build_template(app: str, artifact: dict[str, Any], version: str, environment: str, *, stages: list[Stage],
                   options: LambdaOptions | None = None, canary_weight: int = 0) -> dict[str, Any]:
    """The whole stack: log group and key, dead-letter queue, role, function, the new version, the weighted alias, alarms."""
    options = options or LambdaOptions()
    name = resource_name(app, environment, limit=56)
    version_id = version_logical_id(version)
    image = artifact.get("type", "container_registry") == "container_registry"
    parameters, code = _code(artifact, version, image)
    parameters["StableFunctionVersion"] = {
        "Type": "String", "Default": "", "AllowedPattern": "^[0-9]*$",
        "Description": "the published version the alias serves now; empty on the first deploy"}
    parameters["CanaryWeight"] = {"Type": "Number", "MinValue": 0, "MaxValue": 1,
                                  "Default": round(max(0, min(100, canary_weight)) / 100, 4),
                                  "Description": "share of requests (0-1) to the new version while a stable one serves"}
    if options.vpc:
        parameters["SubnetIds"] = {"Type": "List<AWS::EC2::Subnet::Id>"}
        parameters["SecurityGroupIds"] = {"Type": "List<AWS::EC2::SecurityGroup::Id>"}
    function: dict[str, Any] = {
        "FunctionName": name, "Role": get_att("ExecutionRole", "Arn"), "Code": code,
        "MemorySize": options.memory, "Timeout": options.timeout, "Architectures": [options.architecture],
        "ReservedConcurrentExecutions": options.reserved_concurrency, "TracingConfig": {"Mode": "Active"},
        "LoggingConfig": {"LogGroup": ref("LogGroup"), "LogFormat": "JSON"},
        "DeadLetterConfig": {"TargetArn": get_att("DeadLetterQueue", "Arn")},
        "Environment": {"Variables": {"ENVIRONMENT": environment}}, "Tags": tags(app, environment)}
    if image:
        function["PackageType"] = "Image"
    else:
        function.update({"Runtime": options.runtime, "Handler": options.handler})
    if options.vpc:
        function["VpcConfig"] = {"SubnetIds": ref("SubnetIds"), "SecurityGroupIds": ref("SecurityGroupIds")}
    new_version = get_att(version_id, "Version")
    alias_resource = f"{name}:{ALIAS}"
    max_error_rate, max_p99_ms = strictest(stages)
    dimensions = [{"Name": "FunctionName", "Value": ref("Function")}, {"Name": "Resource", "Value": alias_resource},
                  {"Name": "ExecutedVersion", "Value": new_version}]

    def metric(metric_name: str) -> dict[str, Any]:
        return {"Namespace": "AWS/Lambda", "MetricName": metric_name, "Dimensions": dimensions}

    resources: dict[str, Any] = {
        "LogKey": log_key(f"/aws/lambda/{name}"),
        "LogGroup": log_group(f"/aws/lambda/{name}", options.log_retention_days),
        # Asynchronous invocations that fail every retry land here instead of vanishing.
        "DeadLetterQueue": {"Type": "AWS::SQS::Queue", **RETAIN, "Properties": {
            "KmsMasterKeyId": "alias/aws/sqs", "MessageRetentionPeriod": 14 * 24 * 3600, "Tags": tags(app, environment)}},
        "ExecutionRole": _execution_role(options.vpc),
        "Function": {"Type": "AWS::Lambda::Function", "Properties": function},
        version_id: {"Type": "AWS::Lambda::Version", "Properties": {
            "FunctionName": ref("Function"), "Description": f"{app} {version}"}},
        "Alias": {"Type": "AWS::Lambda::Alias", "Properties": {
            "FunctionName": ref("Function"), "Name": ALIAS,
            "FunctionVersion": {"Fn::If": ["FirstDeploy", new_version, ref("StableFunctionVersion")]},
            "RoutingConfig": {"Fn::If": ["FirstDeploy", ref("AWS::NoValue"), {"AdditionalVersionWeights": [
                {"FunctionVersion": new_version, "FunctionWeight": ref("CanaryWeight")}]}]}}},
        "ErrorRateAlarm": error_rate_alarm(
            f"{name}-new-version-error-rate", f"error ratio of {app} {version} above {max_error_rate:.2%}: roll back",
            metric("Errors"), metric("Invocations"), max_error_rate),
        "LatencyAlarm": latency_alarm(f"{name}-new-version-p99", f"p99 of {app} {version} above {max_p99_ms:.0f} ms: "
                                      "roll back", metric("Duration"), max_p99_ms),
    }
    return {"AWSTemplateFormatVersion": TEMPLATE_VERSION,
            "Description": f"devops-bot: {app} on AWS Lambda in {environment}, weighted-alias deploy of {version}",
            "Parameters": parameters,
            "Conditions": {"FirstDeploy": {"Fn::Equals": [ref("StableFunctionVersion"), ""]}},
            "Resources": resources,
            "Outputs": {"FunctionName": {"Value": ref("Function")}, "AliasArn": {"Value": ref("Alias")},
                        "NewVersion": {"Value": new_version},
                        "ErrorRateAlarmName": {"Value": ref("ErrorRateAlarm")},
                        "LatencyAlarmName": {"Value": ref("LatencyAlarm")}}}


def alias_update(weight: int, stable_version: str, new_version: str) -> dict[str, Any]:
    """The UpdateAlias request a stage makes: the new version's share, or the new version alone at 100%."""
    weight = max(0, min(100, int(weight)))
    if weight == 100:
        return {"Name": ALIAS, "FunctionVersion": new_version, "RoutingConfig": {"AdditionalVersionWeights": {}}}
    return {"Name": ALIAS, "FunctionVersion": stable_version,
            "RoutingConfig": {"AdditionalVersionWeights": {new_version: round(weight / 100, 4)}}}


def stage_updates(stages: list[Stage], stable_version: str = "${StableFunctionVersion}",
                  new_version: str = "${NewVersion}") -> list[dict[str, Any]]:
    """Each stage's weight and its UpdateAlias request (version numbers as placeholders until deployed)."""
    return [{"weight": s.weight, "update_alias": alias_update(s.weight, stable_version, new_version)} for s in stages]


def _code(artifact: dict[str, Any], version: str, image: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parameters and the Code property: an image tag, or a zip in S3 (s3://bucket/prefix + VERSION.zip)."""
    location = str(artifact.get("location", ""))
    if image:
        return ({"Image": {"Type": "String", "Default": location, "Description": "image repository, without a tag"},
                 "ImageTag": {"Type": "String", "Default": version, "Description": "the new version's tag"}},
                {"ImageUri": sub("${Image}:${ImageTag}")})
    match = _S3.match(location)
    if match is None:
        raise UserError(f"a lambda artifact of type {artifact.get('type')!r} needs location s3://BUCKET/PREFIX, "
                        f"not {location!r}")
    prefix = match["prefix"].strip("/")
    key = f"{prefix}/{version}.zip" if prefix else f"{version}.zip"
    return ({"CodeBucket": {"Type": "String", "Default": match["bucket"]},
             "CodeKey": {"Type": "String", "Default": key, "Description": "the new version's zip"}},
            {"S3Bucket": ref("CodeBucket"), "S3Key": ref("CodeKey")})


def _execution_role(vpc: bool) -> dict[str, Any]:
    """Write to this function's log group, dead-letter queue and traces; manage ENIs only when it runs in a VPC."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": sub("${LogGroup.Arn}:*")},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": get_att("DeadLetterQueue", "Arn")},
        # X-Ray's write actions take no resource-level permissions.
        {"Effect": "Allow", "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Resource": "*"}]
    if vpc:  # ENI actions take no resource-level permissions either
        statements.append({"Effect": "Allow", "Action": [
            "ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces", "ec2:UnassignPrivateIpAddresses"], "Resource": "*"})
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "function", "PolicyDocument": {"Version": "2012-10-17",
                                                                  "Statement": statements}}]}}
