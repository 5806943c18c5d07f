"""CircleCI renderer: valid for every fixture repository, golden files, and the CI_QUALITY.md bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import REPOS
from ci_support import ROOT
from ci_support import run_on_fixture
from tests.validators import check_circleci
from tests.validators import check_dependabot
from tests.validators import check_dockerfile
from tests.validators import check_yaml

GOLDEN = ROOT / "tests" / "golden" / "ci_circleci"
CASES = ["python-pip", "node-pnpm", "go", "monorepo-py-node", "needs-database"]
FIXTURES = sorted(path.name for path in REPOS.iterdir() if path.is_dir())
TARGETS = [{"environment": "staging", "platform": "kubernetes"}, {"environment": "production", "platform": "kubernetes"}]
CONFIG = ".circleci/config.yml"


def generated(case: str, **inputs: Any) -> dict[str, str]:
    return dict(run_on_fixture(case, ci_platform="circleci", **inputs)["ci_cd_package"]["files"])


def config(case: str, **inputs: Any) -> dict[str, Any]:
    return YAML(typ="safe").load(generated(case, **inputs)[CONFIG])


def workflow_jobs(loaded: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entries = {}
    for entry in loaded["workflows"]["ci"]["jobs"]:
        name, settings = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
        entries[name] = settings
    return entries


def runs(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [step["run"] for step in job["steps"] if isinstance(step, dict) and "run" in step]


@pytest.mark.validators
@pytest.mark.parametrize("case", FIXTURES)
def test_files_for_each_fixture_repository_pass_the_circleci_validators(case: str, tmp_path: Path) -> None:
    files = generated(case, deployment_targets=TARGETS)
    problems: list[str] = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if path.parent.name == ".circleci":
            problems += check_circleci(path)
        elif path.name == "dependabot.yml":
            problems += check_dependabot(path)
        elif path.name == "Dockerfile":
            problems += check_dockerfile(path)
    problems += check_yaml([tmp_path / name for name in files if name.endswith((".yml", ".yaml"))])
    assert problems == []


@pytest.mark.parametrize("case", CASES)
def test_circleci_files_match_the_golden_files(case: str, update_golden: bool) -> None:
    outputs = run_on_fixture(case, ci_platform="circleci", deployment_targets=TARGETS)
    files = dict(outputs["ci_cd_package"]["files"])
    files["PULL_REQUEST.md"] = f"# {outputs['implementation_guide']['title']}\n\n{outputs['implementation_guide']['body']}"
    root = GOLDEN / case / "expected"
    if update_golden:
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
    expected = {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
                for path in sorted(root.rglob("*")) if path.is_file()}
    assert files == expected


def test_generating_twice_gives_identical_bytes() -> None:
    assert generated("monorepo-py-node", deployment_targets=TARGETS) == generated("monorepo-py-node",
                                                                                  deployment_targets=TARGETS)


def test_the_config_is_version_2_1_and_every_run_step_has_an_output_timeout() -> None:
    loaded = config("python-pip", deployment_targets=TARGETS)
    assert loaded["version"] == 2.1
    for name, job in loaded["jobs"].items():
        assert job["docker"][0]["image"], name
        for run in runs(job):
            assert run["no_output_timeout"].endswith("m"), (name, run["name"])


def test_caches_are_keyed_on_the_lockfile_checksum_and_installs_are_frozen() -> None:
    test = config("node-pnpm")["jobs"]["test"]
    restore = next(step["restore_cache"] for step in test["steps"] if isinstance(step, dict) and "restore_cache" in step)
    assert restore["keys"] == ['v1-root-pnpm-{{ checksum "pnpm-lock.yaml" }}', "v1-root-pnpm-"]
    save = next(step["save_cache"] for step in test["steps"] if isinstance(step, dict) and "save_cache" in step)
    assert save["key"] == restore["keys"][0] and save["paths"] == ["/tmp/ci-cache/npm_config_store_dir"]
    assert any("--frozen-lockfile" in run["command"] for run in runs(test))


def test_database_services_are_secondary_containers_with_a_bounded_wait() -> None:
    test = config("needs-database")["jobs"]["test"]
    assert [image["image"] for image in test["docker"][1:]] == ["postgres:17-alpine", "redis:7-alpine"]
    wait = next(run for run in runs(test) if run["name"] == "Wait for services")
    assert "timeout 60 bash -c" in wait["command"] and "/dev/tcp/localhost/5432" in wait["command"]
    assert "@localhost:5432/" in test["environment"]["DATABASE_URL"]


def test_tests_store_junit_results_and_coverage() -> None:
    test = config("python-pip")["jobs"]["test"]
    stored = [step for step in test["steps"] if isinstance(step, dict)]
    assert {"store_test_results": {"path": "test-results/junit.xml"}} in stored
    assert {"store_artifacts": {"path": "coverage.xml", "destination": "coverage.xml"}} in stored
    assert any("--cov-fail-under=80" in run["command"] for run in runs(test))


def test_independent_jobs_start_at_once_and_production_waits_for_an_approval() -> None:
    entries = workflow_jobs(config("python-pip", deployment_targets=TARGETS))
    assert entries["test"] == {} and entries["lint"] == {}
    assert entries["approve-production"]["type"] == "approval"
    assert entries["approve-production"]["requires"] == ["deploy-staging", "publish"]
    assert entries["deploy-production"]["requires"] == ["approve-production"]
    assert entries["deploy-production"]["filters"] == {"branches": {"only": ["main"]}}
    assert "deploy-production" in entries["deploy-production"]["context"]
    assert entries["deploy-staging"]["serial-group"] == "<< pipeline.project.slug >>/deploy-staging"


def test_a_failed_deploy_rolls_back() -> None:
    deploy = config("python-pip", deployment_targets=TARGETS)["jobs"]["deploy-production"]
    rollback = next(run for run in runs(deploy) if run["name"] == "Roll back")
    assert rollback["when"] == "on_fail" and "rollout undo" in rollback["command"]


def test_a_monorepo_continues_with_every_units_jobs_and_the_pull_request_says_how_they_are_filtered() -> None:
    outputs = run_on_fixture("monorepo-py-node", ci_platform="circleci")
    loaded = YAML(typ="safe").load(outputs["ci_cd_package"]["files"][".circleci/continue_config.yml"])
    assert {"test-api", "test-shared", "test-web"} <= set(loaded["jobs"]) and "changes" not in loaded["jobs"]
    api = next(run for run in runs(loaded["jobs"]["test-api"]) if run["name"] == "Test")
    assert api["working_directory"] == "services/api"
    assert "path-filtering orb" in outputs["implementation_guide"]["body"]


def test_the_engine_returns_a_circleci_package_and_the_pull_request_names_the_platform() -> None:
    outputs = run_on_fixture("python-poetry", ci_platform="circleci", deployment_targets=TARGETS)
    files = outputs["ci_cd_package"]["files"]
    assert CONFIG in files and not any(name.startswith(".github/workflows/") for name in files)
    guide = outputs["implementation_guide"]
    assert guide["title"] == "Add CI/CD pipeline (CircleCI)"
    assert "pipeline for CircleCI" in guide["body"] and "context" in guide["body"]
    assert "## CircleCI" in files["docs/ci-cd.md"] and "approve-production" in files["docs/ci-cd.md"]


@pytest.mark.validators
@pytest.mark.parametrize("platform", ["kubernetes", "ecs", "lambda", "app_service", "heroku"])
def test_each_deploy_platform_gives_a_valid_config_with_an_approval_before_production(platform: str,
                                                                                       tmp_path: Path) -> None:
    targets = [{"environment": env, "platform": platform, "region": "eu-west-1"} for env in ("staging", "production")]
    path = tmp_path / "config.yml"
    path.write_text(generated("python-pip", deployment_targets=targets)[CONFIG], encoding="utf-8")
    assert check_circleci(path) == [] and check_yaml([path]) == []
    entries = workflow_jobs(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
    assert entries["deploy-production"]["requires"] == ["approve-production"]


def test_cloud_deploys_log_in_with_the_job_oidc_token_and_keep_the_credentials_for_later_steps() -> None:
    targets = [{"environment": "production", "platform": "lambda", "region": "eu-west-1"}]
    text = generated("python-pip", deployment_targets=targets)[CONFIG]
    deploy = YAML(typ="safe").load(text)["jobs"]["deploy-production"]
    login = next(run for run in runs(deploy) if run["name"].startswith("Log in to aws"))
    assert "circleci run oidc get --claims '{\"aud\":\"sts.amazonaws.com\"}'" in login["command"]
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in login["command"] and '>> "$BASH_ENV"' in login["command"]
    assert "setup_remote_docker" in deploy["steps"]  # the image is copied to ECR with docker
    assert "AWS_SECRET_ACCESS_KEY" not in text


def test_gitflow_filters_each_deploy_to_its_branch_and_approves_production_on_the_default_branch() -> None:
    targets = [{"environment": env, "platform": "kubernetes"} for env in ("staging", "production")]
    entries = workflow_jobs(config("python-pip", deployment_targets=targets, branching_strategy="gitflow"))
    assert entries["deploy-staging"]["filters"] == {"branches": {"only": ["develop"]}}
    assert entries["approve-production"]["filters"] == {"branches": {"only": ["main"]}}
    assert entries["publish"]["filters"] == {"branches": {"only": ["develop", "main"]}}
