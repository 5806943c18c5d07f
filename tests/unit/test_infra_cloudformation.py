"""CloudFormation output of the infrastructure pipeline (`iac_tool: cloudformation`): validators, protections,
compliance names and refusals."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.cfn_checks import check_cloudformation
from bot.cfn_checks import cfn_lint_binary
from bot.errors import InputError
from bot.iac_checks import checkov_binary
from generators.infra import cloudformation_aws as cfn
from generators.infra.cloud_aws_cloudformation import resource_ids
from generators.infra.compliance import compliance_controls
from generators.infra.design import design_infrastructure
from generators.infra.model import FRAMEWORKS
from generators.infra.package import checkov_skips
from generators.infra.package import infrastructure_package
from generators.infra.terraform_aws import module_files
from infra_support import run_infra

ROOT = cfn.ROOT


KINDS = ["containers", "vms", "serverless", "eks"]  # the compute types, and containers on EKS


def full_design(kind: str, compliance: tuple[str, ...] = ()):
    """Every part at once: public services, a database, a cache, queues and a bucket."""
    compute = "containers" if kind == "eks" else kind
    requirements = {"compute": compute, **({"orchestrator": "eks"} if kind == "eks" else {}), "public": True,
                    "services": [{"name": "api", "port": 8080}, {"name": "web", "port": 3000}],
                    "databases": ["postgres"], "caches": ["redis"], "queues": ["jobs"], "object_storage": True,
                    "evidence": [], "unsupported": []}
    design = design_infrastructure(requirements, cloud="aws", environment="production", compliance=list(compliance),
                                   budget={}, repository="acme/shop", region="us-east-1")
    from dataclasses import replace

    return replace(design, iac_tool="cloudformation")


ORCHESTRATORS = {"containers": "ecs", "vms": "asg", "serverless": "lambda", "eks": "eks"}


def skips(kind: str = "containers") -> dict[str, list[str]]:
    """The reviewed skips for the kind's orchestrator, as the pipeline passes them."""
    return {section: list(checks) for section, checks in
            checkov_skips("aws", ORCHESTRATORS[kind], iac_tool="cloudformation").items()}


