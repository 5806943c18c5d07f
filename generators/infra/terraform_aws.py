"""InfraDesign -> Terraform for AWS: five modules, three environments, the state bootstrap, Makefile and README."""

from __future__ import annotations

from typing import Any

from bot.templating import hcl_string
from bot.templating import render
from generators.infra import hcl
from generators.infra.hcl import aligned
from generators.infra.hcl import literal
from generators.infra.model import Environment
from generators.infra.model import InfraDesign

ROOT = "infra/aws"
# The one engine version both AWS outputs pin: CloudFormation names it exactly (cfn-lint refuses deprecated minors,
# W3691), Terraform names its major (terraform_version) so RDS's automatic minor upgrades do not show as drift.
# RDS MySQL 8.0 left standard support on 2026-07-31 (Extended Support is billed), hence 8.4.
ENGINES = {
    "postgres": {"engine": "postgres", "engine_name": "postgres", "version": "16.13", "family": "postgres16",
                 "tls_parameter": "rds.force_ssl", "tls_value": "1", "port": 5432,
                 "log_exports": ["postgresql", "upgrade"]},
    "mysql": {"engine": "mysql", "engine_name": "mysql", "version": "8.4.9", "family": "mysql8.4",
              "tls_parameter": "require_secure_transport", "tls_value": "1", "port": 3306,
              "log_exports": ["audit", "error", "general", "slowquery"]},
}
CACHE_PORT = 6379
CACHE_ENGINE_VERSION = "7.1"  # ElastiCache for Redis OSS; both outputs pin it
SHORT = {"development": "dev", "staging": "stg", "production": "prod"}
# AWS managed Config rules; docs/compliance.md maps controls to them.
CONFIG_RULES = ["CLOUD_TRAIL_ENABLED", "CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED", "ENCRYPTED_VOLUMES",
                "IAM_ROOT_ACCESS_KEY_CHECK", "INCOMING_SSH_DISABLED", "RDS_STORAGE_ENCRYPTED",
                "S3_BUCKET_PUBLIC_READ_PROHIBITED", "S3_BUCKET_SSL_REQUESTS_ONLY", "VPC_FLOW_LOGS_ENABLED"]
PRODUCTION_RULES = ["RDS_MULTI_AZ_SUPPORT", "DB_INSTANCE_BACKUP_ENABLED"]
AUDIT_RETENTION = {"development": 90, "staging": 365, "production": 2557}  # production: seven years
HEALTH_CHECK_PATH = "/"
COMPUTE_TEMPLATES = {"ecs": "compute", "eks": "compute_eks", "asg": "compute_asg",
                     "lambda": "compute_lambda"}  # orchestrator -> template stem of modules/compute
TARGET_TYPES = {"ecs": "ip", "eks": "ip", "asg": "instance"}  # EKS: the controller registers pod IPs
# End of EKS standard support per minor version: after it a cluster is billed extended support ($0.60 instead of
# $0.10 per cluster-hour, aws-prices.json). Source: the EKS Kubernetes release calendar
# (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), as listed by endoflife.date/amazon-eks
# (1.35 GA on EKS 2026-01-28). Pin a version whose date is comfortably ahead; the add-ons take EKS's default
# version for the cluster's version, so they move with it.
EKS_STANDARD_SUPPORT_ENDS = {"1.31": "2025-11-26", "1.32": "2026-03-23", "1.33": "2026-07-29",
                             "1.34": "2026-12-02", "1.35": "2027-03-27"}
KUBERNETES_VERSION = "1.35"
# Inputs only some designs' modules read: Lambda's network has no per-service listeners or rules and its
# observability no per-service CloudWatch namespace.
OPTIONAL_INPUTS = {"network": {"service_ports"}, "observability": {"metric_namespace"}}


def module_inputs(design: InfraDesign) -> dict[str, set[str]]:
    """The optional inputs each module reads in this design: a module declares and is passed only those."""
    return {} if design.orchestrator == "lambda" else OPTIONAL_INPUTS


def terraform_version(version: str) -> str:
    """The major version of an RDS engine version ("16.13" -> "16", "8.4.9" -> "8.4"), as Terraform pins it."""
    return version.rsplit(".", 1)[0]


