"""Requirements + cloud + priority -> InfraDesign: the sizes and protections of every environment."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from generators.iac_ci import resource_name
from generators.infra import clouds
from generators.infra.model import ENVIRONMENTS
from generators.infra.model import Environment
from generators.infra.model import InfraDesign
from generators.infra.model import Requirement
from generators.infra.model import Service
from generators.infra.model import Sizing

CIDRS = {"development": "10.10.0.0/16", "staging": "10.20.0.0/16", "production": "10.30.0.0/16"}

# Balanced sizes, named after AWS classes (a cloud's size_names translate them); PRIORITY_CHANGES moves them for
# cost or performance.
BALANCED = {
    "development": Sizing(
        availability_zones=2, nat_gateways=1, multi_az=False, deletion_protection=False,
        database_class="db.t4g.micro", database_storage_gb=20, backup_retention_days=1,
        cache_node_type="cache.t4g.micro", cache_nodes=1, task_cpu=256, task_memory=512, instance_type="t4g.small",
        node_instance_type="t4g.medium", min_nodes=2, max_nodes=3,
        min_tasks=1, max_tasks=2, spot_share=50, log_retention_days=30, flow_log_retention_days=30,
        interface_endpoints=True, on_demand_base=0, function_memory=512, reserved_concurrency=10,
        provisioned_concurrency=0, api_rate_limit=50, api_burst_limit=100, monthly_log_gb=5, storage_gb=10,
        monthly_requests_millions=1),
    "staging": Sizing(
        availability_zones=2, nat_gateways=1, multi_az=False, deletion_protection=False,
        database_class="db.t4g.small", database_storage_gb=20, backup_retention_days=7,
        cache_node_type="cache.t4g.small", cache_nodes=1, task_cpu=512, task_memory=1024, instance_type="t4g.medium",
        node_instance_type="t4g.large", min_nodes=2, max_nodes=4,
        min_tasks=1, max_tasks=3, spot_share=50, log_retention_days=90, flow_log_retention_days=90,
        interface_endpoints=True, on_demand_base=1, function_memory=1024, reserved_concurrency=25,
        provisioned_concurrency=0, api_rate_limit=100, api_burst_limit=200, monthly_log_gb=10, storage_gb=50,
        monthly_requests_millions=3),
    "production": Sizing(
        availability_zones=3, nat_gateways=3, multi_az=True, deletion_protection=True,
        database_class="db.m6g.large", database_storage_gb=100, backup_retention_days=30,
        cache_node_type="cache.m6g.large", cache_nodes=2, task_cpu=1024, task_memory=2048, instance_type="m7g.large",
        node_instance_type="m7g.large", min_nodes=3, max_nodes=10,
        min_tasks=2, max_tasks=10, spot_share=0, log_retention_days=365, flow_log_retention_days=365,
        interface_endpoints=True, on_demand_base=2, function_memory=1024, reserved_concurrency=200,
        provisioned_concurrency=2, api_rate_limit=1000, api_burst_limit=2000, monthly_log_gb=50, storage_gb=500,
        monthly_requests_millions=30),
}
PRIORITY_CHANGES: dict[str, dict[str, dict[str, Any]]] = {
    "cost": {
        "development": {"spot_share": 100, "interface_endpoints": False},
        "staging": {"spot_share": 100, "on_demand_base": 0, "interface_endpoints": False,
                    "database_class": "db.t4g.micro", "cache_node_type": "cache.t4g.micro"},
        "production": {"nat_gateways": 1, "database_class": "db.t4g.medium", "cache_node_type": "cache.t4g.medium",
                       "task_cpu": 512, "task_memory": 1024, "max_tasks": 6,
                       "instance_type": "t4g.medium", "function_memory": 512, "provisioned_concurrency": 0,
                       "node_instance_type": "t4g.large", "max_nodes": 6},
    },
    "balanced": {},
    "performance": {
        "development": {"spot_share": 0, "on_demand_base": 1},
        "staging": {"spot_share": 0, "database_class": "db.t4g.medium", "cache_node_type": "cache.t4g.medium"},
        "production": {"database_class": "db.r6g.xlarge", "cache_node_type": "cache.r6g.large", "task_cpu": 2048,
                       "task_memory": 4096, "min_tasks": 3, "on_demand_base": 3, "max_tasks": 20,
                       "instance_type": "c7g.xlarge", "function_memory": 2048, "provisioned_concurrency": 5,
                       "reserved_concurrency": 500, "node_instance_type": "m7g.xlarge", "max_nodes": 20},
    },
}
SIZE_NAMES = ("database_class", "cache_node_type", "instance_type")  # the values a cloud's size_names translate
USAGE_ASSUMPTIONS = ("monthly_log_gb", "storage_gb", "monthly_requests_millions")  # cost inputs, not settings
# Audit trails these frameworks expect to keep for at least a year (HIPAA six years of documentation is a gap).
LONG_RETENTION = {"hipaa", "pci_dss", "sox", "fedramp"}


def sizing(environment: str, priority: str, compliance: list[str], cloud_name: str = "aws") -> Sizing:
    """The sizes of one environment for the optimization priority, with compliance floors applied."""
    base = replace(BALANCED[environment], **PRIORITY_CHANGES[priority].get(environment, {}))
    if environment == "production" and LONG_RETENTION & set(compliance):
        base = replace(base, log_retention_days=max(base.log_retention_days, 365),
                       backup_retention_days=max(base.backup_retention_days, 35))
    names = clouds.cloud(cloud_name).size_names
    return replace(base, **{key: names.get(getattr(base, key), getattr(base, key)) for key in SIZE_NAMES})


def design_infrastructure(requirements: dict[str, Any], *, cloud: str, environment: str, compliance: list[str],
                          budget: dict[str, Any], repository: str | None, region: str | None) -> InfraDesign:
    """The design for every environment; `environment` is the one the request is about."""
    priority = str(budget.get("optimization_priority") or "balanced")
    name = resource_name(repository or "app")
    compute = str(requirements["compute"])
    public = bool(requirements["public"])
    services: list[Service] = []
    for item in requirements["services"]:
        base = candidate = service_name(item["name"], name)
        suffix = 2
        while any(service.name == candidate for service in services):  # "my_api" and "my-api" would collide
            candidate, suffix = f"{base}-{suffix}", suffix + 1
        services.append(Service(name=candidate, port=int(item["port"]), public=public))
    services = services or [Service(name=name, port=8080, public=public)]
    notes = list(requirements.get("unsupported", []))
    if not requirements["services"]:
        notes.append(f"No long-running service was found, so one service named {name} on port 8080 is assumed.")
    where = clouds.cloud(cloud)
    if compute in where.compute_notes:
        notes.append(where.compute_notes[compute])
    if requirements["queues"] and where.queue_note:
        notes.append(where.queue_note.format(queues=", ".join(requirements["queues"])))
    if (region or where.default_region) != where.priced_region:
        notes.append(f"The cost estimate uses {where.priced_region} prices; {region} prices differ by a few percent.")
    limit = budget.get("monthly_limit")
    tags = {"project": name, "managed-by": "devops-bot", "cost-center": name,
            "compliance": "+".join(sorted(compliance)) or "none"}
    if repository:
        tags["repository"] = repository
    return InfraDesign(
        cloud=cloud,
        region=region or where.default_region,
        name=name,
        compute=compute,
        orchestrator=where.orchestrator_for(compute, requirements.get("orchestrator")),
        services=sorted(services, key=lambda service: service.name),
        databases=list(requirements["databases"])[:1],  # one primary database engine per environment
        caches=list(requirements["caches"])[:1],
        queues=list(requirements["queues"]),
        object_storage=bool(requirements["object_storage"]),
        public=bool(requirements["public"]),
        environments=[Environment(env, CIDRS[env], sizing(env, priority, compliance, cloud)) for env in ENVIRONMENTS],
        target_environment=environment,
        compliance=sorted(compliance),
        budget=float(limit) if limit is not None else None,
        priority=priority,
        tags=dict(sorted(tags.items())),
        requirements=[Requirement(**item) for item in requirements["evidence"]],
        notes=notes + ([f"Only the first database engine ({requirements['databases'][0]}) is generated; "
                        f"{', '.join(requirements['databases'][1:])} also found."]
                       if len(requirements["databases"]) > 1 else []),
    )


def service_name(unit: str, project: str) -> str:
    """A name AWS accepts in every resource name (letters, digits, dashes); the root unit takes the project's."""
    if unit in ("", "root"):
        return project
    cleaned = re.sub(r"[^a-z0-9]+", "-", unit.lower()).strip("-")[:20].strip("-")
    return cleaned if cleaned and cleaned[0].isalpha() else f"svc-{cleaned}".strip("-")


def differences(design: InfraDesign) -> list[tuple[str, list[str]]]:
    """(setting, value per environment) for each setting that is not the same everywhere."""
    rows = []
    for key in Sizing.__dataclass_fields__:
        if key in USAGE_ASSUMPTIONS or key in clouds.cloud(design.cloud).unused_sizes.get(design.orchestrator, ()):
            continue
        if key.startswith("cache_") and not design.caches or key.startswith("database_") and not design.databases:
            continue  # no environment sets the size of a tier the design does not have
        values = [getattr(env.sizing, key) for env in design.environments]
        if len({str(value) for value in values}) > 1:
            rows.append((key, [_show(value) for value in values]))
    return rows


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
