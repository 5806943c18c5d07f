"""Azure Pipelines: every fixture validates, golden files, determinism, and the CI_QUALITY points on this platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import REPOS
from ci_support import ROOT
from ci_support import TODAY
from ci_support import python_unit
from ci_support import run_on_fixture
from generators.analysis.model import Analysis
from generators.ci.azure import azure_pipelines_files
from generators.ci.azure import glob_regex
from generators.ci.deploy import deployment_stage
from generators.ci.design import design_pipeline
from generators.ci.security import security_stage
from generators.ci import stages
from tests.validators import check_azure_pipelines
from tests.validators import check_yaml

PLATFORM = "azure_devops"
PIPELINE = "azure-pipelines.yml"
GOLDEN = ROOT / "tests" / "golden" / "ci_azure"
GOLDEN_CASES = ["python-pip", "node-pnpm", "go", "monorepo-py-node", "needs-database"]
FIXTURES = sorted(path.name for path in REPOS.iterdir() if path.is_dir())
TARGETS = [{"environment": "staging", "platform": "kubernetes"}, {"environment": "production", "platform": "kubernetes"}]
KEPT = (PIPELINE, "docs/ci-cd.md")


def produced(case: str, **inputs: Any) -> dict[str, str]:
    outputs = run_on_fixture(case, ci_platform=PLATFORM, deployment_targets=TARGETS, **inputs)
    files = {path: text for path, text in outputs["ci_cd_package"]["files"].items() if path in KEPT}
    guide = outputs["implementation_guide"]
    files["PULL_REQUEST.md"] = f"# {guide['title']}\n\n{guide['body']}"
    return files


def pipeline_of(case: str, **inputs: Any) -> dict[str, Any]:
    text = run_on_fixture(case, ci_platform=PLATFORM, deployment_targets=TARGETS, **inputs)["ci_cd_package"]["files"]
    return YAML(typ="safe").load(text[PIPELINE])


def jobs_of(pipeline: dict[str, Any]) -> list[dict[str, Any]]:
    return [job for stage in pipeline["stages"] for job in stage["jobs"]]


@pytest.mark.validators
@pytest.mark.parametrize("case", FIXTURES)
def test_the_pipeline_for_each_fixture_repository_passes_the_schema_and_yamllint(case: str, tmp_path: Path) -> None:
    text = run_on_fixture(case, ci_platform=PLATFORM, deployment_targets=TARGETS)["ci_cd_package"]["files"][PIPELINE]
    path = tmp_path / PIPELINE
    path.write_text(text, encoding="utf-8")
    assert check_azure_pipelines(path) + check_yaml([path]) == []


@pytest.mark.validators
def test_the_schema_check_reports_an_invalid_pipeline(tmp_path: Path) -> None:
    path = tmp_path / PIPELINE
    path.write_text("stages:\n  - stage: a\n    jobs:\n      - job: b\n        timeoutInMinutes: 5\n        stepz: []\n",
                    encoding="utf-8")
    assert check_azure_pipelines(path) != []


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_generated_files_match_the_golden_files(case: str, update_golden: bool) -> None:
    files = produced(case)
    root = GOLDEN / case / "expected"
    if update_golden:
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    expected = {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
                for path in sorted(root.rglob("*")) if path.is_file()}
    assert files == expected


@pytest.mark.parametrize("case", ["monorepo-py-node", "needs-database"])
def test_generating_twice_gives_identical_bytes(case: str) -> None:
    assert produced(case) == produced(case)


def test_every_job_has_a_timeout_and_independent_jobs_wait_only_on_change_detection() -> None:
    pipeline = pipeline_of("monorepo-py-node")
    for job in jobs_of(pipeline):
        assert int(job["timeoutInMinutes"]) > 0, job
    checks = pipeline["stages"][0]
    assert checks["stage"] == "checks"
    for job in checks["jobs"]:
        assert job.get("dependsOn", []) in ([], ["changes"]), job["job"]


def test_monorepo_units_run_only_when_their_paths_change() -> None:
    pipeline = pipeline_of("monorepo-py-node")
    assert "services/api/**" in pipeline["pr"]["paths"]["include"]
    lint_web = next(job for job in jobs_of(pipeline) if job.get("job") == "lint_web")
    assert "dependencies.changes.outputs['filter.web']" in lint_web["condition"]
    changes = next(job for job in jobs_of(pipeline) if job.get("job") == "changes")
    assert "variable=web;isOutput=true" in changes["steps"][1]["script"]


def test_path_globs_become_anchored_regular_expressions() -> None:
    assert glob_regex("services/api/**") == "^services/api/.*$"
    assert glob_regex("azure-pipelines.yml") == "^azure-pipelines\\.yml$"
    assert glob_regex("src/*.py") == "^src/[^/]*\\.py$"


def test_installs_are_frozen_and_cached_on_the_lockfile_with_the_declared_runtime() -> None:
    pipeline = pipeline_of("node-pnpm")
    test = next(job for job in jobs_of(pipeline) if job.get("job") == "test")
    tasks = {step.get("task"): step for step in test["steps"] if "task" in step}
    assert tasks["NodeTool@0"]["inputs"]["versionSpec"].startswith("22")
    assert "pnpm-lock.yaml" in tasks["Cache@2"]["inputs"]["key"]
    assert any(step.get("script") == "pnpm install --frozen-lockfile" for step in test["steps"])


def test_tests_publish_junit_and_cobertura_and_the_tool_enforces_coverage() -> None:
    pipeline = pipeline_of("python-pip", quality_gates={"test_coverage_threshold": 72})
    test = next(job for job in jobs_of(pipeline) if job.get("job") == "test")
    tasks = {step.get("task"): step for step in test["steps"] if "task" in step}
    assert tasks["PublishTestResults@2"]["inputs"]["testResultsFormat"] == "JUnit"
    assert tasks["PublishCodeCoverageResults@1"]["inputs"]["codeCoverageTool"] == "Cobertura"
    command = next(step["script"] for step in test["steps"] if step.get("displayName") == "Test")
    assert "--cov-fail-under=72" in command and "--cov-report=xml:coverage.xml" in command


def test_service_containers_are_resources_attached_to_the_test_job_with_health_checks() -> None:
    pipeline = pipeline_of("needs-database")
    containers = {c["container"]: c for c in pipeline["resources"]["containers"]}
    assert "pg_isready" in containers["postgres"]["options"]
    test = next(job for job in jobs_of(pipeline) if job.get("job") == "test")
    assert test["services"] == {"postgres": "postgres", "redis": "redis"}
    assert test["variables"]["DATABASE_URL"].startswith("postgresql://")


def test_deploys_are_environment_bound_deployment_jobs_with_smoke_test_rollback_and_oidc() -> None:
    pipeline = pipeline_of("python-pip")
    stages = {stage["stage"]: stage for stage in pipeline["stages"]}
    production = stages["deploy_production"]
    assert production["dependsOn"] == ["deploy_staging", "publish"]
    assert "refs/heads/main" in production["condition"]
    job = production["jobs"][0]
    assert job["environment"] == "production" and int(job["timeoutInMinutes"]) > 0
    run_once = job["strategy"]["runOnce"]
    deploy = run_once["deploy"]["steps"][0]
    assert deploy["task"] == "AzureCLI@2" and deploy["inputs"]["azureSubscription"] == "azure-production"
    assert "Smoke test" == run_once["postRouteTraffic"]["steps"][0]["displayName"]
    assert "rollout undo" in run_once["on"]["failure"]["steps"][0]["inputs"]["inlineScript"]
    text = run_on_fixture("python-pip", ci_platform=PLATFORM, deployment_targets=TARGETS)["ci_cd_package"]["files"]
    assert "KUBE_CONFIG" not in text[PIPELINE] and "password" not in text[PIPELINE].lower()


def test_pull_request_and_docs_describe_service_connections_and_environment_approvals() -> None:
    files = produced("python-pip")
    body = files["PULL_REQUEST.md"]
    assert body.startswith("# Add CI/CD pipeline (Azure Pipelines)")
    assert "workload identity federation" in body and "Approvals check" in body
    assert "variable group deploy-production" in body and "KUBE_CONFIG" not in body
    docs = files["docs/ci-cd.md"]
    assert "## Azure Pipelines" in docs
    assert "workload identity federation" in docs and "**Approvals** check" in docs


def test_hostile_names_stay_data_in_the_yaml(tmp_path: Path) -> None:
    hostile = "api'\"${{ x }}\n$(y)"
    unit = python_unit(name=hostile, path="svc/a b", manifest="svc/a b/pyproject.toml", lockfile="svc/a b/poetry.lock")
    other = python_unit(name="worker", path="worker", manifest="worker/pyproject.toml", lockfile="worker/poetry.lock")
    design = design_pipeline(Analysis(units=[unit, other], monorepo="services"), platform=PLATFORM, project_type=None,
                             targets=TARGETS, branching="gitflow", quality_gates={}, today=TODAY,
                             default_branch="ma'in${x}\"", workflow_path=PIPELINE)
    result = azure_pipelines_files(design, stages.build_stage(design), stages.test_stage(design), security_stage(design),
                                   deployment_stage(design, TARGETS))
    path = tmp_path / PIPELINE
    path.write_text(result["files"][PIPELINE], encoding="utf-8")
    assert check_azure_pipelines(path) == []
    loaded = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    # A branch may hold quotes and `${` (not newlines or spaces: git refuses those).
    assert "ma'in${x}\"" in loaded["trigger"]["branches"]["include"]
    assert "refs/heads/ma''in" in loaded["stages"][-1]["condition"]
    assert "${{" not in path.read_text(encoding="utf-8")
    assert "paths" not in loaded["trigger"]  # "svc/a b" cannot be written as a trigger filter; job conditions filter


def test_dependabot_keeps_the_packages_current_but_watches_no_actions_when_there_is_no_workflow() -> None:
    files = run_on_fixture("python-pip", ci_platform=PLATFORM)["ci_cd_package"]["files"]
    ecosystems = [entry["package-ecosystem"] for entry in YAML(typ="safe").load(files[".github/dependabot.yml"])["updates"]]
    assert "pip" in ecosystems and "github-actions" not in ecosystems