def _flags(design: InfraDesign) -> dict[str, Any]:
    engine = ENGINES[design.databases[0]] if design.databases else None
    database = {**engine, "version": terraform_version(engine["version"])} if engine else None
    return {"public": design.public, "database": database, "cache": bool(design.caches),
            "cache_engine_version": CACHE_ENGINE_VERSION,
            "object_storage": design.object_storage, "queues": design.queues,
            "serverless": design.orchestrator == "lambda", "eks": design.orchestrator == "eks",
            "inputs": {module: module_inputs(design).get(module, set()) for module in OPTIONAL_INPUTS}}


def module_files(design: InfraDesign, only: str | None = None) -> dict[str, str]:
    """modules/<name>/{main,variables,outputs}.tf for every module the design needs (or just `only`)."""
    def templates(module: str) -> tuple[str, str, str]:
        stem = COMPUTE_TEMPLATES[design.orchestrator] if module == "compute" else module
        return f"infra/aws/{stem}.tf.j2", f"infra/aws/{stem}_variables.tf.j2", f"infra/aws/{stem}_outputs.tf.j2"

    return hcl.module_files(ROOT, design.modules, templates, _flags(design), only)


def _data_ports(design: InfraDesign) -> list[int]:
    ports = [ENGINES[engine]["port"] for engine in design.databases[:1]]
    return sorted(ports + ([CACHE_PORT] if design.caches else []))


def _module_arguments(design: InfraDesign) -> list[dict[str, Any]]:
    flags = _flags(design)
    default_service = design.services[0].name
    network = [("source", '"../../modules/network"'), ("name", "local.name"), ("cidr", "var.vpc_cidr"),
               ("zones", "var.zones"), ("nat_gateways", "var.nat_gateways"),
               ("interface_endpoints", "var.interface_endpoints"),
               ("flow_log_retention_days", "var.flow_log_retention_days"),
               ("kms_key_arn", "module.security.kms_key_arn"), ("service_ports", "var.service_ports"),
               ("data_ports", literal(_data_ports(design)))]
    if design.public and flags["serverless"]:
        network += [("domain_name", "var.domain_name")]
    elif design.public:
        network += [("deletion_protection", "var.deletion_protection"),
                    ("access_log_bucket", "module.security.audit_bucket"), ("domain_name", "var.domain_name"),
                    ("default_service", hcl_string(default_service)),
                    ("target_type", hcl_string(TARGET_TYPES[design.orchestrator])),
                    ("health_check_path", "var.health_check_path")]
    modules = [
        {"name": "security", "arguments": [("source", '"../../modules/security"'), ("name", "local.name"),
                                           ("audit_retention_days", "var.audit_retention_days"),
                                           ("config_rules", "var.config_rules")]},
        {"name": "network", "arguments": network},
    ]
    if "data" in design.modules:
        data = [("source", '"../../modules/data"'), ("name", "local.name"),
                ("kms_key_arn", "module.security.kms_key_arn"),
                ("security_group_id", "module.network.data_security_group_id"),
                ("database_subnet_ids", "module.network.database_subnet_ids"),
                ("backup_retention_days", "var.backup_retention_days"), ("multi_az", "var.multi_az")]
        if flags["database"]:
            data += [("database_class", "var.database_class"), ("database_storage_gb", "var.database_storage_gb"),
                     ("deletion_protection", "var.deletion_protection")]
        if design.caches:
            data += [("cache_node_type", "var.cache_node_type"), ("cache_nodes", "var.cache_nodes"),
                     ("log_retention_days", "var.log_retention_days")]
        if design.object_storage:
            data += [("access_log_bucket", "module.security.audit_bucket"),
                     ("noncurrent_version_days", "var.backup_retention_days")]
        if design.queues:
            data += [("queues", literal(design.queues))]
        modules.append({"name": "data", "arguments": data})
    database_secret = ", module.data.database_secret_arn" if flags["database"] else ""
    secrets = f"[module.security.app_secret_arn{database_secret}]"
    # EKS: images and their environment reach the cluster with the application's manifests, not through Terraform.
    release = ([("kubernetes_version", hcl_string(KUBERNETES_VERSION)), ("namespace", hcl_string(design.name))]
               if flags["eks"] else [("image_tag", "var.image_tag"), ("environment", "{ APP_ENV = var.environment }")])
    compute = [("source", '"../../modules/compute"'), ("name", "local.name"), ("service_ports", "var.service_ports"),
               *release, *_compute_sizes(design.orchestrator),
               ("log_retention_days", "var.log_retention_days"), ("kms_key_arn", "module.security.kms_key_arn"),
               ("secret_arns", secrets), *([("vpc_id", "module.network.vpc_id")] if flags["eks"] else []),
               ("private_subnet_ids", "module.network.private_subnet_ids"),
               ("security_group_id", "module.network.services_security_group_id")]
    if design.public and flags["serverless"]:
        compute += [("api_rate_limit", "var.api_rate_limit"), ("api_burst_limit", "var.api_burst_limit"),
                    ("domain_name", "var.domain_name"), ("default_service", hcl_string(default_service)),
                    ("zone_id", "module.network.public_zone_id"),
                    ("certificate_arn", "module.network.certificate_arn")]
    elif design.public:
        compute.append(("target_group_arns", "module.network.target_group_arns"))
    if design.object_storage:
        compute.append(("bucket_arn", "module.data.bucket_arn"))
    if design.queues:
        compute.append(("queue_arns", "module.data.queue_arns"))
    if design.caches:
        compute += [("cache_user_group_arn", "module.data.cache_user_group_arn"),
                    ("cache_arn", "module.data.cache_arn")]
    modules.append({"name": "compute", "arguments": compute})
    observability = [("source", '"../../modules/observability"'), ("name", "local.name"),
                     ("kms_key_arn", "module.security.kms_key_arn"), ("alarm_emails", "var.alarm_emails"),
                     ("monthly_budget", "var.monthly_budget"),
                     ("metric_namespace", "module.compute.metric_namespace"),
                     ("service_dimensions", "module.compute.service_dimensions")]
    if design.public and flags["serverless"]:
        observability.append(("api_names", "module.compute.api_names"))
    elif design.public:
        observability.append(("load_balancer_arn_suffix", "module.network.load_balancer_arn_suffix"))
    if flags["database"]:
        observability.append(("database_identifier", "module.data.database_identifier"))
    if design.caches:
        observability.append(("cache_id", "module.data.cache_id"))
    modules.append({"name": "observability", "arguments": observability})
    return hcl.passed_arguments(modules, OPTIONAL_INPUTS, module_inputs(design))


