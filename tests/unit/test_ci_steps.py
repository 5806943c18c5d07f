"""The CI/CD step adapters: declared outputs, user-facing errors, and the package the pipeline returns."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import UserError
from bot.pipelines import load_pipeline
from bot.registry import StepContext
from bot.registry import get_step
from bot.trees import LocalTree
from ci_support import run_on_fixture

PIPELINE = load_pipeline("ci_cd_setup")


def ctx() -> StepContext:
    return StepContext(open_tree=lambda path: LocalTree(Path(path)), extras={"today": "2026-09-01"})


def test_every_step_type_of_the_pipeline_is_registered() -> None:
    for step in PIPELINE["steps"]:
        assert callable(get_step(step["type"])), step["type"]


def test_a_platform_without_a_renderer_is_refused_with_the_available_ones() -> None:
    with pytest.raises(UserError, match="available now: .*github_actions.*gitlab_ci"):
        get_step("pipeline_config_generator")({"platform": "travis", "design": {"units": []}}, {}, ctx())


def test_dashboards_without_a_design_say_which_step_must_run_first() -> None:
    with pytest.raises(UserError, match="design_pipeline_architecture"):
        get_step("dashboard_generator")({}, {}, ctx())


def test_no_deployment_targets_give_empty_deployment_outputs() -> None:
    outputs = get_step("deployment_stage_generator")({"targets": [], "design": {}}, {}, ctx())
    assert outputs == {"deployment_configuration": {}, "environment_configs": [], "rollback_procedures": []}


def test_a_coverage_threshold_outside_zero_to_hundred_is_a_user_error() -> None:
    with pytest.raises(UserError, match="0 to 100"):
        get_step("test_stage_generator")({"coverage_threshold": 150, "design": {"units": [], "quality_gates": {}}},
                                         {}, ctx())


def test_the_package_holds_workflow_companions_and_docs_in_sorted_order() -> None:
    outputs = run_on_fixture("python-poetry")
    files = outputs["ci_cd_package"]["files"]
    assert list(files) == sorted(files)
    assert {".github/workflows/ci.yml", ".github/dependabot.yml", "docs/ci-cd.md"} <= set(files)
    assert "```mermaid" in files["docs/ci-cd.md"]
    guide = outputs["implementation_guide"]
    assert guide["title"] and "poetry.lock" in guide["body"]
    assert outputs["security_report"]["fail_on_severity"] == "high"
    assert "codeql" in outputs["security_report"]["tools"]


def test_existing_ci_is_kept_and_the_new_workflow_sits_beside_it() -> None:
    outputs = run_on_fixture("existing-ci")
    files = outputs["ci_cd_package"]["files"]
    assert ".github/workflows/test.yml" not in files
    body = outputs["implementation_guide"]["body"]
    assert "## Existing CI" in body and "`.github/workflows/test.yml` is left unchanged" in body


def test_a_repository_without_tests_says_so_in_the_pull_request() -> None:
    outputs = run_on_fixture("no-tests")
    assert "has no tests" in outputs["implementation_guide"]["body"]
    assert "\n  test:" not in outputs["ci_cd_package"]["files"][".github/workflows/ci.yml"]


def test_production_deploys_ask_for_environment_reviewers_in_the_pull_request() -> None:
    outputs = run_on_fixture("python-pip", deployment_targets=[{"environment": "production", "platform": "kubernetes"},
                                                               {"environment": "staging", "platform": "ecs"}])
    body = outputs["implementation_guide"]["body"]
    assert "Create the `production` environment" in body and "add required reviewers" in body
    assert "Add variable `AWS_ROLE_ARN` (environment staging)" in body and "`AWS_REGION`" in body
    assert "`KUBE_CONFIG`" in body


def test_ambiguities_are_listed_with_the_choice_made() -> None:
    body = run_on_fixture("two-lockfiles")["implementation_guide"]["body"]
    assert "## Ambiguities and the choices made" in body and "Chose" in body
