"""InfraDesign -> Terraform for Google Cloud: the same five modules, three environments and state bootstrap as AWS."""

from __future__ import annotations

import re
from typing import Any

from bot.templating import hcl_string
from bot.templating import render
from generators.infra import hcl
from generators.infra.hcl import aligned
from generators.infra.hcl import literal
from generators.infra.model import Environment
from generators.infra.model import InfraDesign
from generators.infra.terraform_aws import AUDIT_RETENTION
from generators.infra.terraform_aws import HEALTH_CHECK_PATH
from generators.infra.terraform_aws import SHORT

ROOT = "infra/gcp"
ENGINES = {
    "postgres": {"engine": "postgres", "version": "POSTGRES_17", "port": 5432,
                 "iam_user": 'trimsuffix(each.value, ".gserviceaccount.com")',
                 "flags": [("cloudsql.enable_pgaudit", "on"), ("cloudsql.iam_authentication", "on"),
                           ("log_checkpoints", "on"), ("log_connections", "on"), ("log_disconnections", "on"), ("log_duration", "on"), ("log_hostname", "on"),
                           ("log_lock_waits", "on"), ("log_min_duration_statement", "-1"),
                           ("log_min_error_statement", "error"), ("log_min_messages", "warning"),
                           ("log_statement", "ddl"), ("log_temp_files", "0"), ("pgaudit.log", "ddl,role")]},
    # Cloud SQL bills MySQL 8.0 as Extended Support from 2026-07-01; 8.4 is in standard support.
    "mysql": {"engine": "mysql", "version": "MYSQL_8_4", "port": 3306, "iam_user": 'split("@", each.value)[0]',
              "flags": [("cloudsql_iam_authentication", "on"), ("local_infile", "off"),
                        ("skip_show_database", "on")]},
}
CACHE_PORT = 6379
COMPUTE_TEMPLATES = {"gke": "compute_gke", "mig": "compute_mig", "cloud_run": "compute_cloud_run"}
# Google's load balancer proxies and health checkers: the only sources the services admit.
GOOGLE_FRONT_ENDS = ["35.191.0.0/16", "130.211.0.0/22"]
SERVICE_ROLES = ["roles/cloudtrace.agent", "roles/logging.logWriter", "roles/monitoring.metricWriter"]
NODE_ROLES = ["roles/autoscaling.metricsWriter", "roles/logging.logWriter", "roles/monitoring.metricWriter",
              "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer"]
CONTROL_PLANE = {"development": "172.16.0.0/28", "staging": "172.16.0.16/28", "production": "172.16.0.32/28"}
RELEASE_CHANNELS = {"development": "REGULAR", "staging": "REGULAR", "production": "STABLE"}
NAMESPACE = "app"
DISK_GB = 20  # boot disk of each VM
ARMOR_RULES = [{"priority": 1000 + index, "name": name, "description": description}
               for index, (name, description) in enumerate([
                   ("sqli-v33-stable", "OWASP SQL injection"), ("xss-v33-stable", "OWASP cross-site scripting"),
                   ("lfi-v33-stable", "OWASP local file inclusion"), ("rce-v33-stable", "OWASP remote code execution"),
                   ("scannerdetection-v33-stable", "Known vulnerability scanners")])]
# The alert each service gets: its own saturation or error signal for the compute type.
SERVICE_ALERTS = {
    "gke": {"title": "CPU above 80% of its limit", "threshold": 0.8, "aligner": "ALIGN_MEAN",
            "filter": '"resource.type = \\"k8s_container\\" AND resource.labels.cluster_name = \\"${var.cluster_name}'
                      '\\" AND resource.labels.container_name = \\"${each.key}\\" AND metric.type = '
                      '\\"kubernetes.io/container/cpu/limit_utilization\\""'},
    "mig": {"title": "CPU above 80%", "threshold": 0.8, "aligner": "ALIGN_MEAN",
            "filter": '"resource.type = \\"gce_instance\\" AND metadata.user_labels.service = \\"${each.key}\\" AND '
                      'metric.type = \\"compute.googleapis.com/instance/cpu/utilization\\""'},
    "cloud_run": {"title": "5xx responses", "threshold": 1, "aligner": "ALIGN_RATE",
                  "filter": '"resource.type = \\"cloud_run_revision\\" AND resource.labels.service_name = '
                            '\\"${var.name}-${each.key}\\" AND metric.type = \\"run.googleapis.com/request_count\\" '
                            'AND metric.labels.response_code_class = \\"5xx\\""'},
}


