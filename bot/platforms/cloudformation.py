"""Shared pieces of the ECS and Lambda CloudFormation templates: names, YAML, parameters, alarms, weights.

Templates are plain dicts in CloudFormation's long form ({"Ref": …}, {"Fn::Sub": …}), so they dump as
YAML or JSON without custom tags and every value is testable as data. Nothing here reads the clock,
the network or the environment: the same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML

from bot.rollouts.contract import Stage

TEMPLATE_VERSION = "2010-09-09"
# Logs, their key and undelivered events outlive a deleted or replaced stack: they are the audit trail.
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def resource_name(*parts: str, limit: int = 63) -> str:
    """Lowercase letters, digits and dashes from `parts` joined by dashes (ECS, Lambda and alarm names)."""
    text = "-".join(parts)
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    return (name or "app")[:limit].rstrip("-")


def logical_id(*parts: str) -> str:
    """An alphanumeric CloudFormation logical id from `parts` ("v2.1.0" → "V210")."""
    return "".join(re.sub(r"[^A-Za-z0-9]+", "", part[:1].upper() + part[1:]) for part in parts)[:255]


def ref(name: str) -> dict[str, str]:
    """{"Ref": name}."""
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> dict[str, list[str]]:
    """{"Fn::GetAtt": [resource, attribute]}."""
    return {"Fn::GetAtt": [resource, attribute]}


def sub(text: str) -> dict[str, str]:
    """{"Fn::Sub": text}."""
    return {"Fn::Sub": text}


def tags(app: str, environment: str) -> list[dict[str, str]]:
    """The tags every taggable resource carries, sorted by key."""
    values = {"app": app, "environment": environment, "managed-by": "devops-bot"}
    return [{"Key": key, "Value": values[key]} for key in sorted(values)]


def log_group(name: str, retention_days: int) -> dict[str, Any]:
    """A log group with a retention and encrypted by the stack's own key (LogKey); kept when the stack goes."""
    return {"Type": "AWS::Logs::LogGroup", **RETAIN, "Properties": {
        "LogGroupName": name, "RetentionInDays": retention_days, "KmsKeyId": get_att("LogKey", "Arn")}}


def log_key(log_group_name: str) -> dict[str, Any]:
    """A rotating KMS key that only CloudWatch Logs may use, and only for `log_group_name`; kept with the logs."""
    group_arn = sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{log_group_name}")
    return {"Type": "AWS::KMS::Key", **RETAIN, "Properties": {
        "Description": f"encrypts the log group {log_group_name}", "EnableKeyRotation": True,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "LogsUseItForThisGroup", "Effect": "Allow",
             "Principal": {"Service": sub("logs.${AWS::Region}.amazonaws.com")},
             "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
             "Resource": "*",
             "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group_arn}}}]}}}


def weight_parameter(description: str, default: int) -> dict[str, Any]:
    """A 0-100 traffic weight parameter."""
    return {"Type": "Number", "MinValue": 0, "MaxValue": 100, "Default": default, "Description": description}


def error_rate_alarm(name: str, description: str, errors: dict[str, Any], total: dict[str, Any],
                     max_error_rate: float, period: int = 60) -> dict[str, Any]:
    """An alarm on errors / total (metric math), breaching above the stage criteria's error rate."""
    def stat(metric_id: str, metric: dict[str, Any]) -> dict[str, Any]:
        return {"Id": metric_id, "ReturnData": False,
                "MetricStat": {"Metric": metric, "Period": period, "Stat": "Sum"}}

    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": name, "AlarmDescription": description, "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": max_error_rate, "EvaluationPeriods": 2, "DatapointsToAlarm": 2,
        "TreatMissingData": "notBreaching",
        "Metrics": [stat("errors", errors), stat("total", total),
                    {"Id": "ratio", "Expression": "IF(total > 0, errors / total, 0)", "Label": "error ratio",
                     "ReturnData": True}]}}


def latency_alarm(name: str, description: str, metric: dict[str, Any], threshold: float,
                  period: int = 60) -> dict[str, Any]:
    """An alarm on a metric's p99, breaching above `threshold` (in the metric's own unit)."""
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": name, "AlarmDescription": description, "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": threshold, "EvaluationPeriods": 2, "DatapointsToAlarm": 2, "TreatMissingData": "notBreaching",
        "Namespace": metric["Namespace"], "MetricName": metric["MetricName"], "Dimensions": metric["Dimensions"],
        "ExtendedStatistic": "p99", "Period": period}}


def strictest(stages: list[Stage]) -> tuple[float, float]:
    """The lowest error rate and p99 (ms) any stage allows: what the rollback alarms hold the new version to."""
    if not stages:
        return 0.01, 500.0
    return (min(s.criteria.max_error_rate for s in stages), min(s.criteria.max_p99_ms for s in stages))


def to_yaml(template: dict[str, Any]) -> str:
    """The template as YAML (long-form intrinsics, so any YAML parser reads it back)."""
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096  # long Fn::Sub strings stay on one line
    out = io.StringIO()
    yaml.dump(template, out)
    return out.getvalue()
