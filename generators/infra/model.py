"""The neutral infrastructure design: what to build and how each environment differs, before any IaC syntax."""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

CLOUDS = ("aws", "azure", "gcp", "multi_cloud")
ENVIRONMENTS = ("development", "staging", "production")
FRAMEWORKS = ("hipaa", "pci_dss", "sox", "gdpr", "fedramp")
PRIORITIES = ("cost", "balanced", "performance")
COMPUTE_TYPES = ("containers", "vms", "serverless")
IAC_TOOLS = ("terraform", "cloudformation")


@dataclass(frozen=True)
class Requirement:
    """One requirement and why the bot believes it: an input, .devops.yml, or a file in the repository."""

    topic: str  # compute | database | cache | queue | object_storage | public_endpoint | service
    value: str
    source: str  # "input", ".devops.yml" or a repository path
    rule: str


@dataclass(frozen=True)
class Service:
    """A long-running unit of the application and how it is reached."""

    name: str
    port: int
    public: bool


@dataclass(frozen=True)
class Sizing:
    """One environment's sizes and protections: the values that make production differ from development."""

    availability_zones: int
    nat_gateways: int
    multi_az: bool
    deletion_protection: bool
    database_class: str
    database_storage_gb: int
    backup_retention_days: int
    cache_node_type: str
    cache_nodes: int
    task_cpu: int  # Fargate CPU units (1024 = 1 vCPU)
    task_memory: int  # MiB
    instance_type: str  # vms: the EC2 type of every service's instances
    node_instance_type: str  # eks: the EC2 type of the cluster's nodes
    min_nodes: int  # eks: nodes at the least (on-demand and Spot by spot_share)
    max_nodes: int  # eks: nodes at the most
    min_tasks: int
    max_tasks: int
    spot_share: int  # percent of tasks on Fargate Spot
    log_retention_days: int
    flow_log_retention_days: int
    interface_endpoints: bool  # private AWS API endpoints instead of NAT for ECR, logs, secrets...
    on_demand_base: int  # tasks per service that always run on on-demand Fargate
    function_memory: int  # serverless: MB per function (Lambda gives CPU in proportion)
    reserved_concurrency: int  # serverless: concurrent executions reserved for, and capping, each function
    provisioned_concurrency: int  # serverless: warm instances per function (0: cold starts accepted)
    api_rate_limit: int  # serverless: steady requests per second each API accepts
    api_burst_limit: int  # serverless: burst above the steady rate
    monthly_log_gb: int
    storage_gb: int  # object storage expected to be held
    monthly_requests_millions: int  # serverless: requests expected, for the cost estimate


@dataclass(frozen=True)
class Environment:
    """One deployment environment of the design."""

    name: str
    cidr: str
    sizing: Sizing


@dataclass(frozen=True)
class InfraDesign:
    """Everything the renderers need; the same design renders to Terraform (and later other tools)."""

    cloud: str
    region: str
    name: str  # resource-name prefix: lowercase letters, digits, dashes
    compute: str  # containers | vms | serverless
    orchestrator: str  # the cloud's id for the compute type (generators/infra/cloud_<name>.py): ecs, asg...
    services: list[Service]
    databases: list[str]  # engines: postgres, mysql
    caches: list[str]  # redis
    queues: list[str]  # rabbitmq -> SQS queues
    object_storage: bool
    public: bool
    environments: list[Environment]
    target_environment: str
    compliance: list[str]
    budget: float | None
    priority: str
    tags: dict[str, str]
    requirements: list[Requirement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    iac_tool: str = "terraform"  # terraform, or a cloud's alternative output (cloudformation for aws)

    @property
    def modules(self) -> list[str]:
        """The Terraform modules this design needs, in dependency order."""
        data = bool(self.databases or self.caches or self.queues or self.object_storage)
        return ["network", "security", "compute", *(["data"] if data else []), "observability"]

    def environment(self, name: str) -> Environment:
        """The named environment; KeyError when the design has none by that name."""
        return next(env for env in self.environments if env.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for pipeline outputs."""
        return {**asdict(self), "modules": self.modules}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InfraDesign:
        """The inverse of to_dict."""
        values = {key: value for key, value in data.items() if key != "modules"}
        values["services"] = [Service(**item) for item in data["services"]]
        values["environments"] = [Environment(name=env["name"], cidr=env["cidr"], sizing=Sizing(**env["sizing"]))
                                  for env in data["environments"]]
        values["requirements"] = [Requirement(**item) for item in data.get("requirements", [])]
        values["notes"] = list(data.get("notes", []))
        return cls(**values)
