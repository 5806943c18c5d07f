"""Google Cloud: Terraform with GKE, managed instance groups or Cloud Run, priced from generators/data/gcp-prices.json."""

from __future__ import annotations

import json
from functools import lru_cache

from bot.templating import render
from generators.infra import cost_gcp
from generators.infra import terraform_gcp
from generators.infra.clouds import DATA
from generators.infra.clouds import Cloud
from generators.infra.model import InfraDesign
from generators.infra.model import Sizing

ORCHESTRATOR_TITLES = {"gke": "GKE", "mig": "Compute Engine managed instance groups", "cloud_run": "Cloud Run"}
# The design's sizes are named after AWS classes; these are the nearest Google Cloud equivalents (vCPU and memory).
SIZE_NAMES = {
    "db.t4g.micro": "db-f1-micro", "db.t4g.small": "db-g1-small", "db.t4g.medium": "db-custom-1-3840",
    "db.m6g.large": "db-custom-2-8192", "db.r6g.large": "db-custom-2-13312", "db.r6g.xlarge": "db-custom-4-26624",
    "cache.t4g.micro": "redis-1gb", "cache.t4g.small": "redis-2gb", "cache.t4g.medium": "redis-4gb",
    "cache.m6g.large": "redis-7gb", "cache.r6g.large": "redis-13gb",
    "t4g.small": "e2-small", "t4g.medium": "e2-medium", "m7g.large": "n2-standard-2", "c7g.xlarge": "c3-highcpu-4",
}

# The sizes each compute type's code uses; the others stay out of the differences table (a pool is wholly on Spot
# or not, Google APIs need no endpoints, Cloud Run is regional and sized per instance).
SHARED_SIZES = ("nat_gateways", "multi_az", "deletion_protection", "database_class", "database_storage_gb",
                "backup_retention_days", "cache_node_type", "cache_nodes", "min_tasks", "max_tasks",
                "log_retention_days", "flow_log_retention_days")
USED_SIZES = {"gke": (*SHARED_SIZES, "availability_zones", "instance_type", "spot_share"),
              "mig": (*SHARED_SIZES, "availability_zones", "instance_type", "spot_share"),
              "cloud_run": (*SHARED_SIZES, "task_cpu", "task_memory")}


def _unused(orchestrator: str) -> tuple[str, ...]:
    return tuple(key for key in Sizing.__dataclass_fields__ if key not in USED_SIZES[orchestrator])


def package_files(design: InfraDesign, alert_budgets: dict[str, float]) -> dict[str, str]:
    """Every Terraform file plus the Makefile, README and .checkov.yaml under infra/gcp/."""
    from generators.infra.package import checkov_rendering
    from generators.infra.package import checkov_skips
    from generators.infra.package import differences_table

    skips = checkov_skips("gcp")
    root = terraform_gcp.ROOT
    files = {**terraform_gcp.module_files(design), **terraform_gcp.environment_files(design, alert_budgets),
             **terraform_gcp.bootstrap_files(design)}
    files[f"{root}/Makefile"] = render("infra/Makefile.j2", name=design.name, cloud_title="Google Cloud",
                                       bootstrap_help="create the state bucket and its key once (local state)",
                                       checkov_env=checkov_rendering(),
                                       skips_everywhere=",".join(skips["everywhere"]),
                                       skips_non_production=",".join(skips["non_production"]))
    files[f"{root}/.checkov.yaml"] = render("infra/checkov.yaml.j2", everywhere=list(skips["everywhere"].items()),
                                            non_production=list(skips["non_production"].items()))
    files[f"{root}/README.md"] = render("infra/gcp/README.md.j2", name=design.name, compute=design.compute,
                                        orchestrator=design.orchestrator,
                                        orchestrator_text=ORCHESTRATOR_TITLES[design.orchestrator],
                                        modules=design.modules, public=design.public, database=bool(design.databases),
                                        differences=differences_table(design), namespace=terraform_gcp.NAMESPACE)
    return files


def _compliance_resource(design: InfraDesign, address: str) -> str | None:
    """The address when this design's module declares that resource (compute type and optional parts decide)."""
    module, _, resource = address.partition("/")
    kind, _, name = resource.partition(".")
    return address if f'resource "{kind}" "{name}"' in _module_text(json.dumps(design.to_dict()), module) else None


@lru_cache(maxsize=64)
def _module_text(design_json: str, module: str) -> str:
    design = InfraDesign.from_dict(json.loads(design_json))
    return terraform_gcp.module_files(design, only=module).get(f"{terraform_gcp.ROOT}/modules/{module}/main.tf", "")


CLOUD = Cloud(
    name="gcp",
    title="Google Cloud",
    default_region="us-central1",
    priced_region="us-central1",
    region_pattern=r"[a-z]+-[a-z]+\d{1,2}",  # us-central1, europe-west1, northamerica-northeast2
    region_examples=("us-central1", "europe-west1"),
    orchestrators={"containers": "gke", "vms": "mig", "serverless": "cloud_run"},
    orchestrator_titles=ORCHESTRATOR_TITLES,
    package_files=package_files,
    module_files=lambda design, module: terraform_gcp.module_files(design, only=module),
    estimate=cost_gcp.estimate,
    price_table=cost_gcp.price_table,
    compliance_file=DATA / "compliance-gcp.yml",
    compliance_resource=_compliance_resource,
    checkov_skips_file=DATA / "infra-checkov-skips-gcp.yml",
    layout_sentence=("Plus `environments/{development,staging,production}` (tfvars, GCS backend with native state "
                     "locking,\nprovider with default labels), `bootstrap/` for the state bucket and its key, a "
                     "`Makefile` and a `README.md`."),
    size_names=SIZE_NAMES,
    unused_sizes={orchestrator: _unused(orchestrator) for orchestrator in USED_SIZES},
    queue_note=("Queues ({queues}) become Pub/Sub topics and subscriptions with dead-letter topics; AMQP clients "
                "need a Pub/Sub client library."),
    summaries={
        "security_rules": ["public: HTTPS 443 from the internet to the load balancer only, behind Cloud Armor",
                           "private: services admit only Google's load balancer and health check ranges",
                           "database: services reach the Private Service Access range on the data ports only; "
                           "all other egress but HTTPS is denied"],
        "iam_policies": ["one service account per service: logs, metrics, traces, its own secrets",
                         "data access granted on the bucket, topics, subscriptions and database per service"],
        "policy_rules": ["Data Access audit logs for all services", "OS Login enforced project-wide",
                         "default service accounts without the Editor role"],
        "automation_rules": ["autoscaling at 60% CPU (instance groups) or on requests (Cloud Run, GKE nodes)",
                             "auto-repair and auto-upgrade of GKE nodes"],
    },
    database_summaries={"automation_rules": ["Cloud SQL storage autoresize"]},
)
