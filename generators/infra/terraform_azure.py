"""InfraDesign -> Terraform for Azure (azurerm 4.x): the same five modules, three environments, the state bootstrap."""

from __future__ import annotations

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

ROOT = "infra/azure"
ENGINES = {
    "postgres": {"engine": "postgres", "resource": "postgresql", "title": "PostgreSQL", "prefix": "psql", "version": "16",
                 "subresource": "postgresqlServer", "port": 5432, "zone": "privatelink.postgres.database.azure.com",
                 "tls_parameter": "require_secure_transport", "tls_value": "on",
                 "tls_version_parameter": "ssl_min_protocol_version", "tls_version_value": "TLSv1.2",
                 "logging": [("log_connections", "on"), ("log_disconnections", "on"), ("log_checkpoints", "on"),
                             ("connection_throttle.enable", "on")]},
    "mysql": {"engine": "mysql", "resource": "mysql", "title": "MySQL", "prefix": "mysql", "version": "8.0.21",
              "subresource": "mysqlServer", "port": 3306, "zone": "privatelink.mysql.database.azure.com",
              "tls_parameter": "require_secure_transport", "tls_value": "ON",
              "tls_version_parameter": "tls_version", "tls_version_value": "TLSv1.2",
              "logging": [("audit_log_enabled", "ON"), ("slow_query_log", "ON")]},
}
CACHE_TLS_PORT = 6380
COMPUTE_TEMPLATES = {"aks": "compute_aks", "vmss": "compute_vmss", "functions": "compute_functions"}
SCALING_UNITS = {"aks": "User nodes", "vmss": "Instances per service", "functions": "Instances of the plan"}
# Elastic Premium plan with at least the vCPUs the design asks per task (1024 units = 1 vCPU).
FUNCTION_PLANS = ((1024, "EP1"), (2048, "EP2"))
PRIVATE_ZONES = {"vault": "privatelink.vaultcore.azure.net", "blob": "privatelink.blob.core.windows.net",
                 "registry": "privatelink.azurecr.io", "cache": "privatelink.redis.cache.windows.net",
                 "servicebus": "privatelink.servicebus.windows.net", "sites": "privatelink.azurewebsites.net",
                 "queue": "privatelink.queue.core.windows.net", "table": "privatelink.table.core.windows.net"}


def _flags(design: InfraDesign) -> dict[str, Any]:
    database = ENGINES[design.databases[0]] if design.databases else None
    return {"public": design.public, "database": database, "cache": bool(design.caches),
            "object_storage": design.object_storage, "queues": design.queues, "orchestrator": design.orchestrator,
            "scaling_unit": SCALING_UNITS[design.orchestrator]}


def module_files(design: InfraDesign, only: str | None = None) -> dict[str, str]:
    """modules/<name>/{main,variables,outputs}.tf for every module the design needs (or just `only`)."""
    def templates(module: str) -> tuple[str, str, str]:
        stem = COMPUTE_TEMPLATES[design.orchestrator] if module == "compute" else module
        return f"infra/azure/{stem}.tf.j2", f"infra/azure/{module}_variables.tf.j2", f"infra/azure/{stem}_outputs.tf.j2"

    return hcl.module_files(ROOT, design.modules, templates, _flags(design), only)


def private_zones(design: InfraDesign) -> dict[str, str]:
    """The private DNS zone of every kind of private endpoint this design creates."""
    kinds = ["vault", "blob", "registry"]
    if design.databases:
        kinds.append("database")
    if design.caches:
        kinds.append("cache")
    if design.queues:
        kinds.append("servicebus")
    if design.orchestrator == "functions":
        kinds += ["sites", "queue", "table"]
    zones = {**PRIVATE_ZONES, **({"database": ENGINES[design.databases[0]]["zone"]} if design.databases else {})}
    return {kind: zones[kind] for kind in sorted(kinds)}


def defender_plans(design: InfraDesign) -> list[str]:
    """Defender for Cloud plans for what the design runs."""
    plans = {"Arm", "KeyVaults", "StorageAccounts", "ContainerRegistry"}
    plans |= {"aks": {"Containers", "VirtualMachines"}, "vmss": {"VirtualMachines"},
              "functions": {"AppServices"}}[design.orchestrator]
    if design.databases:
        plans.add("OpenSourceRelationalDatabases")
    return sorted(plans)


def platform_identities(design: InfraDesign) -> list[str]:
    """User-assigned identities of the platform (not of a service)."""
    return ["encryption", *(["cluster"] if design.orchestrator == "aks" else []),
            *(["gateway"] if design.public else [])]