def load(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(text)


@pytest.mark.validators
@pytest.mark.parametrize("compute", KINDS)
def test_cfn_lint_finds_nothing_and_checkov_nothing_beyond_the_reviewed_skips_in_every_environment(compute: str) -> None:
    if cfn_lint_binary() is None or checkov_binary() is None:
        pytest.skip("cfn-lint and checkov live in .venv-cfnlint and .venv-checkov (scripts/setup)")
    files = infrastructure_package(full_design(compute))["files"]
    results = check_cloudformation(files, ROOT, skips(compute))
    assert [result.name for result in results] == ["cfn-lint templates, development, staging",
                                                   "checkov development, staging",
                                                   "checkov production, parent, bootstrap"]
    assert [(r.name, r.status, r.findings) for r in results if r.status != "passed"] == []


@pytest.mark.validators
@pytest.mark.parametrize("compute", ["containers", "serverless", "eks"])
def test_a_private_design_without_data_stores_passes_the_validators_too(compute: str) -> None:
    """No load balancer, no database (so no production-only Config rules), no cache, queues or bucket."""
    if cfn_lint_binary() is None or checkov_binary() is None:
        pytest.skip("cfn-lint and checkov live in .venv-cfnlint and .venv-checkov (scripts/setup)")
    from dataclasses import replace

    bare = replace(full_design(compute), public=False, databases=[], caches=[], queues=[], object_storage=False)
    files = infrastructure_package(bare)["files"]
    assert "ProductionRules" not in load(files[f"{ROOT}/modules/security.yaml"])["Parameters"]
    results = check_cloudformation(files, ROOT, skips(compute))
    assert len(results) == 3 and [(r.name, r.findings) for r in results if r.status != "passed"] == []


@pytest.mark.validators
@pytest.mark.parametrize("compute", ["containers", "serverless", "eks"])
def test_production_fails_the_non_production_checks_if_it_had_development_values(compute: str) -> None:
    """The production scan is meaningful: with development's parameters it fails what it may not skip."""
    if checkov_binary() is None:
        pytest.skip("checkov lives in .venv-checkov")
    files = infrastructure_package(full_design(compute))["files"]
    files[f"{ROOT}/parameters/production.json"] = files[f"{ROOT}/parameters/development.json"]
    files = {path: text for path, text in files.items() if not path.endswith("development.json")
             and not path.endswith("staging.json")}
    from bot.cfn_checks import environment_variants

    variant = environment_variants(files, ROOT)["production"]
    results = check_cloudformation({**files, **variant}, ROOT, skips(compute), tools=["checkov"])
    failed = {finding.split()[0] for result in results for finding in result.findings}
    assert failed == set(checkov_skips("aws", iac_tool="cloudformation")["non_production"])


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_terraform_and_cloudformation_pin_one_engine_version_each(engine: str) -> None:
    """One value per engine (terraform_aws.ENGINES): CloudFormation names it, Terraform names its major."""
    import re
    from dataclasses import replace

    from generators.infra.terraform_aws import CACHE_ENGINE_VERSION
    from generators.infra.terraform_aws import ENGINES

    stack = replace(full_design("containers"), databases=[engine])
    data = load(infrastructure_package(stack)["files"][f"{ROOT}/modules/data.yaml"])["Resources"]
    terraform = infrastructure_package(replace(stack, iac_tool="terraform"))["files"]["infra/aws/modules/data/main.tf"]
    pinned = re.findall(r'engine_version\s+= "([^"]+)"', terraform)
    version = ENGINES[engine]["version"]
    assert data["Database"]["Properties"]["EngineVersion"] == version
    assert pinned == [version.rsplit(".", 1)[0], CACHE_ENGINE_VERSION]
    assert data["Cache"]["Properties"]["EngineVersion"] == CACHE_ENGINE_VERSION


@pytest.mark.validators
def test_a_mysql_database_passes_the_validators_too() -> None:
    if cfn_lint_binary() is None or checkov_binary() is None:
        pytest.skip("cfn-lint and checkov live in .venv-cfnlint and .venv-checkov (scripts/setup)")
    from dataclasses import replace

    files = infrastructure_package(replace(full_design("containers"), databases=["mysql"]))["files"]
    results = check_cloudformation(files, ROOT, skips())
    assert len(results) == 3 and [(r.name, r.findings) for r in results if r.status != "passed"] == []


def test_every_skip_has_a_reason_and_the_list_stays_short() -> None:
    everything = {**checkov_skips("aws", iac_tool="cloudformation")["everywhere"],
                  **checkov_skips("aws", iac_tool="cloudformation")["non_production"]}
    assert all(len(reason) > 40 for reason in everything.values())
    assert len(everything) <= 5
    serverless_only = set(checkov_skips("aws", "lambda", iac_tool="cloudformation")["everywhere"]) - set(everything)
    assert serverless_only == {"CKV_AWS_59", "CKV_AWS_120"}


@pytest.mark.parametrize("compute", KINDS)
def test_production_parameters_carry_the_protections_and_development_does_not(compute: str) -> None:
    files = infrastructure_package(full_design(compute))["files"]
    values = {env: {item["ParameterKey"]: item["ParameterValue"]
                    for item in json.loads(files[f"{ROOT}/parameters/{env}.json"])}
              for env in ("development", "staging", "production")}
    for key, production, development in (("MultiAZ", "true", "false"), ("DeletionProtection", "true", "false"),
                                         ("ZoneCount", "3", "2"), ("LogRetentionDays", "365", "30"),
                                         ("NatGateways", "3", "1")):
        assert (values["production"][key], values["development"][key]) == (production, development)
    data = load(files[f"{ROOT}/modules/data.yaml"])
    assert data["Transform"] == "AWS::LanguageExtensions"
    assert data["Resources"]["Database"]["DeletionPolicy"] == {"Fn::If": ["Protected", "Snapshot", "Delete"]}
    assert data["Resources"]["Database"]["Properties"]["DeletionProtection"] == {"Ref": "DeletionProtection"}
    # The committed modules default to production's values: a module deployed alone is production-safe.
    assert data["Parameters"]["MultiAZ"]["Default"] == "true"
    parent = load(files[f"{ROOT}/main.yaml"])
    assert sorted(parent["Resources"]) == sorted(f"{m.title()}Stack" for m in ("security", "network", "data",
                                                                               "compute", "observability"))
    assert all("Default" not in spec for name, spec in parent["Parameters"].items() if name != "AlarmEmail")
    assert list(parent["Parameters"]) == [item["ParameterKey"] for item in
                                          json.loads(files[f"{ROOT}/parameters/production.json"])]
    kind = {"containers": "AWS::ECS::Service", "vms": "AWS::AutoScaling::AutoScalingGroup",
            "serverless": "AWS::Lambda::Function", "eks": "AWS::EKS::Cluster"}[compute]
    compute_types = {resource["Type"] for resource in load(files[f"{ROOT}/modules/compute.yaml"])["Resources"].values()}
    assert kind in compute_types


@pytest.mark.parametrize(("compute", "template"), [("vms", "LaunchTemplateApi"), ("eks", "NodeLaunchTemplate")])
def test_instance_root_volumes_use_the_accounts_ebs_key_as_the_terraform_does(compute: str, template: str) -> None:
    """A project key would need a grant to the Auto Scaling service-linked role, absent when the key is made: no
    instance would start."""
    files = infrastructure_package(full_design(compute))["files"]
    launch = load(files[f"{ROOT}/modules/compute.yaml"])["Resources"][template]["Properties"]["LaunchTemplateData"]
    volume = launch["BlockDeviceMappings"][0]["Ebs"]
    assert volume["Encrypted"] is True and "KmsKeyId" not in volume
    # The Terraform of the same design (commit 412bd56) encrypts the same way.
    terraform = module_files(replace(full_design(compute), iac_tool="terraform"), only="compute")
    ebs = re.search(r"\n    ebs \{\n(.*?)\n    \}", terraform["infra/aws/modules/compute/main.tf"], re.S)
    assert ebs is not None and "encrypted" in ebs.group(1) and "kms_key_id" not in ebs.group(1)


@pytest.mark.parametrize("compute", KINDS)
def test_every_mapped_control_names_logical_ids_that_exist_in_the_templates(compute: str) -> None:
    design = full_design(compute, FRAMEWORKS)
    package = infrastructure_package(design)
    ids = resource_ids(package["files"])
    named = 0
    for framework in compliance_controls(design).values():
        for control in framework["controls"]:
            assert control["resources"], control["id"]
            for resource in control["resources"]:
                module, _, logical = resource.partition("/")
                assert logical in ids[module], f"{control['id']}: {resource}"
                named += 1
    assert named > 60
    document = package["files"]["docs/compliance.md"]
    assert "CloudFormation under `infra/aws-cloudformation/`" in document and "`security/Trail`" in document


def test_the_pipeline_writes_cloudformation_and_the_pull_request_says_so() -> None:
    outputs = run_infra("needs-database", iac_tool="cloudformation")
    package = outputs["infrastructure_package"]
    assert package["pull_request"]["title"].startswith("Infrastructure: CloudFormation for AWS")
    assert not any(path.startswith("infra/aws/") for path in package["files"])
    assert "`AWS::RDS::DBInstance`, `AWS::RDS::DBParameterGroup`" in package["pull_request"]["body"]


@pytest.mark.parametrize(("inputs", "problem"), [
    ({"iac_tool": "pulumi"}, "`iac_tool` is 'pulumi'; valid values: terraform, cloudformation"),
    ({"iac_tool": "cloudformation", "cloud_provider": "gcp"},
     "iac_tool 'cloudformation' does not render gcp; gcp is generated with terraform"),
])
def test_bad_tool_requests_are_answered_precisely(inputs: dict, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        run_infra("needs-database", **inputs)
    assert problem in str(raised.value)


def test_serverless_is_generated_with_the_terraform_architecture_and_price() -> None:
    """A function per service (arm64 image, private subnets, concurrency per environment, KMS environment, dead
    letters, X-Ray, logs) behind a REST API with access logs, throttling, WAF and the custom domain."""
    serverless = {"compute": {"type": "serverless"}}
    outputs = run_infra("needs-database", iac_tool="cloudformation", application_requirements=serverless)
    files = outputs["infrastructure_package"]["files"]
    compute = load(files[f"{ROOT}/modules/compute.yaml"])["Resources"]
    functions = {name: r["Properties"] for name, r in compute.items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions and len(functions) == len([r for r in compute.values() if r["Type"] == "AWS::ApiGateway::RestApi"])
    for name, function in functions.items():
        ident = name.removeprefix("Function")
        assert function["Architectures"] == ["arm64"] and function["PackageType"] == "Image"
        assert function["Code"]["ImageUri"] == {"Fn::Sub": f"${{Repository{ident}.RepositoryUri}}:${{ImageTag}}"}
        assert function["VpcConfig"] == {"SubnetIds": {"Ref": "PrivateSubnetIds"},
                                         "SecurityGroupIds": [{"Ref": "SecurityGroupId"}]}
        assert function["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
        assert function["KmsKeyArn"] == {"Ref": "KmsKeyArn"} and function["TracingConfig"] == {"Mode": "Active"}
        assert function["DeadLetterConfig"]["TargetArn"] == {"Fn::GetAtt": [f"DeadLetterQueue{ident}", "Arn"]}
        assert compute[f"LogGroup{ident}"]["Properties"]["KmsKeyId"] == {"Ref": "KmsKeyArn"}
        assert compute[f"Alias{ident}"]["Properties"]["ProvisionedConcurrencyConfig"]["Fn::If"][0] == (
            "HasProvisionedConcurrency")
        stage = compute[f"Stage{ident}"]["Properties"]
        assert stage["TracingEnabled"] and stage["AccessLogSetting"]["DestinationArn"] == {
            "Fn::GetAtt": [f"ApiLogGroup{ident}", "Arn"]}
        assert stage["MethodSettings"][0]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
        assert f"${{Stage{ident}}}" in compute[f"WebAclAssociation{ident}"]["Properties"]["ResourceArn"]["Fn::Sub"]
        assert compute[f"Record{ident}"]["Properties"]["HostedZoneId"] == {"Ref": "PublicZoneId"}
        # Least privilege: every statement of the function's own policy names its resources.
        statements = compute[f"FunctionRole{ident}"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        assert all(statement["Resource"] != "*" for statement in statements)
    network = load(files[f"{ROOT}/modules/network.yaml"])
    assert "LoadBalancer" not in network["Resources"] and {"PublicZoneId", "CertificateArn"} <= set(network["Outputs"])
    stack = load(files[f"{ROOT}/main.yaml"])["Resources"]["ComputeStack"]["Properties"]["Parameters"]
    assert stack["CertificateArn"] == {"Fn::GetAtt": ["NetworkStack", "Outputs.CertificateArn"]}
    values = {env: {item["ParameterKey"]: item["ParameterValue"]
                    for item in json.loads(files[f"{ROOT}/parameters/{env}.json"])}
              for env in ("development", "production")}
    assert [tuple(values[env][key] for key in ("ReservedConcurrency", "ProvisionedConcurrency", "DeletionProtection"))
            for env in ("development", "production")] == [("10", "0", "false"), ("200", "2", "true")]
    # The price comes from the design: the same as the Terraform package of the same serverless design.
    terraform = run_infra("needs-database", application_requirements=serverless)
    assert outputs["cost_analysis"] == terraform["cost_analysis"]


@pytest.mark.validators
def test_the_cloudformation_workflow_passes_the_github_validators(tmp_path: Path) -> None:
    from validators import check_github_workflow
    from validators import check_yaml

    from generators.infra.ci_cfn_github import cloudformation_workflow

    files = cloudformation_workflow(full_design("containers"), ROOT, "main", ".github/workflows/infrastructure.yml")
    path = tmp_path / "infrastructure.yml"
    path.write_text(files[".github/workflows/infrastructure.yml"], encoding="utf-8")
    assert check_github_workflow(path) == []
    assert check_yaml([path]) == []
    jobs = load(path.read_text())["jobs"]
    assert [jobs[f"deploy-{env}"]["environment"] for env in ("development", "staging", "production")] == [
        "development", "staging", "production"]
    assert "make change-set" in str(jobs["change-set"]) and jobs["change-set"]["permissions"]["id-token"] == "write"


def test_a_ci_platform_without_cloudformation_ci_gets_a_note_instead_of_a_workflow() -> None:
    from generators.infra.ci_cloudformation import cloudformation_ci

    ci = cloudformation_ci(full_design("vms"), root=ROOT, existing_ci=[("travis", ".travis.yml")],
                           default_branch="main")
    assert ci.files == {} and ci.platform is None
    assert "is generated\nfor GitHub Actions, GitLab CI/CD, CircleCI, Azure Pipelines, Jenkins only" in ci.setup
    assert "`make change-set ENV=...`" in ci.setup


@pytest.mark.validators
@pytest.mark.parametrize("case", ["cloudformation-production", "cloudformation-vms-development",
                                  "cloudformation-eks-production", "cloudformation-serverless-staging"])
def test_the_golden_cloudformation_packages_pass_cfn_lint_and_checkov(case: str) -> None:
    """The goldens too: one NAT gateway for three zones (cost priority), no cache or bucket, a single service, EKS
    chosen by the repository's Kubernetes manifests."""
    if cfn_lint_binary() is None or checkov_binary() is None:
        pytest.skip("cfn-lint and checkov live in .venv-cfnlint and .venv-checkov (scripts/setup)")
    from infra_support import produced

    files = produced(case)
    kind = "serverless" if "serverless" in case else "containers"  # the other cases need no orchestrator's skips
    results = check_cloudformation(files, ROOT, skips(kind))
    assert len(results) == 3 and [(r.name, r.findings) for r in results if r.status != "passed"] == []
