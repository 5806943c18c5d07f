"""AWS: Terraform with ECS Fargate, EC2 Auto Scaling or Lambda, priced from generators/data/aws-prices.json."""

from __future__ import annotations

from bot.templating import render
from generators.infra import cost
from generators.infra import terraform_aws
from generators.infra.clouds import DATA
from generators.infra.clouds import Cloud
from generators.infra.model import InfraDesign

SERVERLESS_SIZES = ("function_memory", "reserved_concurrency", "provisioned_concurrency", "api_rate_limit",
                    "api_burst_limit")
NODE_SIZES = ("node_instance_type", "min_nodes", "max_nodes")
TASK_SIZES = ("task_cpu", "task_memory", "min_tasks", "max_tasks", "on_demand_base")
ORCHESTRATOR_TITLES = {"ecs": "ECS Fargate", "eks": "EKS managed node groups", "asg": "EC2 Auto Scaling",
                       "lambda": "Lambda container images behind API Gateway REST APIs"}

# The roles each compute type creates and what scales or repairs it (the pipeline's iam_policies and automation_rules
# outputs), by orchestrator; the Terraform and the CloudFormation create the same.
IAM_POLICIES = {
    "ecs": ["execution role: pull own images, write own logs, read own secrets",
            "task role: own bucket, queues, cache and key only"],
    "asg": ["instance role: pull own images, write own logs, read own secrets, own bucket, queues, cache and key; "
            "shell access through SSM only"],
    "eks": ["one Pod Identity role per service (its Kubernetes service account): own secrets, bucket, queues, cache "
            "and key only",
            "node role: AWS's node policies only (join the cluster, VPC CNI, pull images, SSM)",
            "add-on roles: the EBS CSI driver and the CloudWatch agent, each with its AWS managed policy",
            "load balancer controller role (public designs): registers pods in the services' target groups only"],
    "lambda": ["one role per function: own log group and dead-letter queue, the secrets, own bucket, queues, cache "
               "and key; AWS's policies for its network interfaces and X-Ray",
               "API Gateway's account role (public designs): writes the APIs' logs"],
}
AUTOMATION_RULES = {
    "ecs": ["ECS target tracking at 60% CPU", "ECS deployment circuit breaker with rollback"],
    "asg": ["Auto Scaling target tracking at 60% CPU", "rolling instance replacement on a new launch template version",
            "unhealthy instances replaced (load balancer health checks when public)"],
    "eks": ["managed node groups (on-demand and Spot) kept between the environment's minimum and maximum nodes; "
            "nothing resizes them within that range until a cluster autoscaler or Karpenter is installed",
            "node updates replace one node at a time"],
    "lambda": ["Lambda scales with requests up to the reserved concurrency; provisioned concurrency keeps warm "
               "instances on the live alias", "API Gateway throttling per environment",
               "failed asynchronous invocations kept in a dead-letter queue"],
}


def package_files(design: InfraDesign, alert_budgets: dict[str, float]) -> dict[str, str]:
    """Every Terraform file plus the Makefile, README and .checkov.yaml under infra/aws/."""
    from generators.infra.package import checkov_rendering
    from generators.infra.package import checkov_skips
    from generators.infra.package import differences_table

    skips = checkov_skips("aws", design.orchestrator)
    root = terraform_aws.ROOT
    files = {**terraform_aws.module_files(design), **terraform_aws.environment_files(design, alert_budgets),
             **terraform_aws.bootstrap_files(design)}
    files[f"{root}/Makefile"] = render("infra/Makefile.j2", name=design.name, cloud_title="AWS",
                                       bootstrap_help="create the state bucket and lock table once (local state)",
                                       checkov_env=checkov_rendering(),
                                       skips_everywhere=",".join(skips["everywhere"]),
                                       skips_non_production=",".join(skips["non_production"]))
    files[f"{root}/.checkov.yaml"] = render("infra/checkov.yaml.j2", everywhere=list(skips["everywhere"].items()),
                                            non_production=list(skips["non_production"].items()))
    files[f"{root}/README.md"] = render("infra/README.md.j2", name=design.name, compute=design.compute,
                                        orchestrator_text=ORCHESTRATOR_TITLES[design.orchestrator],
                                        orchestrator=design.orchestrator, namespace=design.name, public=design.public,
                                        modules=design.modules, lock_table=terraform_aws.lock_table(design),
                                        differences=differences_table(design))
    return files


def _compliance_resource(design: InfraDesign, address: str) -> str | None:
    from generators.infra.compliance import aws_resource

    return aws_resource(design, address)


CLOUD = Cloud(
    name="aws",
    title="AWS",
    default_region="us-east-1",
    priced_region="us-east-1",
    region_pattern=r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d",  # us-east-1, us-gov-west-1, eu-central-2
    region_examples=("us-east-1", "eu-west-1"),
    orchestrators={"containers": "ecs", "vms": "asg", "serverless": "lambda"},
    orchestrator_titles=ORCHESTRATOR_TITLES,
    package_files=package_files,
    module_files=lambda design, module: terraform_aws.module_files(design, only=module),
    estimate=cost.estimate,
    price_table=cost.price_table,
    compliance_file=DATA / "compliance-aws.yml",
    compliance_resource=_compliance_resource,
    checkov_skips_file=DATA / "infra-checkov-skips.yml",
    layout_sentence=("Plus `environments/{development,staging,production}` (tfvars, S3 backend with DynamoDB locking, "
                     "provider with\ndefault tags), `bootstrap/` for the state bucket and lock table, a `Makefile` and "
                     "a `README.md`."),
    unused_sizes={"ecs": ("instance_type", *SERVERLESS_SIZES, *NODE_SIZES),
                  "asg": ("task_cpu", "task_memory", *SERVERLESS_SIZES, *NODE_SIZES),
                  "eks": ("instance_type", *TASK_SIZES, *SERVERLESS_SIZES),
                  "lambda": ("instance_type", *TASK_SIZES, "spot_share", *NODE_SIZES)},
    queue_note=("Queues ({queues}) become SQS queues with dead-letter queues; AMQP clients need an SQS client "
                "library (Amazon MQ is not generated)."),
    orchestrator_choices={"containers": ("ecs", "eks")},
    compute_notes={"serverless": ("Each service becomes a Lambda function running its container image: the image "
                                  "needs the AWS Lambda Web Adapter so its HTTP server answers invocations, and a "
                                  "request may take 28 seconds at most.")},
    summaries={
        "security_rules": {
            **dict.fromkeys(("ecs", "asg", "eks"), [
                "public: HTTPS 443 from the internet to the load balancer only",
                "private: services reachable from the load balancer on their ports",
                "database: data stores reachable from the services zone only"]),
            "lambda": ["public: HTTPS 443 from the internet to the API Gateway custom domains only, behind WAF "
                       "(the default execute-api endpoints are off)",
                       "private: functions run in the private subnets and accept no inbound connections",
                       "database: data stores reachable from the functions' security group only"]},
        "iam_policies": IAM_POLICIES,
        "policy_rules": terraform_aws.CONFIG_RULES,
        "automation_rules": AUTOMATION_RULES,
    },
    database_summaries={"automation_rules": ["RDS storage autoscaling to four times the allocation"]},
)
