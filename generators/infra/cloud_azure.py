"""Azure: Terraform (azurerm 4.x) with AKS, VM scale sets or Azure Functions, priced from azure-prices.json."""

from __future__ import annotations

from bot.templating import render
from generators.infra import cost_azure
from generators.infra import terraform_azure
from generators.infra.clouds import DATA
from generators.infra.clouds import Cloud
from generators.infra.model import InfraDesign

ORCHESTRATOR_TITLES = {"aks": "AKS", "vmss": "VM Scale Sets", "functions": "Azure Functions Elastic Premium"}
# The design's AWS-named sizes -> Azure: ARM (Ampere) VM sizes like the Graviton ones they replace; Flexible
# Server and Redis SKUs of about the same vCPUs and memory.
SIZE_NAMES = {
    "db.t4g.micro": "B_Standard_B1ms", "db.t4g.small": "B_Standard_B2s", "db.t4g.medium": "B_Standard_B2ms",
    "db.m6g.large": "GP_Standard_D2ds_v5", "db.r6g.xlarge": "MO_Standard_E4ds_v5",
    "cache.t4g.micro": "Basic_C0", "cache.t4g.small": "Standard_C1", "cache.t4g.medium": "Standard_C2",
    "cache.m6g.large": "Premium_P1", "cache.r6g.large": "Premium_P2",
    "t4g.small": "Standard_B2pls_v2", "t4g.medium": "Standard_B2ps_v2", "m7g.large": "Standard_D2ps_v5",
    "c7g.xlarge": "Standard_D4ps_v5",
}

# One NAT gateway serves the app subnet (Azure allows one per subnet) and private endpoints are always used; the
# Lambda sizes have no counterpart in these compute types.
UNUSED_EVERYWHERE = ("nat_gateways", "interface_endpoints", "function_memory", "reserved_concurrency",
                     "provisioned_concurrency", "api_rate_limit", "api_burst_limit", "node_instance_type", "min_nodes",
                     "max_nodes")  # the EKS node sizes: AKS sizes its pool by instance_type


def package_files(design: InfraDesign, alert_budgets: dict[str, float]) -> dict[str, str]:
    """Every Terraform file plus the Makefile, README and .checkov.yaml under infra/azure/."""
    from generators.infra.package import checkov_rendering
    from generators.infra.package import checkov_skips
    from generators.infra.package import differences_table

    skips = checkov_skips("azure", design.orchestrator)
    root = terraform_azure.ROOT
    files = {**terraform_azure.module_files(design), **terraform_azure.environment_files(design, alert_budgets),
             **terraform_azure.bootstrap_files(design)}
    files[f"{root}/Makefile"] = render("infra/azure/Makefile.j2", name=design.name,
                                       checkov_env=checkov_rendering(),
                                       skips_everywhere=",".join(skips["everywhere"]),
                                       skips_non_production=",".join(skips["non_production"]))
    files[f"{root}/.checkov.yaml"] = render("infra/checkov.yaml.j2", everywhere=list(skips["everywhere"].items()),
                                            non_production=list(skips["non_production"].items()))
    files[f"{root}/README.md"] = render("infra/azure/README.md.j2", name=design.name, compute=design.compute,
                                        orchestrator_text=ORCHESTRATOR_TITLES[design.orchestrator],
                                        modules=design.modules, public=design.public,
                                        database=design.databases[0] if design.databases else None,
                                        state_resource_group=terraform_azure.state_resource_group(design),
                                        differences=differences_table(design))
    return files


# Resources a mapping names that exist only for some designs: (address prefix, what the design needs).
NEEDS = (("data/azurerm_postgresql_", "postgres"), ("data/azurerm_mysql_", "mysql"), ("data/azurerm_redis_", "cache"),
         ("data/azurerm_storage_", "object_storage"), ("data/azurerm_servicebus_", "queues"),
         ("network/azurerm_application_gateway", "public"), ("network/azurerm_web_application_firewall", "public"),
         ("network/azurerm_dns_", "public"), ("security/azurerm_key_vault_certificate", "public"),
         ("compute/azurerm_kubernetes_", "aks"), ("compute/azurerm_federated_", "aks"),
         ("compute/azurerm_linux_virtual_machine_scale_set", "vmss"), ("compute/azurerm_monitor_autoscale", "vmss"),
         ("compute/azurerm_linux_function_app", "functions"), ("compute/azurerm_service_plan", "functions"))
