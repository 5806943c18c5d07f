"""The generated GitHub Actions workflow meets CI_QUALITY.md: counted line by line on hand-built analyses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import generate
from ci_support import python_unit
from generators.analysis.model import Analysis
from generators.analysis.model import RuntimeVersion
from generators.analysis.model import Unit
from generators.ci.pins import known_pins

WORKFLOW = ".github/workflows/ci.yml"
PIN = re.compile(r"uses: ([\w.-]+/[\w.-]+)(/[\w./-]+)?@([0-9a-f]{40})  # (v?\d+\.\d+\.\d+)$")


def workflow(result: dict[str, Any]) -> dict[str, Any]:
    return YAML(typ="safe").load(result["files"][WORKFLOW])


def all_steps(flow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in flow["jobs"].values() for step in job["steps"]]


def monorepo() -> Analysis:
    api = python_unit(name="api", path="services/api", package_manager="uv", manifest="services/api/pyproject.toml",
                      lockfile="services/api/uv.lock", test_command="uv run pytest", uses_paths=["libs/shared"],
                      runtime_version=RuntimeVersion("3.12", "services/api/.python-version"))
    web = Unit(name="web", path="web", language="node", package_manager="pnpm", manifest="web/package.json",
               lockfile="pnpm-lock.yaml", runtime_version=RuntimeVersion("22", "web/.nvmrc"), test_framework="vitest",
               test_command="pnpm test", lint_tools=["eslint"], build_script="build")
    return Analysis(units=[api, web], monorepo="services")


def test_every_action_is_pinned_to_a_sha_from_the_pins_table_with_its_tag_as_comment() -> None:
    text = generate(monorepo(), targets=[{"environment": "production", "platform": "kubernetes"}])["files"][WORKFLOW]
    uses_lines = [line.strip() for line in text.splitlines() if "uses:" in line]
    assert uses_lines
    table = known_pins()
    for line in uses_lines:
        match = PIN.search(line)
        assert match, line
        assert (match.group(1).lower(), match.group(3)) in table, line


def test_top_level_permissions_are_read_only_and_write_scopes_sit_on_the_jobs_that_need_them() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()])))
    assert flow["permissions"] == {"contents": "read"}
    for job_id, job in flow["jobs"].items():
        writes = {scope for scope, level in job["permissions"].items() if level == "write"}
        if job_id.startswith(("codeql", "docker")):  # CodeQL and the image scan upload SARIF
            assert writes == {"security-events"}
        elif job_id == "publish":
            assert writes == {"packages"}
        else:
            assert writes == set(), job_id


def test_every_job_has_a_timeout_and_every_checkout_keeps_no_credentials() -> None:
    flow = workflow(generate(monorepo(), targets=[{"environment": "staging", "platform": "kubernetes"}]))
    assert all(isinstance(job["timeout-minutes"], int) for job in flow["jobs"].values())
    checkouts = [step for step in all_steps(flow) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_no_event_context_is_expanded_inside_run_scripts() -> None:
    flow = workflow(generate(monorepo(), targets=[{"environment": "production", "platform": "kubernetes"}]))
    for step in all_steps(flow):
        assert "${{" not in step.get("run", ""), step


def test_superseded_runs_are_cancelled_without_deploys() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()])))
    assert flow["concurrency"]["cancel-in-progress"] is True


def test_deploy_jobs_are_bound_to_their_environment_in_order_and_never_cancelled() -> None:
    targets = [{"environment": "production", "platform": "kubernetes"}, {"environment": "staging", "platform": "kubernetes"}]
    flow = workflow(generate(Analysis(units=[python_unit()]), targets=targets))
    staging, production = flow["jobs"]["deploy-staging"], flow["jobs"]["deploy-production"]
    assert staging["environment"] == "staging" and production["environment"] == "production"
    assert "deploy-staging" in production["needs"] and "publish" in staging["needs"]
    assert production["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}
    assert flow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    names = [step["name"] for step in production["steps"]]
    assert names.index("Smoke test") > names.index("Deploy root")
    rollback = production["steps"][names.index("Roll back")]
    assert rollback["if"] == "${{ failure() }}" and "rollout undo" in rollback["run"]
    smoke = production["steps"][names.index("Smoke test")]
    assert "--retry" in smoke["run"] and "--max-time" in smoke["run"]


def test_unsupported_deploy_platforms_produce_no_job() -> None:
    result = generate(Analysis(units=[python_unit()]), targets=[{"environment": "production", "platform": "nomad"}])
    assert not any(job_id.startswith("deploy") for job_id in workflow(result)["jobs"])


def test_installs_are_frozen_and_cached_on_the_lockfile() -> None:
    flow = workflow(generate(monorepo()))
    runs = "\n".join(step.get("run", "") for step in all_steps(flow))
    assert "uv sync --locked" in runs and "pnpm install --frozen-lockfile" in runs
    caches = [step for step in all_steps(flow) if step.get("uses", "").startswith("actions/cache@")]
    assert caches and all("hashFiles('pnpm-lock.yaml')" in step["with"]["key"] for step in caches)
    uv = [step for step in all_steps(flow) if step.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert uv and all(step["with"]["cache-dependency-glob"] == "services/api/uv.lock" for step in uv)


def test_runtime_versions_come_from_the_repository_files() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()])))
    setups = [step for step in all_steps(flow) if step.get("uses", "").startswith("actions/setup-python@")]
    assert setups and all(step["with"]["python-version-file"] == ".python-version" for step in setups)


def test_an_end_of_life_runtime_is_replaced_and_the_reason_noted() -> None:
    unit = python_unit(runtime_version=RuntimeVersion("3.8", ".python-version"))
    result = generate(Analysis(units=[unit]))
    setups = [step for step in all_steps(workflow(result)) if step.get("uses", "").startswith("actions/setup-python@")]
    assert {step["with"]["python-version"] for step in setups} == {"3.10"}
    assert any("3.8" in note and "end of life" in note for note in result["design"]["notes"])


def test_the_test_tool_enforces_coverage_and_writes_junit_that_is_uploaded() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()]), quality_gates={"test_coverage_threshold": 90}))
    steps = flow["jobs"]["test"]["steps"]
    test = next(step for step in steps if step["name"] == "Test")
    assert test["run"].startswith("poetry run pytest") and "--cov-fail-under=90" in test["run"]
    assert "--junitxml=test-results/junit.xml" in test["run"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "test-results/junit.xml"


def test_a_unit_without_tests_gets_no_test_job() -> None:
    unit = python_unit(test_framework=None, test_command=None)
    flow = workflow(generate(Analysis(units=[unit])))
    assert "test" not in flow["jobs"]
    assert not any("echo" in step.get("run", "") for step in all_steps(flow))


def test_go_tests_produce_junit_and_check_total_coverage() -> None:
    unit = Unit(name="root", path="", language="go", package_manager="go", manifest="go.mod", lockfile="go.sum",
                runtime_version=RuntimeVersion("1.26", "go.mod"), test_framework="go_test", test_command="go test ./...")
    steps = workflow(generate(Analysis(units=[unit])))["jobs"]["test"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "gotestsum --junitfile test-results/junit.xml" in runs and "go tool cover -func=coverage.out" in runs
    assert "min=80" in runs


def test_database_tests_get_healthy_service_containers_and_their_urls() -> None:
    unit = python_unit(service_dependencies=["redis", "postgres"])
    job = workflow(generate(Analysis(units=[unit])))["jobs"]["test"]
    assert sorted(job["services"]) == ["postgres", "redis"]
    assert all("--health-cmd" in service["options"] for service in job["services"].values())
    assert job["env"]["DATABASE_URL"].startswith("postgresql://") and job["env"]["REDIS_URL"].startswith("redis://")


def test_monorepo_units_run_only_when_their_paths_or_shared_code_change() -> None:
    flow = workflow(generate(monorepo()))
    filters = YAML(typ="safe").load(flow["jobs"]["changes"]["steps"][0]["with"]["filters"])
    assert filters["api"] == ["services/api/**", "libs/shared/**", WORKFLOW]
    assert filters["web"] == ["web/**", WORKFLOW]
    for job_id in ("test-api", "test-web", "lint-web", "build-web"):
        job = flow["jobs"][job_id]
        assert job["needs"] == ["changes"], job_id
        assert f"needs.changes.outputs.{job_id.split('-')[1]} == 'true'" in job["if"]


def test_independent_jobs_do_not_wait_on_each_other() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()])))
    for job_id in ("lint", "test", "docker", "codeql-python", "audit", "licenses", "secrets", "dependency-review"):
        assert "needs" not in flow["jobs"][job_id], job_id


def test_the_image_is_pushed_only_from_the_default_branch() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()])))
    build = next(s for s in flow["jobs"]["docker"]["steps"] if s.get("uses", "").startswith("docker/build-push-action@"))
    assert build["with"]["push"] is False
    assert flow["jobs"]["publish"]["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def test_gitflow_triggers_on_develop_and_release_branches() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()]), branching="gitflow"))
    assert flow["on"]["push"]["branches"] == ["main", "develop"]
    assert flow["on"]["pull_request"]["branches"] == ["main", "develop", "release/**", "hotfix/**"]


def test_security_jobs_are_left_out_when_scans_are_not_required() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()]), security=False))
    assert not any(job_id.startswith(("codeql", "semgrep", "dependency-review")) for job_id in flow["jobs"])


@pytest.mark.parametrize("targets", [[], [{"environment": "production", "platform": "kubernetes"}]])
def test_the_same_input_gives_byte_identical_files(targets: list[dict[str, Any]]) -> None:
    assert generate(monorepo(), targets=targets)["files"] == generate(monorepo(), targets=targets)["files"]