def _compute_sizes(orchestrator: str) -> list[tuple[str, str]]:
    """The sizing arguments of modules/compute: what each compute type is sized by."""
    if orchestrator == "lambda":
        return [(key, f"var.{key}") for key in ("function_memory", "reserved_concurrency", "provisioned_concurrency")]
    if orchestrator == "eks":
        return [(key, f"var.{key}") for key in ("node_instance_type", "min_nodes", "max_nodes", "spot_share")]
    size = ["instance_type"] if orchestrator == "asg" else ["task_cpu", "task_memory"]
    return [(key, f"var.{key}") for key in (*size, "min_tasks", "on_demand_base", "max_tasks", "spot_share")]


def _tfvars(design: InfraDesign, env: Environment, budget: float, read: set[str]) -> str:
    size = env.sizing
    rules = CONFIG_RULES + (PRODUCTION_RULES if env.name == "production" and design.databases else [])
    values: list[tuple[str, Any]] = [
        ("region", design.region), ("environment", env.name), ("short_name", SHORT[env.name]),
        ("vpc_cidr", env.cidr), ("zones", [f"{design.region}{letter}" for letter in "abc"[:size.availability_zones]]),
        ("nat_gateways", size.nat_gateways),
        ("interface_endpoints", size.interface_endpoints),
        ("flow_log_retention_days", size.flow_log_retention_days), ("log_retention_days", size.log_retention_days),
        ("audit_retention_days", AUDIT_RETENTION[env.name]), ("image_tag", "latest"),
        ("task_cpu", size.task_cpu), ("task_memory", size.task_memory), ("instance_type", size.instance_type),
        ("min_tasks", size.min_tasks), ("on_demand_base", min(size.on_demand_base, size.min_tasks)),
        ("max_tasks", size.max_tasks), ("spot_share", size.spot_share),
        *([("function_memory", size.function_memory), ("reserved_concurrency", size.reserved_concurrency),
           ("provisioned_concurrency", size.provisioned_concurrency), ("api_rate_limit", size.api_rate_limit),
           ("api_burst_limit", size.api_burst_limit)] if design.orchestrator == "lambda" else []),
        *([("node_instance_type", size.node_instance_type), ("min_nodes", size.min_nodes),
           ("max_nodes", size.max_nodes)] if design.orchestrator == "eks" else []),
        ("backup_retention_days", size.backup_retention_days), ("deletion_protection", size.deletion_protection),
        ("multi_az", size.multi_az), ("database_class", size.database_class),
        ("database_storage_gb", size.database_storage_gb), ("cache_node_type", size.cache_node_type),
        ("cache_nodes", size.cache_nodes),
        ("domain_name", f"{SHORT[env.name]}.{design.name}.example.com" if env.name != "production"
         else f"{design.name}.example.com"),
        ("health_check_path", HEALTH_CHECK_PATH), ("alarm_emails", []), ("monthly_budget", round(budget, 2)),
        ("config_rules", sorted(rules)),
        ("service_ports", {service.name: service.port for service in design.services}),
        ("tags", dict(design.tags)),
    ]
    pairs = [(key, literal(value)) for key, value in values if key in read]
    return render("infra/aws/tfvars.j2", values=aligned(pairs))


