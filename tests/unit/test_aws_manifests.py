"""ECS and Lambda CloudFormation for a progressive rollout: cfn-lint and checkov clean, the canary split as data."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.errors import UserError
from bot.platforms.aws_manifests import build_files
from bot.platforms.cloudformation import to_yaml
from bot.platforms.ecs_manifests import EcsOptions
from bot.platforms.ecs_manifests import build_template as ecs_template
from bot.platforms.ecs_manifests import weight_update
from bot.platforms.lambda_manifests import LambdaOptions
from bot.platforms.lambda_manifests import alias_update
from bot.platforms.lambda_manifests import build_template as lambda_template
from bot.platforms.lambda_manifests import version_logical_id
from bot.rollouts.strategies import plan_stages
from tests.validators import check_cloudformation

CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"
ECR_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:checkout-db"
# Reviewed checkov skips for Lambda, each with its reason:
LAMBDA_SKIPS = {
    # The only variable is ENVIRONMENT (no secret); secrets are read at run time, so a CMK adds nothing.
    "CKV_AWS_173",
    # ENI actions (ec2:CreateNetworkInterface …) take no resource-level permissions; only with lambda.vpc.
    "CKV_AWS_111",
}
# A function that reaches nothing private needs no VPC; `lambda.vpc: true` puts it in one.
NO_VPC_SKIPS = LAMBDA_SKIPS | {"CKV_AWS_117"}


def variants() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """name -> (platform, artifact, platform config): every strategy and code source."""
    cases: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    for strategy in ("canary", "blue_green", "rolling", "recreate"):
        cases[f"ecs-{strategy}"] = ("ecs", {"location": ECR_IMAGE, "version": "v2.1.0"},
                                    {"secrets": {"DB_URL": SECRET}, "cpu": 512, "memory": 1024})
    cases["ecs-ghcr"] = ("ecs", {"location": "ghcr.io/acme/checkout", "version": "v2.1.0"}, {})
    cases["lambda-image"] = ("lambda", {"type": "container_registry", "location": ECR_IMAGE, "version": "v2.1.0"}, {})
    cases["lambda-zip-vpc"] = ("lambda", {"type": "s3", "location": "s3://acme-artifacts/checkout",
                                          "version": "v2.1.0"}, {"vpc": True, "runtime": "python3.12"})
    return cases


def write_all(folder: Path) -> list[Path]:
    paths = []
    for name, (platform, artifact, config) in variants().items():
        strategy = name.split("-", 1)[1] if name.startswith("ecs-") and name != "ecs-ghcr" else "canary"
        built = build_files(platform, "Checkout API", artifact, "production", strategy=strategy,
                            stages=plan_stages(strategy, {}), config=config, stable_version="v2.0.0")
        (folder / name).mkdir()
        for path, text in built["files"].items():
            target = folder / name / Path(path).name
            target.write_text(text, encoding="utf-8")
            paths.append(target)
    return paths


@pytest.mark.validators
def test_every_template_passes_cfn_lint_with_no_finding_at_all(tmp_path: Path) -> None:
    templates = [p for p in write_all(tmp_path) if p.suffix == ".yaml"]
    assert len(templates) == 7
    assert check_cloudformation(templates) == []


@pytest.mark.validators
def test_cfn_lint_is_not_a_rubber_stamp(tmp_path: Path) -> None:
    template = ecs_template("checkout", "img", "v2", "v1", "production", strategy="canary", stages=plan_stages(
        "canary", {}))
    template["Resources"]["GreenTaskDefinition"]["Properties"]["NetworkMode"] = "bridged"
    (tmp_path / "bad.yaml").write_text(to_yaml(template), encoding="utf-8")
    assert "'bridged' is not one of" in "".join(check_cloudformation([tmp_path / "bad.yaml"]))


@pytest.mark.validators
@pytest.mark.parametrize(("folders", "skips"), [
    (["ecs-canary", "ecs-blue_green", "ecs-rolling", "ecs-recreate", "ecs-ghcr"], set()),
    (["lambda-zip-vpc"], LAMBDA_SKIPS), (["lambda-image"], NO_VPC_SKIPS)])
def test_checkov_finds_nothing_beyond_the_reviewed_skips(tmp_path: Path, folders: list[str], skips: set[str]) -> None:
    if not CHECKOV.exists():
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it; its pins clash with the main venv)")
    write_all(tmp_path)
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "CKV_PARSE_ERROR_FAIL": "true",
           "BC_SKIP_MAPPING": "TRUE"}
    args = [str(CHECKOV), "--skip-download", "--framework", "cloudformation", "--compact", "--quiet", "-o", "json"]
    for folder in folders:
        args += ["-f", str(tmp_path / folder / "checkout-api-production.cfn.yaml")]
    if skips:
        args += ["--skip-check", ",".join(sorted(skips))]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    reports = json.loads(done.stdout) if done.stdout.strip() else []
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['resource']}" for r in reports for c in r["results"].get("failed_checks", [])]
    passed = sum(r["summary"]["passed"] for r in reports)
    assert done.returncode == 0 and failed == [] and passed > 10, done.stderr[-2000:] or failed


def test_the_ecs_canary_is_two_services_behind_one_weighted_listener_rule() -> None:
    template = ecs_template("checkout", ECR_IMAGE, "v2", "v1", "production", strategy="canary",
                            stages=plan_stages("canary", {}), canary_weight=5)
    resources = template["Resources"]
    rule = resources["ListenerRule"]["Properties"]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    assert rule == [{"TargetGroupArn": {"Ref": "BlueTargetGroup"}, "Weight": {"Ref": "BlueWeight"}},
                    {"TargetGroupArn": {"Ref": "GreenTargetGroup"}, "Weight": {"Ref": "GreenWeight"}}]
    assert (template["Parameters"]["BlueWeight"]["Default"], template["Parameters"]["GreenWeight"]["Default"]) == (95, 5)
    green = resources["GreenService"]["Properties"]
    assert green["DeploymentController"] == {"Type": "ECS"}
    assert green["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert green["DeploymentConfiguration"]["Alarms"]["Rollback"] is True
    assert resources["GreenTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"] == {
        "Fn::Sub": "${Image}:${ImageTag}"}
    assert resources["BlueTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"] == {
        "Fn::Sub": "${Image}:${StableImageTag}"}
    assert weight_update(25) == {"BlueWeight": 75, "GreenWeight": 25}
    assert weight_update(140) == {"BlueWeight": 0, "GreenWeight": 100}
    scaling = resources["GreenScalingPolicy"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert scaling["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_the_ecs_task_is_fargate_hardened_and_its_roles_are_least_privilege() -> None:
    template = ecs_template("checkout", ECR_IMAGE, "v2", "v1", "production", strategy="canary",
                            stages=plan_stages("canary", {}), options=EcsOptions.from_config(
                                {"secrets": {"DB_URL": SECRET}}))
    task = template["Resources"]["GreenTaskDefinition"]["Properties"]
    container = task["ContainerDefinitions"][0]
    assert (task["RequiresCompatibilities"], task["NetworkMode"]) == (["FARGATE"], "awsvpc")
    assert container["ReadonlyRootFilesystem"] is True and container["User"] == "10001"
    assert container["HealthCheck"]["Command"][0] == "CMD-SHELL"
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "LogGroup"}
    assert container["Secrets"] == [{"Name": "DB_URL", "ValueFrom": SECRET}]  # a reference, never the value
    assert template["Resources"]["LogGroup"]["Properties"]["RetentionInDays"] == 30
    statements = template["Resources"]["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    star = [s["Action"] for s in statements if s["Resource"] == "*"]
    assert star == ["ecr:GetAuthorizationToken"]  # the one ECR action with no resource-level permission
    assert {"Fn::Sub": "${LogGroup.Arn}:*"} in [s["Resource"] for s in statements]
    assert "Policies" not in template["Resources"]["TaskRole"]["Properties"]


def test_rolling_and_recreate_run_one_service_with_their_replacement_limits() -> None:
    for strategy, limits in (("rolling", (100, 200)), ("recreate", (0, 100))):
        template = ecs_template("checkout", "img", "v2", "v1", "staging", strategy=strategy,
                                stages=plan_stages(strategy, {}))
        assert "BlueService" not in template["Resources"] and "BlueWeight" not in template["Parameters"]
        config = template["Resources"]["MainService"]["Properties"]["DeploymentConfiguration"]
        assert (config["MinimumHealthyPercent"], config["MaximumPercent"]) == limits


def test_the_lambda_alias_weights_the_new_version_and_a_stage_is_an_update_alias_request() -> None:
    template = lambda_template("checkout", {"type": "s3", "location": "s3://acme-artifacts/fn", "version": "v2.1.0"},
                               "v2.1.0", "production", stages=plan_stages("canary", {}), canary_weight=5)
    resources = template["Resources"]
    alias = resources["Alias"]["Properties"]
    weights = alias["RoutingConfig"]["Fn::If"][2]["AdditionalVersionWeights"]
    assert weights == [{"FunctionVersion": {"Fn::GetAtt": ["VersionV210", "Version"]},
                        "FunctionWeight": {"Ref": "CanaryWeight"}}]
    assert template["Parameters"]["CanaryWeight"]["Default"] == 0.05
    assert resources["Function"]["Properties"]["Code"] == {"S3Bucket": {"Ref": "CodeBucket"},
                                                           "S3Key": {"Ref": "CodeKey"}}
    assert template["Parameters"]["CodeKey"]["Default"] == "fn/v2.1.0.zip"
    assert alias_update(25, "7", "8") == {"Name": "live", "FunctionVersion": "7",
                                          "RoutingConfig": {"AdditionalVersionWeights": {"8": 0.25}}}
    assert alias_update(100, "7", "8") == {"Name": "live", "FunctionVersion": "8",
                                           "RoutingConfig": {"AdditionalVersionWeights": {}}}
    # a new app version is a new Version resource, so CloudFormation publishes a new Lambda version
    assert version_logical_id("v2.1.0") != version_logical_id("v2.2.0")


def test_the_rollback_alarms_hold_the_new_version_to_the_strictest_stage() -> None:
    stages = plan_stages("canary", {})  # SPEC defaults: 1% then 0.5% errors, 500 then 400 ms
    template = lambda_template("checkout", {"location": ECR_IMAGE, "version": "v2"}, "v2", "production", stages=stages)
    assert template["Resources"]["ErrorRateAlarm"]["Properties"]["Threshold"] == 0.005
    assert template["Resources"]["LatencyAlarm"]["Properties"]["Threshold"] == 400
    ecs = ecs_template("checkout", "img", "v2", "v1", "production", strategy="canary", stages=stages)
    assert ecs["Resources"]["LatencyAlarm"]["Properties"]["Threshold"] == 0.4  # TargetResponseTime is seconds


def test_bad_platform_config_gets_every_problem_at_once() -> None:
    with pytest.raises(UserError) as error:
        EcsOptions.from_config({"cpu": 300, "port": 0, "secrets": {"DB": "plain-text-password"}})
    assert all(part in str(error.value) for part in ("ecs.cpu", "ecs.port", "ecs.secrets"))
    assert "plain-text-password" not in str(error.value)
    with pytest.raises(UserError, match="fit Fargate cpu 256"):
        EcsOptions.from_config({"memory": 4096})
    with pytest.raises(UserError) as error:
        LambdaOptions.from_config({"memory": 64, "architecture": "sparc"})
    assert "lambda.memory" in str(error.value) and "lambda.architecture" in str(error.value)
    with pytest.raises(UserError, match="s3://BUCKET/PREFIX"):
        lambda_template("fn", {"type": "s3", "location": "ghcr.io/x"}, "v2", "staging", stages=[])


def test_same_input_same_bytes_and_the_yaml_parses_back() -> None:
    def files() -> dict[str, str]:
        out: dict[str, str] = {}
        for platform, artifact, config in [v for v in variants().values()]:
            out.update(build_files(platform, "a", artifact, "staging", strategy="canary",
                                   stages=plan_stages("canary", {}), config=config)["files"])
        return out

    first = files()
    assert first == files()
    for path, text in first.items():
        parsed = json.loads(text) if path.endswith(".json") else YAML(typ="safe").load(text)
        assert parsed
    stages = json.loads(first["ecs/a-staging.stages.json"])["stages"]
    assert [s["parameters"]["GreenWeight"] for s in stages] == [5, 25, 50, 100]
