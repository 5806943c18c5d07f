"""modules/observability.yaml: alarms to one encrypted topic, and the monthly budget with its alerts."""

from __future__ import annotations

from typing import Any

from generators.infra import cfn_parts as p
from generators.infra.cfn_network import load_balanced
from generators.infra.cfn_serverless import STAGE
from generators.infra.cfn_serverless import function_name
from generators.infra.model import InfraDesign

GB5 = 5368709120


def _service_metrics(design: InfraDesign, service: str) -> tuple[str, tuple[str, str | None], list[Any]]:
    """(namespace, (CPU metric, memory metric or None), dimensions) of one service's compute."""
    if design.orchestrator == "ecs":
        return "AWS/ECS", ("CPUUtilization", "MemoryUtilization"), [
            {"Name": "ClusterName", "Value": p.ref("Name")}, {"Name": "ServiceName", "Value": service}]
    if design.orchestrator == "eks":  # the cluster's amazon-cloudwatch-observability add-on reports per service
        return "ContainerInsights", ("pod_cpu_utilization", "pod_memory_utilization"), [
            {"Name": "ClusterName", "Value": p.ref("Name")}, {"Name": "Namespace", "Value": design.name},
            {"Name": "Service", "Value": service}]
    return "AWS/EC2", ("CPUUtilization", None), [
        {"Name": "AutoScalingGroupName", "Value": p.sub(f"${{Name}}-{service}")}]


def _service_alarms(design: InfraDesign) -> dict[str, Any]:
    topic = p.ref("AlarmTopic")
    resources: dict[str, Any] = {}
    for service in design.services:
        ident = p.logical_id(service.name)
        namespace, (cpu, memory), dimensions = _service_metrics(design, service.name)
        resources[f"CpuAlarm{ident}"] = p.alarm(
            p.sub(f"${{Name}}-{service.name}-cpu-high"), f"The {service.name} service has used over 85% CPU for "
            "15 minutes", namespace, cpu, "Average", 300, 3, 85, "GreaterThanThreshold", dimensions, topic)
        # Memory is a built-in metric of ECS and of EKS's Container Insights; EC2 would need the CloudWatch agent.
        if memory:
            resources[f"MemoryAlarm{ident}"] = p.alarm(
                p.sub(f"${{Name}}-{service.name}-memory-high"), f"The {service.name} service has used over 85% "
                "memory for 15 minutes", namespace, memory, "Average", 300, 3, 85,
                "GreaterThanThreshold", dimensions, topic)
    return resources


def _function_alarms(design: InfraDesign) -> dict[str, Any]:
    """Serverless: errors and throttles of each function, server errors and p99 latency of each API."""
    topic = p.ref("AlarmTopic")
    resources: dict[str, Any] = {}
    for service in design.services:
        ident, name = p.logical_id(service.name), service.name
        function = [{"Name": "FunctionName", "Value": function_name(name)}]
        resources[f"ErrorsAlarm{ident}"] = p.alarm(
            p.sub(f"${{Name}}-{name}-errors"), f"The {name} function failed more than 5 invocations a minute for 5 "
            "minutes", "AWS/Lambda", "Errors", "Sum", 60, 5, 5, "GreaterThanThreshold", function, topic,
            missing="notBreaching")
        # Throttles mean the reserved concurrency is used up: requests are being turned away.
        resources[f"ThrottlesAlarm{ident}"] = p.alarm(
            p.sub(f"${{Name}}-{name}-throttles"), f"The {name} function turned invocations away for 5 minutes",
            "AWS/Lambda", "Throttles", "Sum", 60, 5, 0, "GreaterThanThreshold", function, topic,
            missing="notBreaching")
        if design.public:
            api = [{"Name": "ApiName", "Value": function_name(name)}, {"Name": "Stage", "Value": STAGE}]
            resources[f"ApiErrorsAlarm{ident}"] = p.alarm(
                p.sub(f"${{Name}}-{name}-5xx"), f"The {name} API answered more than 10 server errors a minute for 5 "
                "minutes", "AWS/ApiGateway", "5XXError", "Sum", 60, 5, 10, "GreaterThanThreshold", api, topic,
                missing="notBreaching")
            resources[f"ApiLatencyAlarm{ident}"] = p.alarm(
                p.sub(f"${{Name}}-{name}-latency-p99"), f"p99 response time of the {name} API above 1 second for 5 "
                "minutes", "AWS/ApiGateway", "Latency", "p99", 60, 5, 1000, "GreaterThanThreshold", api, topic,
                missing="notBreaching")
    return resources