def _data_ports(design: InfraDesign) -> list[int]:
    ports = [ENGINES[engine]["port"] for engine in design.databases[:1]]
    return sorted(ports + ([CACHE_TLS_PORT] if design.caches else []))


def _alerts(design: InfraDesign) -> str:
    """The observability module's alerts: the compute module's plus the gateway's, database's and cache's."""
    parts = ["module.compute.alerts"] + (["module.network.alerts"] if design.public else [])
    if design.databases or design.caches:
        parts.append("module.data.alerts")
    return parts[0] if len(parts) == 1 else f"merge({', '.join(parts)})"


def _shared(design: InfraDesign) -> list[tuple[str, str]]:
    return [("name", "local.name"), ("location", "var.location"),
            ("resource_group_name", "module.network.resource_group_name")]


def _encryption() -> list[tuple[str, str]]:
    return [("key_vault_id", "module.security.key_vault_id"), ("key_id", "module.security.key_id"),
            ("encryption_identity_id", 'module.security.platform_identities["encryption"].id'),
            ("encryption_dependency", "module.security.encryption_dependency")]


def _endpoints() -> list[tuple[str, str]]:
    return [("private_endpoint_subnet_id", "module.network.data_subnet_id"),
            ("private_dns_zone_ids", "module.network.private_dns_zone_ids")]


def _module_arguments(design: InfraDesign) -> list[dict[str, Any]]:
    orchestrator = design.orchestrator
    network = [("source", '"../../modules/network"'), ("name", "local.name"), ("location", "var.location"),
               ("cidr", "var.vnet_cidr"), ("zones", "var.zones"), ("service_ports", "var.service_ports"),
               ("data_ports", literal(_data_ports(design))), ("private_dns_zones", "var.private_dns_zones"),
               ("flow_log_storage_account_id", "module.security.audit_storage_account_id"),
               ("flow_log_retention_days", "var.flow_log_retention_days"),
               ("log_analytics_workspace_id", "module.observability.workspace_id"),
               ("log_analytics_workspace_guid", "module.observability.workspace_guid")]
    if design.public:
        network += [("domain_name", "var.domain_name"), ("default_service", hcl_string(design.services[0].name)),
                    ("gateway_identity_id", 'module.security.platform_identities["gateway"].id'),
                    ("certificate_secret_id", "module.security.certificate_secret_id"),
                    ("gateway_min_capacity", "var.zone_redundant ? 2 : 1"),
                    ("backend_addresses", "module.compute.backend_addresses"),
                    ("backend_protocol", hcl_string("Https" if orchestrator == "functions" else "Http")),
                    ("health_check_path", "var.health_check_path")]
    network.append(("tags", "local.tags"))
    security = [("source", '"../../modules/security"'), *_shared(design), ("services", "keys(var.service_ports)"),
                ("platform_identities", literal(platform_identities(design))),
                ("admin_ip_ranges", "var.admin_ip_ranges"),
                *_endpoints(), ("storage_replication", "var.storage_replication"),
                ("audit_retention_days", "var.audit_retention_days"),
                ("log_analytics_workspace_id", "module.observability.workspace_id"),
                ("defender_plans", literal(defender_plans(design))),
                ("security_contact_email", "var.security_contact_email")]
    if design.public:
        security += [("domain_name", "var.domain_name"), ("certificate_issuer", "var.certificate_issuer")]
    security.append(("tags", "local.tags"))
    modules = [{"name": "network", "arguments": network}, {"name": "security", "arguments": security}]
    compute = [("source", '"../../modules/compute"'), *_shared(design), ("zones", "var.zones"),
               ("zone_redundant", "var.zone_redundant"), ("service_ports", "var.service_ports"),
               ("image_tag", "var.image_tag"), ("environment", "{ APP_ENV = var.environment }"),
               ("min_tasks", "var.min_tasks"), ("max_tasks", "var.max_tasks")]
    if orchestrator == "functions":
        compute += [("function_plan", "var.function_plan"), ("health_check_path", "var.health_check_path"),
                    ("application_insights_connection_string",
                     "module.observability.application_insights_connection_string"),
                    ("key_name", "module.security.key_name"), ("storage_replication", "var.storage_replication")]
    else:
        compute += [("instance_type", "var.instance_type"), ("spot_share", "var.spot_share"),
                    ("on_demand_base", "var.on_demand_base"),
                    ("disk_encryption_set_id", "module.security.disk_encryption_set_id")]
    compute.append(("app_subnet_id", "module.network.app_subnet_id"))
    if orchestrator == "aks":
        compute += [("app_subnet_cidr", "module.network.app_subnet_cidr"),
                    ("cluster_sku_tier", "var.cluster_sku_tier"),
                    ("cluster_identity", 'module.security.platform_identities["cluster"]')]
    if orchestrator == "vmss":
        compute += [("ssh_public_key", "var.ssh_public_key"), ("health_check_path", "var.health_check_path"),
                    ("backend_pool_ids", "module.network.backend_pool_ids" if design.public else "{}")]
    compute += [("service_identities", "module.security.service_identities"), *_encryption(),
                ("encryption_identity_client_id", 'module.security.platform_identities["encryption"].client_id'),
                *_endpoints(), ("log_analytics_workspace_id", "module.observability.workspace_id"),
                ("tags", "local.tags")]
    modules.append({"name": "compute", "arguments": compute})
    if "data" in design.modules:
        data = [("source", '"../../modules/data"'), *_shared(design), ("zones", "var.zones"),
                ("zone_redundant", "var.zone_redundant"), *_endpoints(),
                *_encryption(), ("key_name", "module.security.key_name"),
                ("service_principals",
                 "{ for name, identity in module.security.service_identities : name => identity.principal_id }")]
        if design.databases:
            data += [("database_sku", "var.database_sku"), ("database_storage_gb", "var.database_storage_gb"),
                     ("backup_retention_days", "var.backup_retention_days"),
                     ("geo_redundant_backup", "var.geo_redundant_backup"),
                     ("deletion_protection", "var.deletion_protection")]
            if design.databases[0] == "postgres":
                data += [("database_admin_name", "var.database_admin_name"),
                         ("database_admin_type", "var.database_admin_type")]
        if design.caches:
            data += [("cache_sku", "var.cache_sku"), ("cache_nodes", "var.cache_nodes")]
        if design.object_storage:
            data += [("storage_replication", "var.storage_replication"),
                     ("soft_delete_days", "var.backup_retention_days")]
        if design.queues:
            data += [("queues", literal(design.queues)), ("service_bus_premium", "var.service_bus_premium")]
        data.append(("tags", "local.tags"))
        modules.append({"name": "data", "arguments": data})
    observability = [("source", '"../../modules/observability"'), *_shared(design),
                     ("resource_group_id", "module.network.resource_group_id"),
                     ("log_retention_days", "var.log_retention_days"), ("alarm_emails", "var.alarm_emails"),
                     ("monthly_budget", "var.monthly_budget"), ("alerts", _alerts(design)), ("tags", "local.tags")]
    modules.append({"name": "observability", "arguments": observability})
    return [{"name": module["name"], "arguments": aligned(module["arguments"])} for module in modules]