# Inputs only some designs read: compute's per runtime (on GKE the manifests bring the ports), the network's ports
# for the load balancer or the instances' firewall, observability's region only in the cache alert's filter.
COMPUTE_INPUTS = {"gke": {"labels", "network_id"}, "mig": {"service_ports", "labels"},
                  "cloud_run": {"service_ports", "network_id"}}
OPTIONAL_INPUTS = {"network": {"service_ports"}, "compute": set().union(*COMPUTE_INPUTS.values()),
                   "observability": {"region"}}


def module_inputs(design: InfraDesign) -> dict[str, set[str]]:
    """The optional inputs each module reads in this design: a module declares and is passed only those."""
    ports = design.public or design.orchestrator != "cloud_run"
    return {"network": {"service_ports"} if ports else set(), "compute": COMPUTE_INPUTS[design.orchestrator],
            "observability": {"region"} if design.caches else set()}


def _flags(design: InfraDesign) -> dict[str, Any]:
    database = ENGINES[design.databases[0]] if design.databases else None
    secrets = (["database"] if database else []) + (["cache"] if design.caches else [])
    return {"public": design.public, "load_balancer": design.public and design.orchestrator != "gke",
            "orchestrator": design.orchestrator, "database": database, "cache": bool(design.caches),
            "object_storage": design.object_storage, "queues": design.queues, "data_ports": _data_ports(design),
            "armor_rules": ARMOR_RULES, "service_alert": SERVICE_ALERTS[design.orchestrator],
            "data_secrets": literal(secrets), "inputs": module_inputs(design)}


def _data_ports(design: InfraDesign) -> list[int]:
    ports = [ENGINES[engine]["port"] for engine in design.databases[:1]]
    return sorted(ports + ([CACHE_PORT] if design.caches else []))


def module_files(design: InfraDesign, only: str | None = None) -> dict[str, str]:
    """modules/<name>/{main,variables,outputs}.tf for every module the design needs (or just `only`)."""
    def templates(module: str) -> tuple[str, str, str]:
        stem = COMPUTE_TEMPLATES[design.orchestrator] if module == "compute" else module
        return f"infra/gcp/{stem}.tf.j2", f"infra/gcp/{module}_variables.tf.j2", f"infra/gcp/{module}_outputs.tf.j2"

    return hcl.module_files(ROOT, design.modules, templates, _flags(design), only)


def apis(design: InfraDesign) -> list[str]:
    """The Google APIs the design's resources need."""
    needed = {"artifactregistry", "billingbudgets", "cloudbilling", "cloudkms", "cloudresourcemanager", "compute",
              "dns", "iam", "logging", "monitoring", "secretmanager", "storage",
              {"gke": "container", "mig": "compute", "cloud_run": "run"}[design.orchestrator]}
    if design.databases:
        needed |= {"sqladmin", "servicenetworking"}
    if design.caches:
        needed |= {"redis", "servicenetworking"}
    if design.queues:
        needed.add("pubsub")
    return sorted(f"{api}.googleapis.com" for api in needed)


def agent_apis(design: InfraDesign) -> list[str]:
    """The APIs whose service agents the key is granted to, apart from Cloud Storage's (read into being)."""
    needed = {"artifactregistry", "secretmanager",
              {"gke": "container", "mig": "compute", "cloud_run": "run"}[design.orchestrator]}
    if design.orchestrator == "gke":
        needed.add("compute")  # boot disks
    if design.databases:
        needed.add("sqladmin")
    if design.caches:
        needed.add("redis")
    if design.queues:
        needed.add("pubsub")
    return sorted(f"{api}.googleapis.com" for api in needed)