def _platform_alarms(design: InfraDesign) -> dict[str, Any]:
    topic = p.ref("AlarmTopic")
    resources: dict[str, Any] = {}
    if load_balanced(design):
        balancer = [{"Name": "LoadBalancer", "Value": p.ref("LoadBalancerFullName")}]
        resources["ServerErrorsAlarm"] = p.alarm(
            p.sub("${Name}-5xx"), "Services answered more than 10 server errors a minute for 5 minutes",
            "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 60, 5, 10, "GreaterThanThreshold", balancer,
            topic, missing="notBreaching")
        resources["LatencyAlarm"] = p.alarm(
            p.sub("${Name}-latency-p99"), "p99 response time above 1 second for 5 minutes", "AWS/ApplicationELB",
            "TargetResponseTime", "p99", 60, 5, 1, "GreaterThanThreshold", balancer, topic, missing="notBreaching")
    if design.databases:
        database = [{"Name": "DBInstanceIdentifier", "Value": p.ref("DatabaseIdentifier")}]
        resources["DatabaseCpuAlarm"] = p.alarm(
            p.sub("${Name}-database-cpu-high"), "The database has used over 80% CPU for 15 minutes", "AWS/RDS",
            "CPUUtilization", "Average", 300, 3, 80, "GreaterThanThreshold", database, topic)
        resources["DatabaseStorageAlarm"] = p.alarm(
            p.sub("${Name}-database-storage-low"), "Less than 5 GB of database storage left", "AWS/RDS",
            "FreeStorageSpace", "Minimum", 300, 1, GB5, "LessThanThreshold", database, topic)
    if design.caches:
        resources["CacheMemoryAlarm"] = p.alarm(
            p.sub("${Name}-cache-memory-high"), "The cache has used over 80% of its memory for 15 minutes",
            "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", 300, 3, 80, "GreaterThanThreshold",
            [{"Name": "ReplicationGroupId", "Value": p.ref("CacheId")}], topic)
    return resources


def _budget() -> dict[str, Any]:
    topic = [{"SubscriptionType": "SNS", "Address": p.ref("AlarmTopic")}]

    def notification(kind: str, threshold: int) -> dict[str, Any]:
        return {"Notification": {"ComparisonOperator": "GREATER_THAN", "NotificationType": kind,
                                 "Threshold": threshold, "ThresholdType": "PERCENTAGE"}, "Subscribers": topic}

    # Alerts at 80% of the actual spend and when the forecast passes the limit.
    return {"Budget": {"Type": "AWS::Budgets::Budget", "Properties": {
        "Budget": {"BudgetName": p.sub("${Name}-monthly"), "BudgetType": "COST", "TimeUnit": "MONTHLY",
                   "BudgetLimit": {"Amount": p.ref("MonthlyBudget"), "Unit": "USD"},
                   "CostFilters": {"TagKeyValue": [p.sub("user:project$${Project}")]}},
        "NotificationsWithSubscribers": [notification("ACTUAL", 80), notification("FORECASTED", 100)]}}}


def observability_template(design: InfraDesign) -> dict[str, Any]:
    """The observability module's template."""
    parameters: dict[str, Any] = {
        "Name": p.text("Prefix of every resource name."), "Project": p.text("The project tag the budget follows."),
        "KmsKeyArn": p.text("Key that encrypts the alarm topic."),
        "AlarmEmail": {"Type": "String", "Default": "", "Description": "Address subscribed to alarms and budget "
                       "alerts (it confirms by email); empty: none."},
        "MonthlyBudget": p.number("Monthly budget in US dollars.", 1),
    }
    if load_balanced(design):
        parameters["LoadBalancerFullName"] = p.text("The load balancer's CloudWatch dimension.")
    if design.databases:
        parameters["DatabaseIdentifier"] = p.text("RDS instance identifier.")
    if design.caches:
        parameters["CacheId"] = p.text("ElastiCache replication group id.")
    resources: dict[str, Any] = {
        "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": p.sub("${Name}-alarms"), "KmsMasterKeyId": p.ref("KmsKeyArn")}},
        "AlarmTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [p.ref("AlarmTopic")], "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "AlarmsAndBudgetsPublish", "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]},
                "Action": "sns:Publish", "Resource": p.ref("AlarmTopic"),
                "Condition": {"StringEquals": {"aws:SourceAccount": p.ref("AWS::AccountId")}}}]}}},
        "AlarmSubscription": {"Type": "AWS::SNS::Subscription", "Condition": "HasAlarmEmail", "Properties": {
            "TopicArn": p.ref("AlarmTopic"), "Protocol": "email", "Endpoint": p.ref("AlarmEmail")}},
        **(_function_alarms(design) if design.orchestrator == "lambda" else _service_alarms(design)),
        **_platform_alarms(design), **_budget(),
    }
    return p.template(f"{design.name} observability: alarms to an encrypted topic and the monthly budget",
                      parameters, resources,
                      conditions={"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [p.ref("AlarmEmail"), ""]}]}},
                      outputs={"AlarmTopicArn": p.output(p.ref("AlarmTopic"), "Alarms and budget alerts.")})