def function_plan(task_cpu: int) -> str:
    """The Elastic Premium plan with at least the vCPUs of one task."""
    return next((plan for units, plan in FUNCTION_PLANS if task_cpu <= units), "EP3")


def _values(design: InfraDesign, env: Environment, budget: float) -> list[tuple[str, Any, str, str]]:
    """(name, value, type, description) of every environment variable, in the order of terraform.tfvars."""
    size, production = env.sizing, env.name == "production"
    domain = f"{SHORT[env.name]}.{design.name}.example.com" if not production else f"{design.name}.example.com"
    replication = "GZRS" if size.multi_az else "LRS"
    values: list[tuple[str, Any, str, str]] = [
        ("location", design.region, "string", "Azure region"),
        ("environment", env.name, "string", "Environment name, added to every resource's tags"),
        ("short_name", SHORT[env.name], "string", "Short environment name in resource names"),
        ("vnet_cidr", env.cidr, "string", "Address space of the VNet"),
        ("zones", [str(zone) for zone in range(1, size.availability_zones + 1)], "list(string)",
         "Availability zones"),
        ("zone_redundant", size.multi_az, "bool", "Zone-redundant database, cache, registry and plans"),
        ("flow_log_retention_days", size.flow_log_retention_days, "number", "Days VNet flow logs are kept"),
        ("log_retention_days", size.log_retention_days, "number", "Days logs are kept in Log Analytics"),
        ("audit_retention_days", AUDIT_RETENTION[env.name], "number", "Days the activity log is kept"),
        ("image_tag", "latest", "string", "Image tag the services run"),
    ]
    if design.orchestrator == "functions":
        values.append(("function_plan", function_plan(size.task_cpu), "string", "Elastic Premium plan SKU"))
    else:
        on_demand = min(size.on_demand_base, size.min_tasks)
        values += [("instance_type", size.instance_type, "string", "VM size of the nodes or instances"),
                   ("spot_share", size.spot_share, "number", "Percent above the on-demand base on Spot"),
                   ("on_demand_base", on_demand, "number", "Always on regular capacity")]
    values += [("min_tasks", size.min_tasks, "number", "Minimum nodes or instances"),
               ("max_tasks", size.max_tasks, "number", "Maximum nodes or instances")]
    if design.orchestrator == "aks":
        values.append(("cluster_sku_tier", "Standard" if production else "Free", "string",
                       "AKS tier: Standard has the uptime SLA"))
    if design.databases or design.object_storage:
        values.append(("backup_retention_days", size.backup_retention_days, "number",
                       "Days of database restore and of deleted blobs"))
    if design.databases:
        values += [("deletion_protection", size.deletion_protection, "bool", "A delete lock on the database"),
                   ("geo_redundant_backup", size.multi_az, "bool", "Copy database backups to the paired region"),
                   ("database_sku", size.database_class, "string", "Flexible Server SKU"),
                   ("database_storage_gb", size.database_storage_gb, "number", "Database storage")]
        if design.databases[0] == "postgres":
            values += [("database_admin_name", "terraform", "string",
                        "Entra ID name of the principal that runs Terraform"),
                       ("database_admin_type", "ServicePrincipal", "string", "ServicePrincipal, User or Group")]
    if design.caches:
        values += [("cache_sku", size.cache_node_type, "string", "Redis tier and size"),
                   ("cache_nodes", size.cache_nodes, "number", "Redis nodes per shard (Premium)")]
    values.append(("storage_replication", replication, "string", "Replication of the storage accounts"))
    if design.queues:
        values.append(("service_bus_premium", size.multi_az, "bool", "Premium Service Bus namespace"))
    if design.public:
        values += [("domain_name", domain, "string", "Public DNS zone of the services"),
                   ("certificate_issuer", "Self", "string", "Key Vault issuer of the TLS certificate")]
    values += [("health_check_path", HEALTH_CHECK_PATH, "string", "Path the health probes request"),
               ("admin_ip_ranges", [], "list(string)", "Addresses allowed through the Key Vault firewall"),
               ("alarm_emails", [], "list(string)", "Addresses the alerts and budget mail"),
               ("security_contact_email", f"security@{domain}", "string", "Who Defender for Cloud alerts"),
               ("monthly_budget", round(budget, 2), "number", "Monthly budget in US dollars"),
               ("private_dns_zones", private_zones(design), "map(string)", "Private DNS zone per endpoint kind"),
               ("service_ports", {service.name: service.port for service in design.services}, "map(number)",
                "Port of each service"),
               ("tags", dict(design.tags), "map(string)", "Tags of every resource (cost allocation)")]
    return values


