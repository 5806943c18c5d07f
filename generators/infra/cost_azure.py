"""Monthly cost of the Azure design from generators/data/azure-prices.json, in generators.infra.cost's result shape."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from generators.infra import cost
from generators.infra import prices
from generators.infra.clouds import DATA
from generators.infra.model import Environment
from generators.infra.model import InfraDesign
from generators.infra.terraform_azure import ENGINES
from generators.infra.terraform_azure import function_plan

PRICES = DATA / "azure-prices.json"
# Usage the estimate assumes; the PR shows these next to the figures.
USAGE = {
    "development": {"nat_gb": 20, "capacity_units": 1, "private_endpoint_gb": 10, "flow_log_gb": 5},
    "staging": {"nat_gb": 50, "capacity_units": 1, "private_endpoint_gb": 20, "flow_log_gb": 10},
    "production": {"nat_gb": 500, "capacity_units": 5, "private_endpoint_gb": 200, "flow_log_gb": 50},
}


@lru_cache(maxsize=1)
def price_table() -> dict[str, Any]:
    """The shipped price table (source, check date and each rate's citation inside)."""
    return prices.load(PRICES)


def _units(design: InfraDesign) -> int:
    """Scale sets and function apps run per service; AKS user nodes are shared by every service."""
    return 1 if design.orchestrator == "aks" else len(design.services)


def _compute(design: InfraDesign, env: Environment) -> tuple[float, float]:
    """(regular, spot) monthly cost of the minimum node, instance or plan count."""
    prices, size = price_table(), env.sizing
    hours, hourly = prices["hours_per_month"], prices["hourly"]
    if design.orchestrator == "functions":  # one plan; its instances serve every function app
        return size.min_tasks * hourly[function_plan(size.task_cpu)] * hours, 0.0
    per_node = hourly[size.instance_type] * hours + prices["monthly"]["managed_disk_p10"]
    regular, spot = cost.task_split(size)
    if design.orchestrator == "vmss" and size.spot_share > 0:  # a Uniform scale set is all Spot
        regular, spot = 0.0, float(size.min_tasks)
    spot_price = hourly[size.instance_type] * hours * (1 - hourly["vm_spot_discount"])
    return per_node * regular * _units(design), (spot_price + prices["monthly"]["managed_disk_p10"]) * spot * _units(design)


def _private_endpoints(design: InfraDesign, env: Environment) -> int:
    count = 3 + bool(design.databases) + bool(design.caches) + design.object_storage  # vault, audit blob, registry
    count += bool(design.queues) and env.sizing.multi_az
    if design.orchestrator == "functions":
        count += 3 + len(design.services)
    return int(count)


def line_items(design: InfraDesign, env: Environment) -> list[dict[str, Any]]:
    """[{resource, detail, monthly}] for one environment."""
    prices, size, usage = price_table(), env.sizing, USAGE[env.name]
    hourly, monthly, hours = prices["hourly"], prices["monthly"], prices["hours_per_month"]
    endpoints = _private_endpoints(design, env)
    items: list[tuple[str, str, float]] = [
        ("azurerm_nat_gateway", f"1 x {hours} h + {usage['nat_gb']} GB processed + its public IP",
         hours * (hourly["nat_gateway"] + hourly["public_ip_standard"]) + usage["nat_gb"] * monthly["nat_gateway_gb"]),
        ("azurerm_private_endpoint", f"{endpoints} endpoints + {usage['private_endpoint_gb']} GB",
         endpoints * hours * hourly["private_endpoint"] + usage["private_endpoint_gb"] * monthly["private_endpoint_gb"]),
        ("azurerm_network_watcher_flow_log", f"{usage['flow_log_gb']} GB collected",
         usage["flow_log_gb"] * monthly["flow_logs_gb"]),
    ]
    if design.public:
        items.append(("azurerm_application_gateway", f"WAF_v2 {hours} h + {usage['capacity_units']} capacity units "
                      "average + public IP", hours * (hourly["application_gateway_waf_v2"] + usage["capacity_units"]
                                                      * hourly["application_gateway_capacity_unit"]
                                                      + hourly["public_ip_standard"])))
    regular, spot = _compute(design, env)
    if design.orchestrator == "aks":
        system = size.availability_zones if size.multi_az else 1
        system_cost = system * (hourly[size.instance_type] * hours + monthly["managed_disk_p10"])
        tier = hours * hourly["aks_standard_tier"] if env.name == "production" else 0.0
        items.append(("azurerm_kubernetes_cluster", f"{system} system node(s) + {size.min_tasks} user node(s) of "
                      f"{size.instance_type} ({size.spot_share}% Spot above the on-demand base)"
                      f"{', Standard tier' if tier else ''}", system_cost + regular + spot + tier))
    elif design.orchestrator == "vmss":
        items.append(("azurerm_linux_virtual_machine_scale_set", f"{len(design.services)} scale set(s) x "
                      f"{size.min_tasks} {size.instance_type}{' Spot' if size.spot_share else ''} + P10 OS disk each",
                      regular + spot))
    else:
        items.append(("azurerm_service_plan", f"{function_plan(size.task_cpu)} x {size.min_tasks} always-ready "
                      "instance(s)", regular))
    items.append(("azurerm_container_registry", "Premium", monthly["container_registry_premium"]))
    if design.databases:
        copies = 2 if size.multi_az else 1
        items.append((f"azurerm_{ENGINES[design.databases[0]]['resource']}_flexible_server",
                      f"{size.database_class}{' zone-redundant HA' if size.multi_az else ''} + "
                      f"{size.database_storage_gb} GB", copies * (hours * hourly[size.database_class]
                                                                  + size.database_storage_gb
                                                                  * monthly["postgres_storage_gb"])))
    if design.caches:
        items.append(("azurerm_redis_cache", size.cache_node_type, hours * hourly[size.cache_node_type]))
    replication = "GZRS" if size.multi_az else "LRS"
    if design.object_storage:
        items.append(("azurerm_storage_account", f"{size.storage_gb} GB Hot {replication}",
                      size.storage_gb * monthly[f"blob_hot_gb_{replication}"]))
    if design.queues:
        items.append(("azurerm_servicebus_namespace", "Premium, 1 messaging unit" if size.multi_az else "Standard",
                      monthly["service_bus_premium_unit" if size.multi_az else "service_bus_standard"]))
    kept = size.monthly_log_gb * max(min(size.log_retention_days, 730) - 31, 0) / 30
    items.append(("azurerm_log_analytics_workspace", f"{size.monthly_log_gb} GB ingested, about {kept:.0f} GB "
                  "retained beyond 31 days", size.monthly_log_gb * monthly["log_analytics_ingest_gb"]
                  + kept * monthly["log_analytics_retention_gb"]))
    alerts = _alerts(design)
    items.append(("azurerm_monitor_metric_alert", f"{alerts} alerts", alerts * monthly["metric_alert_signal"]))
    items.append(("azurerm_key_vault_key", "1 HSM-protected key", monthly["key_vault_hsm_key"]))
    items.append(("azurerm_dns_zone", f"{len(_zones(design)) + 1 + design.public} public and private zones",
                  (len(_zones(design)) + 1 + design.public) * monthly["dns_zone"]))
    items.append(("azurerm_security_center_subscription_pricing", _defender_detail(design, env),
                  _defender(design, env)))
    return [{"resource": resource, "detail": detail, "monthly": cost.money(value)}
            for resource, detail, value in items]


def _zones(design: InfraDesign) -> dict[str, str]:
    from generators.infra.terraform_azure import private_zones

    return private_zones(design)


def _alerts(design: InfraDesign) -> int:
    compute = 2 if design.orchestrator == "aks" else len(design.services)
    return compute + 2 * design.public + 2 * bool(design.databases) + bool(design.caches)


def _machines(design: InfraDesign, env: Environment) -> int:
    size = env.sizing
    if design.orchestrator == "aks":
        return (size.availability_zones if size.multi_az else 1) + size.min_tasks
    return size.min_tasks * (len(design.services) if design.orchestrator == "vmss" else 1)


def _defender_detail(design: InfraDesign, env: Environment) -> str:
    what = "app service instances" if design.orchestrator == "functions" else "servers"
    return (f"{_machines(design, env)} {what}, {1 + design.object_storage + (design.orchestrator == 'functions')} "
            f"storage account(s), {len(design.databases[:1])} database server(s), 1 vault")


def _defender(design: InfraDesign, env: Environment) -> float:
    monthly = price_table()["monthly"]
    machines = _machines(design, env)
    total = monthly["defender_key_vault_per_vault"] + len(design.databases[:1]) * monthly["defender_databases_per_server"]
    total += (1 + design.object_storage + (design.orchestrator == "functions")) * monthly["defender_storage_per_account"]
    if design.orchestrator == "functions":
        return total + machines * monthly["defender_app_service_per_instance"]
    total += machines * monthly["defender_servers_p2_per_vm"]
    if design.orchestrator == "aks":
        total += machines * price_table()["vcpus"][env.sizing.instance_type] * monthly["defender_containers_per_vcore"]
    return total


def estimate(design: InfraDesign) -> dict[str, Any]:
    """Per-environment line items and totals, the budget check for the requested environment, the advice."""
    environments = {env.name: line_items(design, env) for env in design.environments}
    return cost.summarise(design, environments, recommend(design), price_table(), USAGE)


def recommend(design: InfraDesign) -> list[dict[str, Any]]:
    """Reservations, savings plan, Spot, right-sizing, scheduled scaling and blob tiering with monthly savings."""
    from generators.infra.design import sizing

    prices = price_table()
    hourly, savings, hours = prices["hourly"], prices["savings"], prices["hours_per_month"]
    found: list[dict[str, Any]] = []
    add = cost.recorder(found)

    production = design.environment("production")
    size = production.sizing
    copies = 2 if size.multi_az else 1
    if design.databases:
        add("production", "reserved_database", f"Reserve the {size.database_class} database compute for one year "
            f"(about {savings['database_reserved_1yr']:.0%} off).",
            copies * hours * hourly[size.database_class] * savings["database_reserved_1yr"])
    if design.caches:
        add("production", "reserved_cache", f"Reserve the {size.cache_node_type} cache for one year "
            f"(about {savings['cache_reserved_1yr']:.0%} off).",
            hours * hourly[size.cache_node_type] * savings["cache_reserved_1yr"])
    regular, _ = _compute(design, production)
    what = {"aks": "AKS user nodes", "vmss": "scale set instances", "functions": "Elastic Premium instances"}
    add("production", "savings_plan", f"Cover the always-on {what[design.orchestrator]} with a one-year Azure "
        f"savings plan for compute (about {savings['compute_savings_plan_1yr']:.0%} off).",
        regular * savings["compute_savings_plan_1yr"])
    if design.priority != "cost":
        cheaper = sizing("production", "cost", design.compliance, design.cloud)
        if design.databases and cheaper.database_class != size.database_class:
            add("production", "right_size_database", f"If database CPU stays under 40%, move from "
                f"{size.database_class} to {cheaper.database_class}.",
                copies * hours * (hourly[size.database_class] - hourly[cheaper.database_class]))
        smaller = Environment(production.name, production.cidr, replace(size, instance_type=cheaper.instance_type,
                                                                         task_cpu=cheaper.task_cpu))
        add("production", "right_size_compute", "If CPU stays under 40%, use "
            f"{function_plan(cheaper.task_cpu) if design.orchestrator == 'functions' else cheaper.instance_type}.",
            sum(_compute(design, production)) - sum(_compute(design, smaller)))
    for env in design.environments:
        if env.name == "production":
            continue
        regular, spot = _compute(design, env)
        if design.orchestrator != "functions" and env.sizing.spot_share < 100 and regular > 0:
            add(env.name, "spot", f"Run every {env.name} {'node' if design.orchestrator == 'aks' else 'instance'} "
                "on Spot (evictions are acceptable there).", regular * hourly["vm_spot_discount"])
        add(env.name, "scheduled_scaling", f"Scale {env.name} to zero outside working hours (60 hours a week on).",
            (regular + spot) * cost.OFF_HOURS_SHARE)
    if design.object_storage:
        monthly = prices["monthly"]
        for env in design.environments:
            replication = "GZRS" if env.sizing.multi_az else "LRS"
            add(env.name, "storage_tiering", "Already configured: lifecycle rules move blobs to Cool after 30 days "
                f"and Archive after 90. The estimate prices all {env.sizing.storage_gb} GB as Hot; with half of it "
                "older than 90 days the bill is lower by this amount.",
                env.sizing.storage_gb * cost.OLD_OBJECT_SHARE
                * (monthly[f"blob_hot_gb_{replication}"] - monthly["blob_archive_gb"]))
    return cost.in_order(found)