def environment_files(design: InfraDesign, budgets: dict[str, float]) -> dict[str, str]:
    """environments/<env>/ main.tf, variables.tf, backend.tf and terraform.tfvars for every environment."""
    flags = _flags(design)
    main = render("infra/aws/environment_main.tf.j2", modules=_module_arguments(design))
    read = hcl.read_variables(main)  # an environment declares and sets only what its modules are passed
    variables = hcl.only_variables(render("infra/aws/environment_variables.tf.j2", **flags), read)
    files = {}
    for env in design.environments:
        folder = f"{ROOT}/environments/{env.name}"
        files[f"{folder}/main.tf"] = main
        files[f"{folder}/variables.tf"] = variables
        files[f"{folder}/backend.tf"] = render("infra/aws/environment_backend.tf.j2",
                                               key=f"{design.name}/{env.name}/terraform.tfstate",
                                               region=design.region, lock_table=lock_table(design))
        files[f"{folder}/terraform.tfvars"] = _tfvars(design, env, budgets[env.name], read)
    return files


def lock_table(design: InfraDesign) -> str:
    """Name of the DynamoDB table that holds the state locks."""
    return f"{design.name}-terraform-locks"


def bootstrap_files(design: InfraDesign) -> dict[str, str]:
    """bootstrap/: the state bucket and lock table, with its own tfvars."""
    tfvars = render("infra/aws/tfvars.j2", values=aligned([("region", literal(design.region)),
                                                             ("tags", literal(dict(design.tags)))]))
    return {f"{ROOT}/bootstrap/main.tf": render("infra/aws/bootstrap.tf.j2", bucket_prefix=f"{design.name}-tfstate-",
                                                 lock_table=lock_table(design)),
            f"{ROOT}/bootstrap/terraform.tfvars": tfvars}


def compute_summary(design: InfraDesign) -> tuple[dict[str, Any], dict[str, Any]]:
    """(scaling policies, placement) per environment, for the pipeline's outputs."""
    if design.orchestrator == "lambda":
        return ({env.name: {"reserved_concurrency": env.sizing.reserved_concurrency,
                            "provisioned_concurrency": env.sizing.provisioned_concurrency,
                            "api_rate_limit": env.sizing.api_rate_limit} for env in design.environments},
                {env.name: {"memory_mb": env.sizing.function_memory, "architecture": "arm64",
                            "subnets": "private"} for env in design.environments})
    if design.orchestrator == "eks":
        return ({env.name: {"min_nodes": env.sizing.min_nodes, "max_nodes": env.sizing.max_nodes}
                 for env in design.environments},
                {env.name: {"node_instance_type": env.sizing.node_instance_type, "spot_share": env.sizing.spot_share}
                 for env in design.environments})
    return ({env.name: {"min": env.sizing.min_tasks, "max": env.sizing.max_tasks, "target_cpu_percent": 60}
             for env in design.environments},
            {env.name: {"spot_share": env.sizing.spot_share, "on_demand_base": env.sizing.on_demand_base}
             for env in design.environments})
