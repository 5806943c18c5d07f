"""InfraDesign -> Terraform for Azure (azurerm 4.x): the same five modules, three environments, the state bootstrap."""

from __future__ import annotations

from typing import Any

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
                 # (resource label, server parameter, value): a label may not contain the parameter's dots
                 "logging": [("log_connections", "log_connections", "on"),
                             ("log_disconnections", "log_disconnections", "on"),
                             ("log_checkpoints", "log_checkpoints", "on"),
                             ("connection_throttle", "connection_throttle.enable", "on")]},
    "mysql": {"engine": "mysql", "resource": "mysql", "title": "MySQL", "prefix": "mysql", "version": "8.0.21",
              "subresource": "mysqlServer", "port": 3306, "zone": "privatelink.mysql.database.azure.com",
              "tls_parameter": "require_secure_transport", "tls_value": "ON",
              "tls_version_parameter": "tls_version", "tls_version_value": "TLSv1.2",
              "logging": [("audit_log_enabled", "audit_log_enabled", "ON"), ("slow_query_log", "slow_query_log", "ON")]},
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

# Inputs of the compute module that only some orchestrators read; the others every orchestrator reads.
COMPUTE_INPUTS = {"aks": {"zones", "on_demand_base", "log_analytics_workspace_id"},
                  "vmss": {"zones", "image_tag", "environment"},
                  "functions": {"image_tag", "environment", "log_analytics_workspace_id", "key_vault_id"}}
OPTIONAL_INPUTS = {"network": {"zones"}, "data": {"key_vault_id", "key_name"},
                   "compute": set().union(*COMPUTE_INPUTS.values())}


def module_inputs(design: InfraDesign) -> dict[str, set[str]]:
    """The optional inputs each module reads in this design: a module declares and is passed only those."""
    data = {"key_vault_id"} if design.object_storage or design.databases[:1] == ["mysql"] else set()
    return {"network": {"zones"} if design.public else set(),  # only the gateway is zonal
            "data": data | ({"key_name"} if design.object_storage else set()),
            "compute": COMPUTE_INPUTS[design.orchestrator]}


def _flags(design: InfraDesign) -> dict[str, Any]:
    database = ENGINES[design.databases[0]] if design.databases else None
    return {"public": design.public, "database": database, "cache": bool(design.caches),
            "object_storage": design.object_storage, "queues": design.queues, "orchestrator": design.orchestrator,
            "scaling_unit": SCALING_UNITS[design.orchestrator], "inputs": module_inputs(design)}


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
    from generators.infra.terraform_azure_modules import module_arguments

    main = render("infra/azure/environment_main.tf.j2", modules=module_arguments(design))
    read = hcl.read_variables(main)  # an environment declares only what its modules are passed
    files = {}
    for env in design.environments:
        folder = f"{ROOT}/environments/{env.name}"
        values = [value for value in _values(design, env, budgets[env.name]) if value[0] in read]
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
