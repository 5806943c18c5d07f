"""The Azure environments' module calls: which module reads which output of another.

The modules are called in dependency order and each reads only the ones before it (security, network, data,
compute, observability); checkov's graph resolves every variable only without references back to a later module.
"""

from __future__ import annotations

from typing import Any

from bot.templating import hcl_string
from generators.infra import hcl
from generators.infra.hcl import literal
from generators.infra.model import InfraDesign
from generators.infra.terraform_azure import CACHE_TLS_PORT
from generators.infra.terraform_azure import ENGINES
from generators.infra.terraform_azure import OPTIONAL_INPUTS
from generators.infra.terraform_azure import module_inputs


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


def _shared() -> list[tuple[str, str]]:
    return [("name", "local.name"), ("location", "var.location"),
            ("resource_group_name", "module.security.resource_group_name")]


def _encryption() -> list[tuple[str, str]]:
    return [("key_vault_id", "module.security.key_vault_id"), ("key_id", "module.security.key_id"),
            ("encryption_identity_id", 'module.security.platform_identities["encryption"].id'),
            ("encryption_dependency", "module.security.encryption_dependency")]


def _endpoints() -> list[tuple[str, str]]:
    return [("private_endpoint_subnet_id", "module.network.data_subnet_id"),
            ("private_dns_zone_ids", "module.network.private_dns_zone_ids")]


def module_arguments(design: InfraDesign) -> list[dict[str, Any]]:
    """The modules in dependency order, each reading only the ones before it: checkov's graph then resolves
    every variable (a reference back to a later module leaves its values unrendered)."""
    modules = [{"name": "security", "arguments": _security(design)}, {"name": "network", "arguments": _network(design)}]
    if "data" in design.modules:
        modules.append({"name": "data", "arguments": _data(design)})
    modules.append({"name": "compute", "arguments": _compute(design)})
    observability = [("source", '"../../modules/observability"'), ("name", "local.name"),
                     ("resource_group_name", "module.security.resource_group_name"),
                     ("resource_group_id", "module.security.resource_group_id"),
                     ("alarm_emails", "var.alarm_emails"), ("monthly_budget", "var.monthly_budget"),
                     ("alerts", _alerts(design)), ("tags", "local.tags")]
    modules.append({"name": "observability", "arguments": observability})
    return hcl.passed_arguments(modules, OPTIONAL_INPUTS, module_inputs(design))


def _security(design: InfraDesign) -> list[tuple[str, str]]:
    """The first module: resource group, workspace, identities, vault and audit account."""
    security = [("source", '"../../modules/security"'), ("name", "local.name"), ("location", "var.location"),
                ("log_retention_days", "var.log_retention_days"), ("services", "keys(var.service_ports)"),
                ("platform_identities", literal(platform_identities(design))),
                ("admin_ip_ranges", "var.admin_ip_ranges"), ("storage_replication", "var.storage_replication"),
                ("audit_retention_days", "var.audit_retention_days"),
                ("defender_plans", literal(defender_plans(design))),
                ("security_contact_email", "var.security_contact_email")]
    if design.public:
        security += [("domain_name", "var.domain_name"), ("certificate_issuer", "var.certificate_issuer")]
    return security + [("tags", "local.tags")]


def _network(design: InfraDesign) -> list[tuple[str, str]]:
    network = [("source", '"../../modules/network"'), *_shared(), ("cidr", "var.vnet_cidr"), ("zones", "var.zones"),
               ("service_ports", "var.service_ports"), ("data_ports", literal(_data_ports(design))),
               ("private_dns_zones", "var.private_dns_zones"), ("key_vault_id", "module.security.key_vault_id"),
               ("audit_storage_account_id", "module.security.audit_storage_account_id"),
               ("flow_log_retention_days", "var.flow_log_retention_days"),
               ("log_analytics_workspace_id", "module.security.workspace_id"),
               ("log_analytics_workspace_guid", "module.security.workspace_guid")]
    if design.orchestrator == "functions":
        network.append(("name_suffix", "module.security.name_suffix"))
    if design.public:
        network += [("domain_name", "var.domain_name"), ("default_service", hcl_string(design.services[0].name)),
                    ("gateway_identity_id", 'module.security.platform_identities["gateway"].id'),
                    ("certificate_secret_id", "module.security.certificate_secret_id"),
                    ("gateway_min_capacity", "var.zone_redundant ? 2 : 1"),
                    ("backend_protocol", hcl_string("Https" if design.orchestrator == "functions" else "Http")),
                    ("health_check_path", "var.health_check_path")]
    return network + [("tags", "local.tags")]


def _data(design: InfraDesign) -> list[tuple[str, str]]:
    data = [("source", '"../../modules/data"'), *_shared(), ("zones", "var.zones"),
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
    return data + [("tags", "local.tags")]


def _compute(design: InfraDesign) -> list[tuple[str, str]]:
    orchestrator = design.orchestrator
    compute = [("source", '"../../modules/compute"'), *_shared(), ("zones", "var.zones"),
               ("zone_redundant", "var.zone_redundant"),
               *([("service_ports", "var.service_ports")] if orchestrator != "aks" else []),
               ("image_tag", "var.image_tag"), ("environment", "{ APP_ENV = var.environment }"),
               ("min_tasks", "var.min_tasks"), ("max_tasks", "var.max_tasks")]
    if orchestrator == "functions":
        compute += [("function_plan", "var.function_plan"), ("health_check_path", "var.health_check_path"),
                    ("function_app_names", "module.network.function_app_names"),
                    ("application_insights_connection_string",
                     "module.security.application_insights_connection_string"),
                    ("key_name", "module.security.key_name"), ("storage_replication", "var.storage_replication")]
    else:
        compute += [("instance_type", "var.instance_type"), ("spot_share", "var.spot_share"),
                    ("on_demand_base", "var.on_demand_base"),
                    ("disk_encryption_set_id", "module.security.disk_encryption_set_id")]
    compute.append(("app_subnet_id", "module.network.app_subnet_id"))
    if orchestrator == "aks":
        compute += [("cluster_sku_tier", "var.cluster_sku_tier"),
                    ("cluster_identity", 'module.security.platform_identities["cluster"]')]
    if orchestrator == "vmss":
        compute += [("ssh_public_key", "var.ssh_public_key"), ("health_check_path", "var.health_check_path"),
                    ("backend_pool_ids", "module.network.backend_pool_ids" if design.public else "{}")]
    return compute + [("service_identities", "module.security.service_identities"), *_encryption(),
                      ("encryption_identity_client_id",
                       'module.security.platform_identities["encryption"].client_id'),
                      *_endpoints(), ("log_analytics_workspace_id", "module.security.workspace_id"),
                      ("tags", "local.tags")]
