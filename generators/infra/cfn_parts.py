"""Building blocks of the infrastructure's CloudFormation templates: parameters, conditions, zone lists, policies.

Templates are plain dicts in CloudFormation's long form (bot/platforms/cloudformation.py dumps them), so every
value is testable as data. One template serves every environment: what differs arrives as stack parameters.
"""

from __future__ import annotations

from typing import Any

from bot.platforms.cloudformation import TEMPLATE_VERSION
from bot.platforms.cloudformation import get_att
from bot.platforms.cloudformation import logical_id
from bot.platforms.cloudformation import ref
from bot.platforms.cloudformation import sub

__all__ = ["get_att", "logical_id", "ref", "sub"]

ZONES = 3  # the most zones an environment spans; the third zone's resources carry the HasThirdZone condition
THIRD_ZONE = "HasThirdZone"
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
# Data stores are kept (or snapshotted) when production's stack deletes or replaces them; elsewhere they go.
PROTECTED = "Protected"


def protected(kept: str = "Retain") -> dict[str, Any]:
    """DeletionPolicy/UpdateReplacePolicy chosen by the DeletionProtection parameter (AWS::LanguageExtensions)."""
    choice = {"Fn::If": [PROTECTED, kept, "Delete"]}
    return {"DeletionPolicy": choice, "UpdateReplacePolicy": choice}


def number(description: str, minimum: int = 0, maximum: int | None = None) -> dict[str, Any]:
    """A Number parameter."""
    return {"Type": "Number", "MinValue": minimum, **({"MaxValue": maximum} if maximum is not None else {}),
            "Description": description}


def text(description: str, pattern: str | None = None) -> dict[str, Any]:
    """A String parameter."""
    return {"Type": "String", **({"AllowedPattern": pattern} if pattern else {}), "Description": description}


def flag(description: str) -> dict[str, Any]:
    """A true/false parameter (CloudFormation parameters have no boolean type)."""
    return {"Type": "String", "AllowedValues": ["true", "false"], "Description": description}


def id_list(description: str) -> dict[str, Any]:
    """A comma-separated list parameter (subnet ids, ARNs)."""
    return {"Type": "CommaDelimitedList", "Description": description}


def is_true(parameter: str) -> dict[str, Any]:
    """Condition: the flag parameter is "true"."""
    return {"Fn::Equals": [ref(parameter), "true"]}


def zone_count_parameter() -> dict[str, Any]:
    """ZoneCount: 2 or 3 availability zones."""
    return {"Type": "Number", "AllowedValues": [2, 3], "Description": "Availability zones the subnets span."}


def third_zone_condition() -> dict[str, Any]:
    """{HasThirdZone: ZoneCount is 3}."""
    return {THIRD_ZONE: {"Fn::Equals": [ref("ZoneCount"), 3]}}


def per_zone(values: list[Any]) -> Any:
    """The first two values, plus the third when the environment spans three zones."""
    return {"Fn::If": [THIRD_ZONE, values[:ZONES], values[:2]]}


def zone_condition(index: int) -> dict[str, str]:
    """The Condition attribute of a resource in zone `index` (0-based)."""
    return {"Condition": THIRD_ZONE} if index == 2 else {}


def trust(service: str) -> dict[str, Any]:
    """An assume-role policy for one AWS service principal."""
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                     "Action": "sts:AssumeRole"}]}


def policy(name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    """An inline policy of a role."""
    return {"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


def allow(sid: str, actions: list[str], resources: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def deny_insecure_transport(bucket: str) -> dict[str, Any]:
    """The statement that refuses every request to `bucket` (a logical id) that does not use TLS."""
    arn = get_att(bucket, "Arn")
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, sub(f"${{{bucket}.Arn}}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def log_group(name: Any, retention: Any, key: Any) -> dict[str, Any]:
    """A KMS-encrypted log group with a retention; kept when the stack goes, it is audit evidence."""
    return {"Type": "AWS::Logs::LogGroup", **RETAIN,
            "Properties": {"LogGroupName": name, "RetentionInDays": retention, "KmsKeyId": key}}


def root_volume(size_gb: int) -> list[dict[str, Any]]:
    """BlockDeviceMappings of an encrypted gp3 root volume. The account's aws/ebs key, as the Terraform's: a customer
    key would need a key-policy grant to the Auto Scaling service-linked role, which does not exist in a new account
    when the key is created, and no instance would start."""
    return [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": size_gb, "VolumeType": "gp3", "Encrypted": True,
                                                "DeleteOnTermination": True}}]


def alarm(name: Any, description: str, namespace: str, metric: str, statistic: str, period: int, periods: int,
          threshold: float, operator: str, dimensions: list[dict[str, Any]], topic: Any,
          missing: str | None = None) -> dict[str, Any]:
    """A CloudWatch alarm that notifies `topic` when it fires and when it clears."""
    properties: dict[str, Any] = {
        "AlarmName": name, "AlarmDescription": description, "Namespace": namespace, "MetricName": metric,
        "Period": period, "EvaluationPeriods": periods, "Threshold": threshold, "ComparisonOperator": operator,
        "Dimensions": dimensions, "AlarmActions": [topic], "OKActions": [topic]}
    properties["ExtendedStatistic" if statistic.startswith("p") else "Statistic"] = statistic
    if missing:
        properties["TreatMissingData"] = missing
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def output(value: Any, description: str) -> dict[str, Any]:
    """A stack output."""
    return {"Description": description, "Value": value}


def template(description: str, parameters: dict[str, Any], resources: dict[str, Any], *,
             conditions: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None,
             language_extensions: bool = False) -> dict[str, Any]:
    """A whole template in CloudFormation's section order."""
    result: dict[str, Any] = {"AWSTemplateFormatVersion": TEMPLATE_VERSION, "Description": description}
    if language_extensions:  # lets DeletionPolicy follow a parameter
        result["Transform"] = "AWS::LanguageExtensions"
    result["Parameters"] = parameters
    if conditions:
        result["Conditions"] = conditions
    result["Resources"] = resources
    if outputs:
        result["Outputs"] = outputs
    return result
