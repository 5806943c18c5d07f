"""Google Cloud monthly cost per resource and environment from generators/data/gcp-prices.json, and savings advice.

The result has the shape of generators.infra.cost.estimate (cost.summarise builds it: totals, budget check, alerts).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from generators.infra import prices
from generators.infra.cost import OFF_HOURS_SHARE
from generators.infra.cost import OLD_OBJECT_SHARE
from generators.infra.cost import in_order
from generators.infra.cost import money
from generators.infra.cost import recorder
from generators.infra.cost import summarise
from generators.infra.model import Environment
from generators.infra.model import InfraDesign
from generators.infra.terraform_gcp import ARMOR_RULES
from generators.infra.terraform_gcp import DISK_GB
from generators.infra.terraform_gcp import cache_memory_gb

PRICES = Path(__file__).resolve().parent.parent / "data" / "gcp-prices.json"
ARMOR_RULE_COUNT = len(ARMOR_RULES) + 3  # the OWASP rules, the Log4j rule, the rate limit and the default rule
GKE_DISK_GB = 50
# Usage the estimate assumes; the PR shows these next to the figures.
USAGE = {
    "development": {"nat_gb": 20, "lb_gb": 10, "million_requests": 1, "image_gb": 5, "queue_gb": 1},
    "staging": {"nat_gb": 50, "lb_gb": 50, "million_requests": 3, "image_gb": 5, "queue_gb": 5},
    "production": {"nat_gb": 500, "lb_gb": 500, "million_requests": 30, "image_gb": 10, "queue_gb": 50},
}
MEMORYSTORE_BANDS = ((4, "M1"), (10, "M2"), (35, "M3"))  # capacity tiers: up to N GB -> price band


@lru_cache(maxsize=1)
def price_table() -> dict[str, Any]:
    """The shipped price table (source, check date and each rate's citation inside)."""
    return prices.load(PRICES)


def _cache_hourly(name: str, nodes: int) -> float:
    gb = cache_memory_gb(name)
    band = next(label for limit, label in MEMORYSTORE_BANDS if gb <= limit)
    rates = price_table()["hourly"]["redis_standard_gb" if nodes > 1 else "redis_basic_gb"]
    return gb * rates[band]


def _database_hourly(env: Environment) -> float:
    return price_table()["hourly"][env.sizing.database_class] * (2 if env.sizing.multi_az else 1)


def _compute(design: InfraDesign, env: Environment) -> float:
    """Monthly cost of the minimum nodes, VMs or Cloud Run instances (a pool runs wholly on Spot or not at all)."""
    prices, size = price_table(), env.sizing
    hours = prices["hours_per_month"]
    services = len(design.services)
    if design.orchestrator == "cloud_run":
        per_instance = (max(1, size.task_cpu // 1024) * prices["per_second"]["run_vcpu_instance"]
                        + size.task_memory / 1024 * prices["per_second"]["run_gib_instance"]) * 3600 * hours
        return per_instance * size.min_tasks * services
    machines = size.min_tasks * (1 if design.orchestrator == "gke" else services)
    per_machine = prices["hourly"][size.instance_type] * hours
    return per_machine * machines * (1 - prices["hourly"]["spot_discount"] if size.spot_share > 0 else 1)


def _compute_item(design: InfraDesign, env: Environment) -> tuple[str, str, float]:
    prices, size = price_table(), env.sizing
    cost = _compute(design, env)
    spot = " on Spot VMs" if size.spot_share > 0 else ""
    if design.orchestrator == "cloud_run":
        return ("google_cloud_run_v2_service", f"{len(design.services)} service(s) x {size.min_tasks} always-on "
                f"instance(s) of {max(1, size.task_cpu // 1024)} vCPU / {size.task_memory / 1024:g} GiB "
                "(requests above the minimum extra)", cost)
    if design.orchestrator == "gke":
        disks = size.min_tasks * GKE_DISK_GB * prices["monthly"]["pd_balanced_gb"]
        return ("google_container_node_pool", f"{size.min_tasks} {size.instance_type} node(s){spot} + "
                f"{GKE_DISK_GB} GB pd-balanced each", cost + disks)
    disks = len(design.services) * size.min_tasks * DISK_GB * prices["monthly"]["pd_balanced_gb"]
    return ("google_compute_region_instance_group_manager", f"{len(design.services)} service(s) x "
            f"{size.min_tasks} {size.instance_type}{spot} + {DISK_GB} GB pd-balanced each", cost + disks)


def line_items(design: InfraDesign, env: Environment) -> list[dict[str, Any]]:
    """[{resource, detail, monthly}] for one environment."""
    prices, size, usage = price_table(), env.sizing, USAGE[env.name]
    hourly, monthly, hours = prices["hourly"], prices["monthly"], prices["hours_per_month"]
    vms = size.min_tasks * (1 if design.orchestrator == "gke" else len(design.services))
    nat_hourly = min(vms * hourly["nat_gateway_per_vm"], hourly["nat_gateway_max"])
    items: list[tuple[str, str, float]] = [
        ("google_compute_router_nat", f"{hours} h + {usage['nat_gb']} GB processed",
         nat_hourly * hours + usage["nat_gb"] * monthly["nat_gb"]),
        ("google_compute_address", f"{size.nat_gateways} static NAT address(es)",
         size.nat_gateways * hours * hourly["external_ip"]),
    ]
    if design.public:
        items.append(("google_compute_global_forwarding_rule", f"HTTPS and HTTP rules x {hours} h + "
                      f"{usage['lb_gb']} GB processed",
                      hours * hourly["forwarding_rules_first_5"] + usage["lb_gb"] * monthly["lb_gb"]))
        items.append(("google_compute_security_policy", f"1 policy + {ARMOR_RULE_COUNT} rules + "
                      f"{usage['million_requests']} million requests",
                      monthly["armor_policy"] + ARMOR_RULE_COUNT * monthly["armor_rule"]
                      + usage["million_requests"] * monthly["armor_million_requests"]))
    if design.orchestrator == "gke":
        items.append(("google_container_cluster", f"regional cluster management x {hours} h",
                      hours * hourly["gke_cluster"]))
    items.append(_compute_item(design, env))
    items.append(("google_artifact_registry_repository", f"{usage['image_gb']} GB of images",
                  usage["image_gb"] * monthly["artifact_registry_gb"]))
    if design.databases:
        storage = monthly["sql_ssd_gb_regional" if size.multi_az else "sql_ssd_gb"]
        items.append(("google_sql_database_instance", f"{size.database_class}"
                      f"{' REGIONAL (HA)' if size.multi_az else ''} + {size.database_storage_gb} GB SSD",
                      hours * _database_hourly(env) + size.database_storage_gb * storage))
    if design.caches:
        tier = "STANDARD_HA" if size.cache_nodes > 1 else "BASIC"
        items.append(("google_redis_instance", f"{cache_memory_gb(size.cache_node_type)} GB {tier}",
                      hours * _cache_hourly(size.cache_node_type, size.cache_nodes)))
    if design.object_storage:
        items.append(("google_storage_bucket", f"{size.storage_gb} GB Standard",
                      size.storage_gb * monthly["gcs_standard_gb"]))
    if design.queues:
        gb = usage["queue_gb"] * len(design.queues)
        items.append(("google_pubsub_topic", f"{len(design.queues)} queue(s), {gb} GB of messages",
                      gb / 1024 * monthly["pubsub_tib"]))
    stored = size.monthly_log_gb * max(0.0, min(size.log_retention_days, 365) - 30) / 30
    items.append(("google_logging_project_bucket_config", f"{size.monthly_log_gb} GB ingested "
                  f"({monthly['logging_free_gb']:g} GB free per project), about {stored:g} GB kept beyond 30 days",
                  max(0, size.monthly_log_gb - monthly["logging_free_gb"]) * monthly["logging_ingest_gb"]
                  + stored * monthly["logging_retention_gb"]))
    conditions = (len(design.services) + (1 if design.public and design.orchestrator != "gke" else 0)
                  + (2 if design.databases else 0) + len(design.caches))
    items.append(("google_monitoring_alert_policy", f"{conditions} alert conditions",
                  conditions * monthly["alert_condition"]))
    secrets = 1 + len(design.databases[:1]) + len(design.caches[:1])
    items.append(("google_kms_crypto_key", "1 key", monthly["kms_key_version"]))
    items.append(("google_secret_manager_secret", f"{secrets} secret(s)", secrets * monthly["secret_version"]))
    zones = 2 if design.public else 1
    items.append(("google_dns_managed_zone", f"{zones} zone(s)", zones * monthly["dns_zone"]))
    return [{"resource": resource, "detail": detail, "monthly": money(value)} for resource, detail, value in items]


def estimate(design: InfraDesign) -> dict[str, Any]:
    """Per-environment line items and totals, the budget check for the requested environment, the advice."""
    environments = {env.name: line_items(design, env) for env in design.environments}
    return summarise(design, environments, recommend(design), price_table(), USAGE)


def recommend(design: InfraDesign) -> list[dict[str, Any]]:
    """Committed use discounts, right-sizing, Spot VMs, scheduled scaling and storage class tiering."""
    from generators.infra.design import sizing

    prices = price_table()
    hours, savings = prices["hours_per_month"], prices["savings"]
    found: list[dict[str, Any]] = []
    add = recorder(found)

    production = design.environment("production")
    size = production.sizing
    if design.databases:
        add("production", "committed_use_database", f"Commit to the {size.database_class} Cloud SQL vCPUs and "
            f"memory for one year (about {savings['sql_cud_1yr']:.0%} off).",
            hours * _database_hourly(production) * savings["sql_cud_1yr"])
    if design.caches:
        add("production", "committed_use_cache", f"Commit to the {cache_memory_gb(size.cache_node_type)} GB "
            f"Memorystore instance for one year (about {savings['redis_cud_1yr']:.0%} off).",
            hours * _cache_hourly(size.cache_node_type, size.cache_nodes) * savings["redis_cud_1yr"])
    always_on = _compute(design, production)
    if design.orchestrator == "cloud_run":
        add("production", "committed_use_compute", "Cover the always-on Cloud Run instances with a one-year "
            f"flexible committed use discount (about {savings['flexible_cud_1yr']:.0%} off).",
            always_on * savings["flexible_cud_1yr"])
    else:
        what = "GKE nodes" if design.orchestrator == "gke" else "VMs"
        add("production", "committed_use_compute", f"Commit to the always-on {what}' vCPUs and memory for one "
            f"year (about {savings['compute_cud_1yr']:.0%} off).", always_on * savings["compute_cud_1yr"])
    if design.priority != "cost":
        cheaper = sizing("production", "cost", design.compliance, "gcp")
        if design.databases and cheaper.database_class != size.database_class:
            smaller = Environment(production.name, production.cidr, replace(size, database_class=cheaper.database_class))
            add("production", "right_size_database", f"If database CPU stays under 40%, move from "
                f"{size.database_class} to {cheaper.database_class}.",
                hours * (_database_hourly(production) - _database_hourly(smaller)))
        smaller = Environment(production.name, production.cidr,
                              replace(size, instance_type=cheaper.instance_type, task_cpu=cheaper.task_cpu,
                                      task_memory=cheaper.task_memory))
        kind = "right_size_tasks" if design.orchestrator == "cloud_run" else "right_size_instances"
        target = (f"{max(1, cheaper.task_cpu // 1024)} vCPU / {cheaper.task_memory / 1024:g} GiB instances"
                  if design.orchestrator == "cloud_run" else cheaper.instance_type)
        add("production", kind, f"If CPU stays under 40%, move to {target}.",
            _compute(design, production) - _compute(design, smaller))
    for env in design.environments:
        if env.name == "production":
            continue
        cost = _compute(design, env)
        if design.orchestrator != "cloud_run" and env.sizing.spot_share == 0:
            add(env.name, "spot", f"Run the {env.name} {'nodes' if design.orchestrator == 'gke' else 'VMs'} on Spot "
                "VMs (preemptions are acceptable there).", cost * prices["hourly"]["spot_discount"])
        add(env.name, "scheduled_scaling", f"Scale {env.name} to zero outside working hours (60 hours a week on).",
            cost * OFF_HOURS_SHARE)
    if design.object_storage:
        monthly = prices["monthly"]
        for env in design.environments:
            stored = env.sizing.storage_gb * OLD_OBJECT_SHARE
            add(env.name, "storage_tiering", "Already configured: lifecycle rules move objects to Nearline after 30 "
                f"days and Coldline after 90. The estimate prices all {env.sizing.storage_gb} GB as Standard; with "
                "half of it older than 90 days the bill is lower by this amount.",
                stored * (monthly["gcs_standard_gb"] - monthly["gcs_coldline_gb"]))
    return in_order(found)