def _module_arguments(design: InfraDesign) -> list[dict[str, Any]]:
    flags = _flags(design)
    orchestrator = design.orchestrator
    network = [("source", '"../../modules/network"'), ("name", "local.name"), ("region", "var.region"),
               ("cidr", "var.cidr"), ("nat_addresses", "var.nat_addresses"), ("service_ports", "var.service_ports"),
               ("internal_ranges", "[var.control_plane_cidr]" if orchestrator == "gke" else "[]")]
    if orchestrator != "cloud_run":
        network.append(("google_front_end_ranges", literal(GOOGLE_FRONT_ENDS)))
    if flags["data_ports"]:
        network.append(("data_ports", literal(flags["data_ports"])))
    if design.public:
        network.append(("domain_name", "var.domain_name"))
    if flags["load_balancer"]:
        network.append(("default_service", hcl_string(design.services[0].name)))
        if orchestrator == "mig":
            network += [("instance_groups", "module.compute.instance_groups"),
                        ("health_checks", "module.compute.health_checks")]
    common = [("name", "local.name"), ("project_id", "var.project_id"), ("region", "var.region"),
              ("labels", "local.labels"), ("kms_key_id", "module.security.kms_key_id"),
              ("service_accounts", "module.security.service_accounts")]
    modules = [
        {"name": "security", "arguments": [("source", '"../../modules/security"'), ("name", "local.name"),
                                           ("region", "var.region"), ("apis", literal(apis(design))),
                                           ("agent_apis", literal(agent_apis(design))),
                                           ("service_ports", "var.service_ports"),
                                           ("service_roles", literal(SERVICE_ROLES))]},
        {"name": "network", "arguments": network},
    ]
    if "data" in design.modules:
        data = [("source", '"../../modules/data"'), *common]
        if flags["database"] or design.caches:
            data += [("private_network", "module.network.private_network"),
                     ("private_zone", "module.network.private_zone")]
        if flags["database"]:
            data += [("database_tier", "var.database_tier"), ("availability_type", "var.availability_type"),
                     ("database_storage_gb", "var.database_storage_gb"),
                     ("backup_retention_days", "var.backup_retention_days"),
                     ("deletion_protection", "var.deletion_protection")]
        if design.caches:
            data += [("cache_tier", "var.cache_tier"), ("cache_memory_gb", "var.cache_memory_gb")]
        if design.object_storage:
            data += [("noncurrent_version_days", "var.backup_retention_days"),
                     ("access_log_days", "var.log_retention_days")]
        if design.queues:
            data += [("queues", literal(design.queues)), ("project_number", "module.security.project_number")]
        modules.append({"name": "data", "arguments": data})
    compute = [("source", '"../../modules/compute"'), *common, ("service_ports", "var.service_ports"),
               ("network_id", "module.network.network_id"), ("subnet_id", "module.network.subnet_id"),
               ("services_tag", "module.network.services_tag"), ("min_instances", "var.min_instances"),
               ("max_instances", "var.max_instances")]
    if orchestrator != "gke":  # on GKE, Kubernetes deploys the images
        compute += [("environment", "var.environment"), ("image_tag", "var.image_tag")]
    if orchestrator != "mig":
        compute.append(("deletion_protection", "var.deletion_protection"))
    if orchestrator != "cloud_run":
        compute += [("zone_count", "var.zone_count"), ("machine_type", "var.machine_type"), ("spot", "var.spot")]
    if orchestrator == "gke":
        compute += [("release_channel", "var.release_channel"), ("control_plane_cidr", "var.control_plane_cidr"),
                    ("authorized_networks", "var.authorized_networks"), ("namespace", hcl_string(NAMESPACE)),
                    ("node_roles", literal(NODE_ROLES))]
    elif orchestrator == "mig":
        compute += [("disk_size_gb", str(DISK_GB)), ("health_check_path", "var.health_check_path")]
    else:
        compute += [("cpu", "var.cpu"), ("memory", "var.memory")]
    modules.append({"name": "compute", "arguments": compute})
    observability = [("source", '"../../modules/observability"'), ("name", "local.name"),
                     ("project_id", "var.project_id"), ("region", "var.region"),
                     ("alarm_emails", "var.alarm_emails"), ("monthly_budget", "var.monthly_budget"),
                     ("log_retention_days", "var.log_retention_days"),
                     ("flow_log_retention_days", "var.flow_log_retention_days"),
                     ("audit_retention_days", "var.audit_retention_days"),
                     ("lock_audit_logs", "var.deletion_protection"), ("service_ports", "var.service_ports")]
    if orchestrator == "gke":
        observability.append(("cluster_name", "module.compute.cluster_name"))
    if flags["load_balancer"]:
        observability.append(("forwarding_rule", "module.network.https_forwarding_rule"))
    if flags["database"]:
        observability.append(("database_instance", "module.data.database_instance"))
    if design.caches:
        observability.append(("cache_instance", "module.data.cache_instance"))
    modules.append({"name": "observability", "arguments": observability})
    return hcl.passed_arguments(modules, OPTIONAL_INPUTS, module_inputs(design))


