"""Infrastructure requests: precise refusals, requirements with evidence, and how environments differ."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.errors import UserError
from generators.infra import clouds
from generators.infra import requirements as found
from generators.infra.design import design_infrastructure
from generators.infra.design import differences
from generators.infra.validate import compute_problems
from generators.infra.validate import request_problems
from infra_support import produced
from infra_support import run_infra

REQUIREMENTS = {"compute": "containers", "services": [{"name": "api", "port": 8000}], "databases": ["postgres"],
                "caches": ["redis"], "queues": [], "object_storage": True, "public": True, "unsupported": [],
                "evidence": []}


def design(priority: str = "balanced", compliance: list[str] | None = None, limit: float | None = None):
    budget = {"optimization_priority": priority, **({"monthly_limit": limit} if limit is not None else {})}
    return design_infrastructure(REQUIREMENTS, cloud="aws", environment="production", compliance=compliance or [],
                                 budget=budget, repository="acme/shop", region=None)


def test_every_bad_input_is_reported_at_once_with_the_valid_values() -> None:
    problems = request_problems("oracle", "qa", ["hipaa", "iso27001"], {"monthly_limit": -5,
                                                                          "optimization_priority": "speed"})
    assert problems == [
        "cloud 'oracle' is unknown; valid clouds: aws, azure, gcp, multi_cloud",
        "environment 'qa' is unknown; valid environments: development, staging, production",
        "compliance framework 'iso27001' is unknown; valid frameworks: hipaa, pci_dss, sox, gdpr, fedramp",
        "budget monthly_limit is -5; a budget cannot be negative",
        "optimization priority 'speed' is unknown; valid priorities: cost, balanced, performance",
    ]


def test_a_region_from_devops_yml_is_checked_against_the_cloud_s_names() -> None:
    # .devops.yml's infrastructure.region reaches the pipeline without the comment parser
    with pytest.raises(InputError) as error:
        run_infra("python-pip", cloud_provider="gcp", region="eu-west-1")
    assert error.value.problems == [
        "region 'eu-west-1' is not a Google Cloud region name such as us-central1 or europe-west1"]


def test_a_region_of_the_cloud_s_own_reaches_the_code() -> None:
    files = run_infra("python-pip", cloud_provider="gcp", region="europe-west1")["infrastructure_package"]["files"]
    assert any('"europe-west1"' in text for text in files.values())
    assert not any("us-central1" in text for path, text in files.items() if path.endswith(".tf"))


def test_a_known_cloud_that_is_not_generated_yet_is_refused_by_name() -> None:
    assert request_problems("multi_cloud", "production", [], {}) == [
        f"cloud 'multi_cloud' is not generated yet; available now: {', '.join(clouds.available())}"]


def test_a_valid_request_has_no_problems() -> None:
    assert request_problems("aws", "staging", ["gdpr"], {"monthly_limit": 0, "optimization_priority": "cost"}) == []


def test_the_pipeline_refuses_an_unknown_cloud_before_any_step() -> None:
    with pytest.raises(InputError, match="`cloud_provider` is 'oracle'; valid values: aws, azure, gcp, multi_cloud"):
        run_infra("python-pip", cloud_provider="oracle")


def test_the_pipeline_refuses_an_unknown_environment_and_framework_together() -> None:
    with pytest.raises(InputError) as error:
        run_infra("python-pip", environment_type="dr", compliance_requirements=["iso27001"])
    assert any("`environment_type` is 'dr'" in problem for problem in error.value.problems)
    assert any("'iso27001'; valid values: hipaa, pci_dss, sox, gdpr, fedramp" in p for p in error.value.problems)


def test_the_pipeline_refuses_a_negative_budget() -> None:
    with pytest.raises(InputError, match="`budget_constraints.monthly_limit` is -1; it must be from 0"):
        run_infra("python-pip", budget_constraints={"monthly_limit": -1})


def test_the_pipeline_refuses_a_cloud_it_does_not_generate_yet() -> None:
    with pytest.raises(UserError, match=f"cloud 'multi_cloud' is not generated yet; available now: "
                                        f"{', '.join(clouds.available())}"):
        run_infra("python-pip", cloud_provider="multi_cloud")


def test_compute_types_not_generated_are_refused_by_name() -> None:
    with pytest.raises(InputError, match="compute type 'hybrid' is not generated; available: containers "
                                         r"\(ECS Fargate or EKS managed node groups\), vms \(EC2 Auto Scaling\), "
                                         r"serverless \(Lambda"):
        run_infra("python-pip", application_requirements={"compute": {"type": "hybrid"}})


def test_requirements_come_from_drivers_compose_and_dockerfile_with_evidence() -> None:
    body = produced("needs-database-production")["PULL_REQUEST.md"]
    assert "| database | `postgres` | `blog/settings.py`: Django database ENGINE" in body
    assert "| cache | `redis` | `docker-compose.yml`: compose service web depends\\_on cache" in body
    assert "| service | `root:8000` | `Dockerfile`: EXPOSE 8000 in Dockerfile |" in body


def test_written_requirements_win_over_the_analysis_and_say_where_they_came_from() -> None:
    written = found.from_input({"storage": {"types": ["mysql"]}}, ".devops.yml")
    analysed = [found.Requirement("database", "postgres", "requirements.txt", "driver psycopg"),
                found.Requirement("service", "api:8000", "Dockerfile", "EXPOSE 8000")]
    merged = found.merge(written, analysed)
    assert [(r.topic, r.value, r.source) for r in merged] == [("database", "mysql", ".devops.yml"),
                                                              ("service", "api:8000", "Dockerfile")]


def test_object_storage_clients_in_a_manifest_are_found() -> None:
    from generators.analysis.model import Analysis

    items = found.from_analysis(Analysis(), {"package.json": '{"dependencies": {"@aws-sdk/client-s3": "3"}}'})
    assert [(r.topic, r.source) for r in items] == [("object_storage", "package.json")]
    assert found.from_analysis(Analysis(), {"requirements.txt": "boto3-stubs==1\n"}) == []


def test_production_differs_from_development_where_it_should() -> None:
    rows = dict(differences(design()))
    assert rows["multi_az"] == ["no", "no", "yes"]
    assert rows["deletion_protection"] == ["no", "no", "yes"]
    assert rows["availability_zones"] == ["2", "2", "3"]
    assert int(rows["log_retention_days"][2]) >= 365 > int(rows["log_retention_days"][0])
    assert rows["database_class"][0] != rows["database_class"][2]


def test_the_priority_changes_the_sizes() -> None:
    cost, balanced, performance = (design(p).environment("production").sizing
                                   for p in ("cost", "balanced", "performance"))
    assert (cost.database_class, balanced.database_class, performance.database_class) == (
        "db.t4g.medium", "db.m6g.large", "db.r6g.xlarge")
    assert cost.nat_gateways == 1 < balanced.nat_gateways
    assert cost.task_cpu < balanced.task_cpu < performance.task_cpu
    assert design("cost").environment("development").sizing.spot_share == 100
    assert design("performance").environment("development").sizing.spot_share == 0
    assert not design("cost").environment("development").sizing.interface_endpoints


def test_compliance_raises_production_backup_retention() -> None:
    assert design(compliance=["hipaa"]).environment("production").sizing.backup_retention_days == 35
    assert design().environment("production").sizing.backup_retention_days == 30


def test_vms_get_launch_templates_with_imdsv2_and_auto_scaling_groups_behind_the_load_balancer() -> None:
    files = produced("vms-development")
    compute = files["infra/aws/modules/compute/main.tf"]
    assert 'resource "aws_launch_template" "service"' in compute
    assert 'http_tokens                 = "required"' in compute
    assert "on_demand_percentage_above_base_capacity = 100 - var.spot_share" in compute
    assert "version            = aws_launch_template.service[each.key].latest_version" in compute  # refresh on change
    assert "aws_ecs_" not in compute
    assert 'target_type             = "instance"' in files["infra/aws/environments/development/main.tf"]
    assert 'instance_type           = "m7g.large"' in files["infra/aws/environments/production/terraform.tfvars"]


def test_serverless_runs_arm64_image_functions_behind_rest_apis_with_waf_throttling_and_a_domain() -> None:
    files = produced("serverless-production")
    compute = files["infra/aws/modules/compute/main.tf"]
    for setting in ('package_type                   = "Image"', 'architectures                  = ["arm64"]',
                    "reserved_concurrent_executions = var.reserved_concurrency", 'mode = "Active"',
                    "target_arn = aws_sqs_queue.dead_letter[each.key].arn",
                    "kms_key_arn                    = var.kms_key_arn",
                    "security_group_ids = [var.security_group_id]", "xray_tracing_enabled = true",
                    "throttling_rate_limit  = var.api_rate_limit", 'security_policy          = "TLS_1_2"',
                    "web_acl_arn  = aws_wafv2_web_acl.main.arn", "provisioned_concurrent_executions"):
        assert setting in compute, setting
    assert "aws_ecs_" not in compute and "aws_lb" not in files["infra/aws/modules/network/main.tf"]
    production = files["infra/aws/environments/production/terraform.tfvars"]
    development = files["infra/aws/environments/development/terraform.tfvars"]
    assert "provisioned_concurrency = 2" in production and "provisioned_concurrency = 0" in development
    assert "| reserved\\_concurrency | `10` | `25` | `200` |" in files["PULL_REQUEST.md"]
    assert "task\\_cpu" not in files["PULL_REQUEST.md"]  # Fargate sizes do not apply


def test_serverless_without_a_public_endpoint_has_no_api_and_no_load_balancer() -> None:
    outputs = run_infra("python-pip", application_requirements={"compute": {"type": "serverless"},
                                                                "networking": {"external_access": False}})
    files = outputs["infrastructure_package"]["files"]
    compute = files["infra/aws/modules/compute/main.tf"]
    assert 'resource "aws_lambda_function" "service"' in compute and "aws_api_gateway" not in compute
    assert "aws_lb" not in files["infra/aws/modules/network/main.tf"]
    assert "aws_wafv2" not in "".join(files.values())


def test_kubernetes_manifests_in_the_repository_choose_eks_with_their_evidence() -> None:
    files = produced("eks-from-kubernetes-manifests")
    assert ("| orchestrator | `eks` | `k8s/checkout.yaml`: Kubernetes manifests (YAML in a Kubernetes folder)"
            in files["PULL_REQUEST.md"].replace("\\", ""))
    compute = files["infra/aws/modules/compute/main.tf"]
    for setting in ("endpoint_private_access = true", "endpoint_public_access  = false", 'resources = ["secrets"]',
                    "key_arn = var.kms_key_arn", "enabled_cluster_log_types = local.logs",
                    'ami_type        = "AL2023_ARM_64_STANDARD"', 'capacity_type = "SPOT"',
                    'http_tokens                 = "required"', '"vpc-cni", "coredns", "kube-proxy"',
                    'addon_name                  = "aws-ebs-csi-driver"', 'resource "aws_eks_pod_identity_association" "service"',
                    'service_account = "aws-load-balancer-controller"', "resources = values(var.target_group_arns)"):
        assert setting in compute, setting
    assert "aws_ecs_" not in compute
    assert 'target_type             = "ip"' in files["infra/aws/environments/staging/main.tf"]
    assert 'node_instance_type      = "t4g.large"' in files["infra/aws/environments/production/terraform.tfvars"]
    assert "| spot\\_share | `100` | `100` | `0` |" in files["PULL_REQUEST.md"]
    assert "task\\_cpu" not in files["PULL_REQUEST.md"]


def test_a_written_orchestrator_wins_over_the_repository_and_a_wrong_one_is_refused() -> None:
    def cluster(fixture: str, **compute: str) -> str:
        package = run_infra(fixture, application_requirements={"compute": compute})["infrastructure_package"]
        return package["files"]["infra/aws/modules/compute/main.tf"] + package["pull_request"]["body"]

    ecs = cluster("monitoring-shop", orchestrator="ecs")
    assert 'resource "aws_ecs_cluster"' in ecs and "| orchestrator | `ecs` | `input`: compute.orchestrator |" in ecs
    assert 'resource "aws_eks_cluster"' in cluster("python-pip", orchestrator="eks")
    assert 'resource "aws_ecs_cluster"' in cluster("python-pip")  # no manifests: ECS
    with pytest.raises(InputError, match=r"orchestrator 'eks' does not apply to compute type 'serverless', which runs "
                                         r"on lambda \(Lambda"):
        run_infra("python-pip", application_requirements={"compute": {"type": "serverless", "orchestrator": "eks"}})
    # Manifests in the repository do not stop a serverless design: they only choose among container orchestrators.
    serverless = cluster("monitoring-shop", type="serverless")
    assert 'resource "aws_lambda_function"' in serverless and "| orchestrator |" not in serverless


def test_an_orchestrator_the_cloud_does_not_offer_is_named_with_the_choices() -> None:
    assert compute_problems("containers", "aws", orchestrator="nomad") == [
        "orchestrator 'nomad' is not generated for compute type 'containers' on AWS; choose one of: ecs (ECS Fargate), "
        "eks (EKS managed node groups)"]
    assert compute_problems("containers", "aws", orchestrator="eks") == []
    assert compute_problems("containers", "aws", "cloudformation", "nomad") == [
        "orchestrator 'nomad' is not generated for compute type 'containers' on AWS with cloudformation; choose one "
        "of: ecs (ECS Fargate), eks (EKS managed node groups)"]


def test_production_tfvars_carry_the_production_protections() -> None:
    tfvars = produced("needs-database-production")["infra/aws/environments/production/terraform.tfvars"]
    for line in ("multi_az                = true", "deletion_protection     = true", "nat_gateways            = 3",
                 'zones                   = ["us-east-1a", "us-east-1b", "us-east-1c"]'):
        assert line in tfvars, line


def test_hostile_repository_names_are_escaped_in_hcl() -> None:
    from generators.infra.terraform_aws import environment_files

    hostile = design_infrastructure(REQUIREMENTS, cloud="aws", environment="production", compliance=[], budget={},
                                    repository='acme/x"${file("/etc/passwd")}', region=None)
    tfvars = environment_files(hostile, {"development": 1, "staging": 1, "production": 1})[
        "infra/aws/environments/production/terraform.tfvars"]
    assert 'repository  = "acme/x\\"$${file(\\"/etc/passwd\\")}"' in tfvars


def test_service_names_that_collide_once_cleaned_stay_distinct() -> None:
    requirements = {**REQUIREMENTS, "services": [{"name": "my_api", "port": 8000}, {"name": "my-api", "port": 9000},
                                                 {"name": "root", "port": 80}]}
    subject = design_infrastructure(requirements, cloud="aws", environment="production", compliance=[], budget={},
                                    repository="acme/shop", region=None)
    assert [(s.name, s.port) for s in subject.services] == [("my-api", 8000), ("my-api-2", 9000), ("shop", 80)]


def test_a_written_ecs_wins_over_the_manifests_in_a_cloudformation_package_too() -> None:
    package = run_infra("monitoring-shop", iac_tool="cloudformation",
                        application_requirements={"compute": {"orchestrator": "ecs"}})["infrastructure_package"]
    assert "| orchestrator | `ecs` | `input`: compute.orchestrator |" in package["pull_request"]["body"]
    assert any("AWS::ECS::Cluster" in text for text in package["files"].values())
    assert not any("AWS::EKS::" in text for text in package["files"].values())
