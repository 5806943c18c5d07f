"""Deployment stage: branches per strategy, approvals, strategies, OIDC, smoke tests, rollback; validated workflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import generate
from ci_support import python_unit
from ci_support import run_on_fixture
from generators.analysis.model import Analysis
from generators.analysis.model import Unit
from generators.ci.deploy import deploy_requirements
from generators.ci.deploy import deployment_stage
from generators.ci.deploy import rollback_runbook
from generators.ci.design import design_pipeline
from tests.validators import check_github_workflow
from tests.validators import check_yaml

STAGING_PROD = [{"environment": "staging", "platform": "kubernetes"},
                {"environment": "production", "platform": "kubernetes", "region": "eu-west-1"}]
ALL_THREE = [{"environment": "production", "platform": "ecs", "region": "eu-west-1"},
             {"environment": "development", "platform": "kubernetes"},
             {"environment": "staging", "platform": "lambda", "region": "us-east-2"}]


def design_of(targets: list[dict[str, Any]], branching: str = "github_flow", *units: Unit) -> dict[str, Any]:
    return design_pipeline(Analysis(units=list(units) or [python_unit()]), platform="github_actions",
                           project_type=None, targets=targets, branching=branching, quality_gates={},
                           today="2026-09-01")


def jobs_by_env(targets: list[dict[str, Any]], branching: str = "github_flow") -> dict[str, dict[str, Any]]:
    design = design_of(targets, branching)
    return {job["environment"]: job for job in deployment_stage(design, targets)["jobs"]}


def workflow(targets: list[dict[str, Any]], branching: str = "github_flow", units: list[Unit] | None = None
             ) -> dict[str, Any]:
    result = generate(Analysis(units=units or [python_unit()]), targets=targets, branching=branching)
    return YAML(typ="safe").load(result["files"][result["design"]["workflow_path"]])


def kinds(job: dict[str, Any]) -> list[str]:
    return [step["kind"] if step["kind"] != "run" else step["name"] for step in job["steps"]]


@pytest.mark.parametrize(("branching", "branches", "needs_staging"), [
    ("github_flow", {"staging": "main", "production": "main"}, True),
    ("trunk_based", {"staging": "main", "production": "main"}, True),
    ("gitflow", {"staging": "develop", "production": "main"}, False),
    ("gitlab_flow", {"staging": "main", "production": "production"}, False),
])
def test_the_branching_strategy_decides_which_branch_deploys_where(branching: str, branches: dict[str, str],
                                                                    needs_staging: bool) -> None:
    jobs = jobs_by_env(STAGING_PROD, branching)
    assert {env: job["branch"] for env, job in jobs.items()} == branches
    # A job on another branch never runs in the same workflow run, so production may only wait on a same-branch job.
    assert (jobs["production"]["needs"] == ["deploy-staging"]) is needs_staging


def test_gitflow_deploys_development_and_staging_from_develop_and_publishes_there_too() -> None:
    flow = workflow(ALL_THREE, "gitflow")
    assert "refs/heads/develop" in flow["jobs"]["deploy-development"]["if"]
    assert "refs/heads/main" in flow["jobs"]["deploy-production"]["if"]
    assert "refs/heads/develop" in flow["jobs"]["publish"]["if"] and "refs/heads/main" in flow["jobs"]["publish"]["if"]
    assert flow["on"]["push"]["branches"] == ["main", "develop"]


def test_production_always_needs_an_approval_and_trunk_based_staging_does_too() -> None:
    flow = jobs_by_env(STAGING_PROD, "github_flow")
    trunk = jobs_by_env(STAGING_PROD, "trunk_based")
    assert (flow["staging"]["approval"], flow["production"]["approval"]) == (False, True)
    assert (trunk["staging"]["approval"], trunk["production"]["approval"]) == (True, True)


@pytest.mark.parametrize(("platform", "strategy"), [
    ("kubernetes", "rolling_update"), ("ecs", "blue_green"), ("lambda", "canary"), ("app_service", "blue_green"),
    ("heroku", "rolling_update"),
])
def test_strategy_per_environment_follows_the_spec(platform: str, strategy: str) -> None:
    targets = [{"environment": env, "platform": platform, "region": "eu-west-1"}
               for env in ("development", "staging", "production")]
    jobs = jobs_by_env(targets)
    assert jobs["production"]["strategy"] == strategy
    assert jobs["staging"]["strategy"] == "direct_deployment"
    assert jobs["development"]["strategy"] == "continuous_deployment"


@pytest.mark.parametrize("platform", ["kubernetes", "ecs", "lambda", "app_service", "heroku"])
def test_every_deploy_records_rolls_out_smoke_tests_and_rolls_back_only_on_failure(platform: str) -> None:
    job = jobs_by_env([{"environment": "production", "platform": platform, "region": "eu-west-1"}])["production"]
    names = [step.get("name", step["kind"]) for step in job["steps"]]
    record = next(i for i, name in enumerate(names) if name.startswith("Record"))
    deploy = next(i for i, name in enumerate(names) if name.startswith("Deploy"))
    smoke = names.index("Smoke test")
    rollbacks = [i for i, step in enumerate(job["steps"]) if step.get("when") == "failure"]
    assert record < deploy < smoke < min(rollbacks)
    assert all(i > smoke for i in rollbacks) and rollbacks[-1] == len(names) - 1
    assert "--retry 10" in job["steps"][smoke]["command"] and "--max-time 10" in job["steps"][smoke]["command"]
    assert job["concurrency"] == {"group": "deploy-production", "cancel": False}


def test_the_lambda_canary_invokes_the_new_version_before_moving_all_traffic() -> None:
    job = jobs_by_env([{"environment": "production", "platform": "lambda", "region": "eu-west-1"}])["production"]
    names = [step.get("name", "") for step in job["steps"]]
    deploy = next(step for step in job["steps"] if step.get("name") == "Deploy root")
    assert "AdditionalVersionWeights={$version=0.1}" in deploy["command"]
    assert names.index("Invoke the new version (root)") < names.index("Shift all traffic (root)") < names.index(
        "Smoke test")


def test_app_service_production_is_checked_in_the_staging_slot_before_the_swap() -> None:
    job = jobs_by_env([{"environment": "production", "platform": "app_service"}])["production"]
    names = [step.get("name", "") for step in job["steps"]]
    assert names.index("Smoke test the staging slot (root)") < names.index("Swap into production (root)")
    rollback = job["steps"][-1]
    assert rollback["when"] == "failure" and "slot swap" in rollback["command"] and ".swapped" in rollback["command"]


def test_cloud_logins_use_oidc_and_only_deploy_jobs_may_request_tokens() -> None:
    flow = workflow([{"environment": "staging", "platform": "ecs", "region": "eu-west-1"},
                     {"environment": "production", "platform": "app_service"}])
    with_token = {job_id for job_id, job in flow["jobs"].items() if job["permissions"].get("id-token") == "write"}
    assert with_token == {"deploy-staging", "deploy-production"}
    uses = [step.get("uses", "") for step in flow["jobs"]["deploy-staging"]["steps"]]
    assert any(ref.startswith("aws-actions/configure-aws-credentials@") for ref in uses)
    login = next(s for s in flow["jobs"]["deploy-production"]["steps"] if s.get("uses", "").startswith("azure/login@"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert not any("AWS_SECRET_ACCESS_KEY" in str(job) or "AZURE_CREDENTIALS" in str(job)
                   for job in flow["jobs"].values())


def test_heroku_and_vercel_use_api_token_secrets_because_they_have_no_oidc() -> None:
    web = Unit(name="root", path="", language="node", package_manager="npm", manifest="package.json",
               lockfile="package-lock.json", frameworks=["next"], is_service=True)
    flow = workflow([{"environment": "staging", "platform": "heroku"},
                     {"environment": "production", "platform": "vercel"}], units=[web])
    for job_id, secret in (("deploy-staging", "HEROKU_API_KEY"), ("deploy-production", "VERCEL_TOKEN")):
        job = flow["jobs"][job_id]
        assert "id-token" not in job["permissions"]
        assert f"secrets.{secret}" in str(job["steps"])
    assert "vercel@" in str(flow["jobs"]["deploy-production"]["steps"])
    assert "publish" not in flow["jobs"]["deploy-production"].get("needs", [])


def test_kubernetes_uses_eks_by_oidc_for_an_aws_region_and_a_kubeconfig_secret_otherwise() -> None:
    jobs = jobs_by_env(STAGING_PROD)
    assert "k8s_context" in kinds(jobs["staging"]) and "id-token" not in jobs["staging"]["permissions"]
    assert "cloud_login" in kinds(jobs["production"]) and jobs["production"]["permissions"]["id-token"] == "write"


def test_unsupported_or_impossible_targets_are_skipped_with_the_reason() -> None:
    design = design_of([])
    stage = deployment_stage(design, [{"environment": "qa", "platform": "kubernetes"},
                                      {"environment": "staging", "platform": "nomad"},
                                      {"environment": "staging", "platform": "vercel"}])
    assert stage["jobs"] == []
    reasons = " ".join(item["reason"] for item in stage["skipped"])
    assert "qa is not an environment" in reasons and "nomad is not a supported" in reasons and "Vercel" in reasons


def test_each_unit_of_a_monorepo_gets_its_own_variables_and_every_environment_lists_them() -> None:
    api, worker = python_unit(name="api", path="services/api"), python_unit(name="worker", path="services/worker")
    targets = [{"environment": "production", "platform": "ecs", "region": "eu-west-1"}]
    stage = deployment_stage(design_of(targets, "github_flow", api, worker), targets)
    secrets, variables = deploy_requirements(stage)
    names = {item["name"] for item in variables}
    assert {"ECS_SERVICE_API", "ECS_SERVICE_WORKER", "AWS_ROLE_ARN", "HEALTH_URL"} <= names
    assert all(item["scope"] == "environment production" and item["description"] for item in variables)
    assert secrets == []


def test_the_pull_request_and_docs_list_requirements_approvals_and_the_runbook() -> None:
    outputs = run_on_fixture("python-pip", deployment_targets=STAGING_PROD)
    body = outputs["implementation_guide"]["body"]
    docs = outputs["ci_cd_package"]["files"]["docs/ci-cd.md"]
    assert "Add variable `AWS_ROLE_ARN` (environment production)" in body
    assert "Add secret `KUBE_CONFIG` (environment staging)" in body
    assert "add required reviewers" in body
    assert "Deploy and rollback runbook" in docs and "rollout undo" in docs


@pytest.mark.validators
@pytest.mark.parametrize("branching", ["github_flow", "gitflow", "gitlab_flow", "trunk_based"])
@pytest.mark.parametrize("targets", [
    STAGING_PROD,
    ALL_THREE,
    [{"environment": "staging", "platform": "heroku"}, {"environment": "production", "platform": "app_service"}],
], ids=["kubernetes", "mixed-aws", "heroku-azure"])
def test_deploy_workflows_pass_the_validators(targets: list[dict[str, Any]], branching: str, tmp_path: Path) -> None:
    result = generate(Analysis(units=[python_unit()]), targets=targets, branching=branching)
    path = tmp_path / "ci.yml"
    path.write_text(result["files"][result["design"]["workflow_path"]], encoding="utf-8")
    assert check_github_workflow(path) + check_yaml([path]) == []


@pytest.mark.validators
def test_a_vercel_and_monorepo_deploy_workflow_passes_the_validators(tmp_path: Path) -> None:
    web = Unit(name="web", path="web", language="node", package_manager="npm", manifest="web/package.json",
               lockfile="web/package-lock.json", frameworks=["next"], is_service=True)
    api = python_unit(name="api", path="services/api")
    result = generate(Analysis(units=[web, api]), targets=[
        {"environment": "development", "platform": "lambda", "region": "eu-central-1"},
        {"environment": "production", "platform": "vercel"}])
    path = tmp_path / "ci.yml"
    path.write_text(result["files"][result["design"]["workflow_path"]], encoding="utf-8")
    assert check_github_workflow(path) + check_yaml([path]) == []


def test_the_rollback_runbook_names_the_manual_command_of_every_environment() -> None:
    targets = [{"environment": "staging", "platform": "heroku"},
               {"environment": "production", "platform": "lambda", "region": "eu-west-1"}]
    text = rollback_runbook(deployment_stage(design_of(targets), targets))
    assert "heroku releases:rollback" in text and "aws lambda update-alias" in text
    assert rollback_runbook({}) == "No deployments are generated, so there is nothing to roll back."