def environment_files(design: InfraDesign, budgets: dict[str, float]) -> dict[str, str]:
    """environments/<env>/ main.tf, variables.tf, backend.tf and terraform.tfvars for every environment."""
    main = render("infra/azure/environment_main.tf.j2", modules=_module_arguments(design))
    files = {}
    for env in design.environments:
        folder = f"{ROOT}/environments/{env.name}"
        values = _values(design, env, budgets[env.name])
        variables = [{"name": name, "type": kind, "description": text} for name, _, kind, text in values]
        if design.orchestrator == "vmss":
            variables.append({"name": "ssh_public_key", "type": "string",
                              "description": "Public key of the instances' admin user (TF_VAR_ssh_public_key)"})
        files[f"{folder}/main.tf"] = main
        files[f"{folder}/variables.tf"] = render("infra/azure/environment_variables.tf.j2", variables=variables)
        files[f"{folder}/backend.tf"] = render("infra/azure/environment_backend.tf.j2",
                                               resource_group=state_resource_group(design),
                                               key=f"{design.name}/{env.name}/terraform.tfstate")
        pairs = [(name, literal(value)) for name, value, _, _ in values]
        files[f"{folder}/terraform.tfvars"] = render("infra/azure/tfvars.j2", values=aligned(pairs))
    return files


def state_resource_group(design: InfraDesign) -> str:
    """The resource group of the state storage account."""
    return f"rg-{design.name}-tfstate"


def bootstrap_files(design: InfraDesign) -> dict[str, str]:
    """bootstrap/: the state storage account, with its own tfvars."""
    tfvars = render("infra/azure/tfvars.j2", values=aligned([("location", literal(design.region)),
                                                               ("tags", literal(dict(design.tags)))]))
    prefix = "tfstate" + design.name.replace("-", "")[:9]
    return {f"{ROOT}/bootstrap/main.tf": render("infra/azure/bootstrap.tf.j2", account_prefix=prefix,
                                                 resource_group=state_resource_group(design)),
            f"{ROOT}/bootstrap/terraform.tfvars": tfvars}
