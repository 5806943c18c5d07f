"""Monthly cost per resource and environment from the shipped price table, the budget check, and savings advice."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from generators.infra import cost_eks
from generators.infra import cost_serverless
from generators.infra import prices
from generators.infra.model import Environment
from generators.infra.model import InfraDesign
from generators.infra.model import Sizing

PRICES = Path(__file__).resolve().parent.parent / "data" / "aws-prices.json"
INTERFACE_ENDPOINTS = 6
WAF_RULE_GROUPS = 5
# Usage the estimate assumes; the PR shows these next to the figures.
USAGE = {
    "development": {"nat_gb": 20, "lcu": 1, "config_items": 1000, "trail_data_events_100k": 10,
                    "security_checks": 1000},
    "staging": {"nat_gb": 50, "lcu": 1, "config_items": 2000, "trail_data_events_100k": 20, "security_checks": 1500},
    "production": {"nat_gb": 500, "lcu": 5, "config_items": 5000, "trail_data_events_100k": 200,
                   "security_checks": 3000},
}
OLD_OBJECT_SHARE = 0.5  # share of stored objects assumed older than 90 days for the tiering advice
OFF_HOURS_SHARE = 108 / 168  # nights and weekends: 60 working hours a week stay on


@lru_cache(maxsize=1)
def price_table() -> dict[str, Any]:
    """The shipped price table (source, check date and each rate's citation inside)."""
    return prices.load(PRICES)


def money(value: float) -> float:
    return round(value + 1e-9, 2)


ROOT_VOLUME_GB = 20  # the launch template's root volume


def _compute(env: Environment, services: int, orchestrator: str = "ecs") -> tuple[float, float]:
    """(on-demand, spot) monthly cost of the services' minimum task (or instance) count."""
    prices, size = price_table(), env.sizing
    hours, hourly = prices["hours_per_month"], prices["hourly"]
    if orchestrator == "eks":  # the nodes, shared by every service
        return cost_eks.nodes_cost(env, prices)
    if orchestrator == "asg":
        per_task = hourly[size.instance_type] * hours
        discount = hourly["ec2_spot_discount"]
    else:
        per_task = (size.task_cpu / 1024 * hourly["fargate_vcpu_arm"]
                    + size.task_memory / 1024 * hourly["fargate_gb_arm"]) * hours
        discount = hourly["fargate_spot_discount"]
    on_demand_tasks, spot_tasks = task_split(size)
    return per_task * on_demand_tasks * services, per_task * (1 - discount) * spot_tasks * services


def task_split(size: Sizing) -> tuple[float, float]:
    """(on-demand, spot) share of the minimum task count: the on-demand base, then the Spot share above it."""
    base = min(size.on_demand_base, size.min_tasks)
    spot_tasks = (size.min_tasks - base) * size.spot_share / 100
    return size.min_tasks - spot_tasks, spot_tasks


def line_items(design: InfraDesign, env: Environment) -> list[dict[str, Any]]:
    """[{resource, detail, monthly}] for one environment."""
    prices, size, usage = price_table(), env.sizing, USAGE[env.name]
    hourly, monthly, hours = prices["hourly"], prices["monthly"], prices["hours_per_month"]
    items: list[tuple[str, str, float]] = [
        ("aws_nat_gateway", f"{size.nat_gateways} x {hours} h + {usage['nat_gb']} GB processed",
         size.nat_gateways * hours * hourly["nat_gateway"] + usage["nat_gb"] * monthly["nat_gateway_gb"]),
    ]
    if size.interface_endpoints:
        items.append(("aws_vpc_endpoint",
                      f"{INTERFACE_ENDPOINTS} interface endpoints x {size.availability_zones} zones",
                      INTERFACE_ENDPOINTS * size.availability_zones * hours * hourly["vpc_interface_endpoint_per_az"]))
    if design.public and design.orchestrator != "lambda":
        items.append(("aws_lb", f"{hours} h + {usage['lcu']} LCU average",
                      hours * (hourly["alb"] + usage["lcu"] * hourly["alb_lcu"])))
    if design.public:
        items.append(("aws_wafv2_web_acl", f"1 web ACL + {WAF_RULE_GROUPS} rule groups (requests extra)",
                      monthly["waf_web_acl"] + WAF_RULE_GROUPS * monthly["waf_rule"]))
    on_demand, spot = _compute(env, len(design.services), design.orchestrator)
    base = min(size.on_demand_base, size.min_tasks)
    if design.orchestrator == "lambda":
        items += cost_serverless.line_items(design, env, prices)
    elif design.orchestrator == "eks":
        items += cost_eks.line_items(env, prices)
    elif design.orchestrator == "asg":
        volumes = len(design.services) * size.min_tasks * ROOT_VOLUME_GB * monthly["ebs_gp3_gb"]
        items.append(("aws_autoscaling_group", f"{len(design.services)} service(s) x {size.min_tasks} "
                      f"{size.instance_type} + {ROOT_VOLUME_GB} GB gp3 each, {size.spot_share}% Spot above {base} "
                      "on-demand", on_demand + spot + volumes))
    else:
        items.append(("aws_ecs_service", f"{len(design.services)} service(s) x {size.min_tasks} task(s) of "
                      f"{size.task_cpu / 1024:g} vCPU / {size.task_memory / 1024:g} GB ARM, {size.spot_share}% Spot "
                      f"above {base} on-demand", on_demand + spot))
    if design.databases:
        copies = 2 if size.multi_az else 1
        storage = monthly["rds_gp3_gb_multi_az" if size.multi_az else "rds_gp3_gb"]
        items.append(("aws_db_instance", f"{size.database_class}{' Multi-AZ' if size.multi_az else ''} + "
                      f"{size.database_storage_gb} GB gp3",
                      copies * hours * hourly[size.database_class] + size.database_storage_gb * storage))
    if design.caches:
        items.append(("aws_elasticache_replication_group", f"{size.cache_nodes} x {size.cache_node_type}",
                      size.cache_nodes * hours * hourly[size.cache_node_type]))
    if design.object_storage:
        items.append(("aws_s3_bucket", f"{size.storage_gb} GB Standard", size.storage_gb * monthly["s3_standard_gb"]))
    if design.queues:
        items.append(("aws_sqs_queue", f"{len(design.queues)} queue(s), 1 million requests each",
                      len(design.queues) * monthly["sqs_million_requests"]))
    stored = size.monthly_log_gb * min(size.log_retention_days / 30, 12)
    items.append(("aws_cloudwatch_log_group", f"{size.monthly_log_gb} GB ingested, about {stored:g} GB kept",
                  size.monthly_log_gb * monthly["cloudwatch_logs_ingest_gb"]
                  + stored * monthly["cloudwatch_logs_storage_gb"]))
    per_service = {"ecs": 2, "eks": 2, "asg": 1, "lambda": 4 if design.public else 2}[design.orchestrator]
    alarms = (per_service * len(design.services) + (2 if design.public and design.orchestrator != "lambda" else 0)
              + (2 if design.databases else 0) + len(design.caches))
    items.append(("aws_cloudwatch_metric_alarm", f"{alarms} alarms", alarms * monthly["cloudwatch_alarm"]))
    items.append(("aws_kms_key", "1 key", monthly["kms_key"]))
    items.append(("aws_secretsmanager_secret", f"{1 + len(design.databases[:1])} secret(s)",
                  (1 + len(design.databases[:1])) * monthly["secret"]))
    items.append(("aws_route53_zone", f"{2 if design.public else 1} hosted zone(s)",
                  (2 if design.public else 1) * monthly["route53_zone"]))
    items.append(("aws_cloudtrail", f"{usage['trail_data_events_100k'] * 100_000:,} S3 data events",
                  usage["trail_data_events_100k"] * monthly["cloudtrail_data_events_100k"]))
    items.append(("aws_config_configuration_recorder", f"{usage['config_items']:,} configuration items",
                  usage["config_items"] * monthly["config_item"]))
    items.append(("aws_securityhub_account", f"{usage['security_checks']:,} security checks",
                  usage["security_checks"] * monthly["securityhub_check"]))
    items.append(("aws_guardduty_detector", "estimate for a small account", monthly["guardduty_estimate"]))
    return [{"resource": resource, "detail": detail, "monthly": money(value)} for resource, detail, value in items]


def estimate(design: InfraDesign) -> dict[str, Any]:
    """Per-environment line items and totals, the budget check for the requested environment, the advice."""
    environments = {env.name: line_items(design, env) for env in design.environments}
    return summarise(design, environments, recommend(design), price_table(), USAGE)


def summarise(design: InfraDesign, environments: dict[str, list[dict[str, Any]]],
              recommendations: list[dict[str, Any]], prices: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    """Any cloud's estimate result: totals, the budget check with the savings that close an overrun, the advice."""
    totals = {name: money(sum(item["monthly"] for item in items)) for name, items in environments.items()}
    target = design.target_environment
    budget = None
    if design.budget is not None:
        over = money(totals[target] - design.budget)
        budget = {"limit": design.budget, "environment": target, "estimate": totals[target],
                  "exceeds_by": max(over, 0.0), "within": over <= 0,
                  "percent_over": round(over / design.budget * 100, 1) if design.budget and over > 0 else 0.0}
        if over > 0:
            budget["closing"] = closing(recommendations, target, over)
    return {"environments": environments, "totals": totals, "total_all": money(sum(totals.values())),
            "budget": budget, "recommendations": recommendations, "usage": usage,
            "source": prices["source"], "as_of": prices["as_of"], "note": prices["note"], "checked": prices["checked"],
            "alert_budgets": alert_budgets(design, totals)}


def alert_budgets(design: InfraDesign, totals: dict[str, float]) -> dict[str, float]:
    """The budget alert limit per environment: the given limit for the requested one, else estimate + 25%."""
    result = {name: float(math.ceil(total * 1.25 / 10) * 10) for name, total in totals.items()}
    if design.budget is not None:
        result[design.target_environment] = design.budget
    return result


def closing(recommendations: list[dict[str, Any]], environment: str, over: float) -> list[str]:
    """The largest savings for the environment, in order, until they cover the overrun."""
    chosen, saved = [], 0.0
    for item in sorted((r for r in recommendations if r["environment"] == environment),
                       key=lambda r: (-r["monthly_savings"], r["kind"])):
        if saved >= over:
            break
        chosen.append(item["kind"])
        saved += item["monthly_savings"]
    return chosen if saved >= over else []


def recommend(design: InfraDesign) -> list[dict[str, Any]]:
    """Right-sizing, reserved/savings plans, spot, scheduling and storage tiering advice with monthly savings."""
    from generators.infra.design import sizing

    prices, hours = price_table(), price_table()["hours_per_month"]
    hourly, savings = prices["hourly"], prices["savings"]
    found: list[dict[str, Any]] = []
    add = recorder(found)

    production = design.environment("production")
    size = production.sizing
    copies = 2 if size.multi_az else 1
    if design.databases:
        add("production", "reserved_database", f"Reserve the {size.database_class} database for one year "
            f"(no upfront, about {savings['rds_reserved_1yr_no_upfront']:.0%} off).",
            copies * hours * hourly[size.database_class] * savings["rds_reserved_1yr_no_upfront"])
    if design.caches:
        add("production", "reserved_cache", f"Reserve the {size.cache_nodes} {size.cache_node_type} cache nodes "
            f"for one year (about {savings['elasticache_reserved_1yr_no_upfront']:.0%} off).",
            size.cache_nodes * hours * hourly[size.cache_node_type] * savings["elasticache_reserved_1yr_no_upfront"])
    serverless = design.orchestrator == "lambda"  # no always-on tasks: nothing to put on Spot or schedule
    if serverless:
        for env_name, kind, text, amount in cost_serverless.recommendations(design, prices):
            add(env_name, kind, text, amount)
    else:
        on_demand, _ = _compute(production, len(design.services), design.orchestrator)
        what = {"asg": "instances", "eks": "nodes"}.get(design.orchestrator, "Fargate tasks")
        add("production", "savings_plan", f"Cover the always-on {what} with a one-year Compute Savings Plan "
            f"(about {savings['compute_savings_plan_1yr_no_upfront_fargate']:.0%} off).",
            on_demand * savings["compute_savings_plan_1yr_no_upfront_fargate"])
    if design.priority != "cost":
        cheaper = sizing("production", "cost", design.compliance)
        if design.databases and cheaper.database_class != size.database_class:
            add("production", "right_size_database", f"If database CPU stays under 40%, move from "
                f"{size.database_class} to {cheaper.database_class}.",
                copies * hours * (hourly[size.database_class] - hourly[cheaper.database_class]))
        if design.orchestrator == "eks":
            for env_name, kind, text, amount in cost_eks.right_size(design, cheaper, prices):
                add(env_name, kind, text, amount)
        if design.orchestrator == "asg" and cheaper.instance_type != size.instance_type:
            smaller = Environment(production.name, production.cidr, replace(size, instance_type=cheaper.instance_type))
            add("production", "right_size_instances", f"If instances stay under 40% CPU, move from "
                f"{size.instance_type} to {cheaper.instance_type}.",
                sum(_compute(production, len(design.services), "asg"))
                - sum(_compute(smaller, len(design.services), "asg")))
        if design.orchestrator == "ecs" and cheaper.task_cpu < size.task_cpu:
            smaller = Environment(production.name, production.cidr,
                                  replace(size, task_cpu=cheaper.task_cpu, task_memory=cheaper.task_memory))
            add("production", "right_size_tasks", f"If tasks stay under 40% CPU, make them "
                f"{cheaper.task_cpu / 1024:g} vCPU / {cheaper.task_memory / 1024:g} GB.",
                sum(_compute(production, len(design.services))) - sum(_compute(smaller, len(design.services))))
        if size.nat_gateways > 1:
            add("production", "single_nat", f"One NAT gateway instead of {size.nat_gateways} (a zone outage then "
                "cuts the other zones' internet access).", (size.nat_gateways - 1) * hours * hourly["nat_gateway"])
    for env in design.environments:
        if env.name == "production":
            continue
        od, spot = (0.0, 0.0) if serverless else _compute(env, len(design.services), design.orchestrator)
        if env.sizing.spot_share < 100 and od > 0:
            asg = design.orchestrator in ("asg", "eks")  # EC2 either way
            noun = {"asg": "instance", "eks": "node"}.get(design.orchestrator, "task")
            add(env.name, "spot", f"Run every {env.name} {noun} on "
                f"{'EC2' if asg else 'Fargate'} Spot (interruptions are acceptable there).",
                od * hourly["ec2_spot_discount" if asg else "fargate_spot_discount"])
        add(env.name, "scheduled_scaling", f"Scale {env.name} services to zero outside working hours "
            "(60 hours a week on).", (od + spot) * OFF_HOURS_SHARE)
        if env.sizing.interface_endpoints:
            add(env.name, "no_interface_endpoints", f"Drop the interface endpoints in {env.name}; AWS API calls "
                "then go through the NAT gateway.",
                INTERFACE_ENDPOINTS * env.sizing.availability_zones * hours * hourly["vpc_interface_endpoint_per_az"])
    if design.object_storage:
        for env in design.environments:
            stored = env.sizing.storage_gb * OLD_OBJECT_SHARE
            add(env.name, "storage_tiering", f"Already configured: lifecycle rules move objects to Standard-IA "
                "after 30 days and Glacier Instant Retrieval after 90. The estimate prices all "
                f"{env.sizing.storage_gb} GB as Standard; with half of it older than 90 days the bill is lower by "
                "this amount.",
                stored * (prices["monthly"]["s3_standard_gb"] - prices["monthly"]["s3_glacier_ir_gb"]))
    return in_order(found)


def recorder(found: list[dict[str, Any]]) -> Callable[[str, str, str, float], None]:
    """add(environment, kind, text, monthly saving): appends the recommendation to found when it saves a cent."""
    def add(env: str, kind: str, text: str, amount: float) -> None:
        if amount > 0.005:
            found.append({"environment": env, "kind": kind, "text": text, "monthly_savings": money(amount)})

    return add


def in_order(recommendations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Production first, then staging and development; the largest saving first within each."""
    return sorted(recommendations, key=lambda r: (["production", "staging", "development"].index(r["environment"]),
                                                  -r["monthly_savings"], r["kind"]))