def labels(design: InfraDesign) -> dict[str, str]:
    """The design's tags as GCP labels: lowercase letters, digits, `_` and `-`, at most 63 characters."""
    return {re.sub(r"[^a-z0-9_-]", "_", key.lower())[:63]: re.sub(r"[^a-z0-9_-]", "_", value.lower())[:63]
            for key, value in design.tags.items()}


def cache_memory_gb(cache_name: str) -> int:
    """`redis-4gb` (the cloud's size name) -> 4."""
    return int(re.fullmatch(r"redis-(\d+)gb", cache_name).group(1))  # type: ignore[union-attr]


def _settings(design: InfraDesign, env: Environment, budget: float) -> list[tuple[str, str, str, Any]]:
    """(variable, type, description, value) of the environment, for the variables the design uses."""
    size, flags = env.sizing, _flags(design)
    orchestrator = design.orchestrator
    domain = f"{SHORT[env.name]}.{design.name}.example.com" if env.name != "production" else f"{design.name}.example.com"
    rows: list[tuple[str, str, str, Any, bool]] = [
        ("project_id", "string", "Project of the environment (one project per environment).",
         f"{design.name}-{SHORT[env.name]}", True),
        ("region", "string", "Region of the environment.", design.region, True),
        ("environment", "string", "development, staging or production.", env.name, True),
        ("short_name", "string", "Short environment name used in resource names.", SHORT[env.name], True),
        ("labels", "map(string)", "Labels on every resource (the provider adds them); project, environment and "
         "cost-center allocate the bill.", labels(design), True),
        ("cidr", "string", "The VPC's address range.", env.cidr, True),
        ("nat_addresses", "number", "Static external addresses of Cloud NAT.", size.nat_gateways, True),
        ("zone_count", "number", "Zones the nodes or instances are spread over.", size.availability_zones,
         orchestrator != "cloud_run"),
        ("flow_log_retention_days", "number", "Days VPC flow, firewall and NAT logs are kept.",
         size.flow_log_retention_days, True),
        ("log_retention_days", "number", "Days application logs are kept.", size.log_retention_days, True),
        ("audit_retention_days", "number", "Days audit logs are kept.", AUDIT_RETENTION[env.name], True),
        ("image_tag", "string", "Image tag every service runs.", "latest", orchestrator != "gke"),
        ("machine_type", "string", "Machine type of the GKE nodes or the VMs.", size.instance_type,
         orchestrator != "cloud_run"),
        ("spot", "bool", "Run the nodes or VMs on Spot VMs.", size.spot_share > 0, orchestrator != "cloud_run"),
        ("cpu", "string", "CPU limit of each Cloud Run instance.", str(max(1, size.task_cpu // 1024)),
         orchestrator == "cloud_run"),
        ("memory", "string", "Memory limit of each Cloud Run instance.", f"{size.task_memory}Mi",
         orchestrator == "cloud_run"),
        ("min_instances", "number", "Minimum nodes (GKE) or instances per service.", size.min_tasks, True),
        ("max_instances", "number", "Maximum nodes (GKE) or instances per service.", size.max_tasks, True),
        ("release_channel", "string", "GKE release channel.", RELEASE_CHANNELS[env.name], orchestrator == "gke"),
        ("control_plane_cidr", "string", "The /28 range of the private GKE control plane.", CONTROL_PLANE[env.name],
         orchestrator == "gke"),
        ("authorized_networks", "list(string)", "Ranges that may reach the GKE control plane (add your office or "
         "CI ranges).", [env.cidr], orchestrator == "gke"),
        ("deletion_protection", "bool", "Refuse to delete the database, cluster, services and audit logs.",
         size.deletion_protection, True),
        ("backup_retention_days", "number", "Daily database backups kept; days old object versions are kept.",
         size.backup_retention_days, bool(flags["database"] or design.object_storage)),
        ("database_tier", "string", "Cloud SQL machine tier.", size.database_class, bool(flags["database"])),
        ("availability_type", "string", "REGIONAL (standby in another zone) or ZONAL.",
         "REGIONAL" if size.multi_az else "ZONAL", bool(flags["database"])),
        ("database_storage_gb", "number", "Initial database storage.", size.database_storage_gb,
         bool(flags["database"])),
        ("cache_tier", "string", "BASIC or STANDARD_HA.", "STANDARD_HA" if size.cache_nodes > 1 else "BASIC",
         design.caches != []),
        ("cache_memory_gb", "number", "Redis memory.",
         cache_memory_gb(size.cache_node_type) if design.caches else 0, design.caches != []),
        ("domain_name", "string", "Public domain of the services.", domain, design.public),
        ("health_check_path", "string", "HTTP path the health checks request.", HEALTH_CHECK_PATH,
         orchestrator == "mig"),
        ("alarm_emails", "list(string)", "Addresses that receive alerts and budget notifications.", [], True),
        ("monthly_budget", "number", "Monthly budget in whole US dollars.", int(round(budget)), True),
        ("service_ports", "map(number)", "Port of each service, by service name.",
         {service.name: service.port for service in design.services}, True),
    ]
    return [(name, kind, description, value) for name, kind, description, value, used in rows if used]


def environment_files(design: InfraDesign, budgets: dict[str, float]) -> dict[str, str]:
    """environments/<env>/ main.tf, variables.tf, backend.tf and terraform.tfvars for every environment."""
    main = render("infra/gcp/environment_main.tf.j2", modules=_module_arguments(design))
    files = {}
    for env in design.environments:
        settings = _settings(design, env, budgets[env.name])
        folder = f"{ROOT}/environments/{env.name}"
        files[f"{folder}/main.tf"] = main
        files[f"{folder}/variables.tf"] = render(
            "infra/gcp/environment_variables.tf.j2",
            variables=[(name, kind, description) for name, kind, description, _ in settings])
        files[f"{folder}/backend.tf"] = render("infra/gcp/environment_backend.tf.j2",
                                               prefix=f"{design.name}/{env.name}")
        pairs = [(name, literal(value)) for name, _, _, value in settings]
        files[f"{folder}/terraform.tfvars"] = render("infra/aws/tfvars.j2", values=aligned(pairs))
    return files


def bootstrap_files(design: InfraDesign) -> dict[str, str]:
    """bootstrap/: the state bucket and its key, with its own tfvars."""
    tfvars = render("infra/aws/tfvars.j2", values=aligned([("project_id", literal(f"{design.name}-tfstate")),
                                                             ("region", literal(design.region)),
                                                             ("labels", literal(labels(design)))]))
    return {f"{ROOT}/bootstrap/main.tf": render("infra/gcp/bootstrap.tf.j2", name=design.name),
            f"{ROOT}/bootstrap/terraform.tfvars": tfvars}