# A mapping names the PostgreSQL server; a MySQL design implements the control with its own server.
DATABASE = "data/azurerm_postgresql_flexible_server"


def compliance_resource(design: InfraDesign, address: str) -> str | None:
    """The address in this Azure design's code, or None when the design creates nothing for it."""
    if address.startswith(DATABASE) and design.databases == ["mysql"]:
        address = address.replace("postgresql", "mysql")
    parts = {"postgres": design.databases[:1] == ["postgres"], "mysql": design.databases[:1] == ["mysql"],
             "cache": bool(design.caches), "object_storage": design.object_storage, "queues": bool(design.queues),
             "public": design.public, **{name: design.orchestrator == name for name in ORCHESTRATOR_TITLES}}
    return address if all(parts[need] for prefix, need in NEEDS if address.startswith(prefix)) else None


CLOUD = Cloud(
    name="azure",
    title="Azure",
    default_region="eastus",
    priced_region="eastus",
    region_pattern=r"[a-z]+\d?",  # eastus, eastus2, westeurope, germanywestcentral
    region_examples=("eastus", "westeurope"),
    orchestrators={"containers": "aks", "vms": "vmss", "serverless": "functions"},
    orchestrator_titles=ORCHESTRATOR_TITLES,
    package_files=package_files,
    module_files=lambda design, module: terraform_azure.module_files(design, only=module),
    estimate=cost_azure.estimate,
    price_table=cost_azure.price_table,
    compliance_file=DATA / "compliance-azure.yml",
    compliance_resource=compliance_resource,
    checkov_skips_file=DATA / "infra-checkov-skips-azure.yml",
    layout_sentence=("Plus `environments/{development,staging,production}` (tfvars, azurerm backend in a storage "
                     "account with\nblob-lease locking, tags merged into every resource), `bootstrap/` for the state "
                     "storage account, a `Makefile`\nand a `README.md`."),
    size_names=SIZE_NAMES,
    unused_sizes={"aks": ("task_cpu", "task_memory", *UNUSED_EVERYWHERE),
                  "vmss": ("task_cpu", "task_memory", "on_demand_base", *UNUSED_EVERYWHERE),
                  "functions": ("instance_type", "task_memory", "spot_share", "on_demand_base", *UNUSED_EVERYWHERE)},
    compute_notes={"serverless": ("Each service becomes a function app running its container image on an Elastic "
                                  "Premium plan: the image must be built on an Azure Functions base image "
                                  "(mcr.microsoft.com/azure-functions/...) with HTTP triggers, or a custom handler "
                                  "that forwards to the service's port.")},
    queue_note=("Queues ({queues}) become Service Bus queues with dead-lettering; AMQP 1.0 clients connect "
                "directly, RabbitMQ (AMQP 0-9-1) clients need a Service Bus client library."),
    summaries={
        "security_rules": ["public: HTTPS 443 from the internet to the Application Gateway only",
                           "app: services reachable from the gateway subnet on their ports",
                           "data: private endpoints reachable from the app tier only"],
        "iam_policies": ["one user-assigned identity per service: its Key Vault secrets, its storage container, "
                         "its queues, its cache access policy",
                         "platform identities: encryption at rest with the vault key, cluster, gateway certificate"],
        "policy_rules": ["Azure Policy add-on (AKS)", "Defender for Cloud plans", "activity log export"],
        "automation_rules": ["cluster autoscaler / scale-set CPU autoscale at 60%", "automatic instance repair"],
    },
    database_summaries={"automation_rules": ["Flexible Server storage auto-grow"]},
)
