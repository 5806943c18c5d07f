"""GitLab CI/CD renderer: valid for every fixture repository, golden files, and the CI_QUALITY.md bar."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import REPOS
from ci_support import ROOT
from ci_support import run_on_fixture
from tests.validators import check_dockerfile
from tests.validators import check_gitlab_ci
from tests.validators import check_yaml

GOLDEN = ROOT / "tests" / "golden" / "ci_gitlab"
CASES = ["python-pip", "node-pnpm", "go", "monorepo-py-node", "needs-database"]
FIXTURES = sorted(path.name for path in REPOS.iterdir() if path.is_dir())
TARGETS = [{"environment": "staging", "platform": "kubernetes"}, {"environment": "production", "platform": "kubernetes"}]
CONFIG = ".gitlab-ci.yml"


def check_renovate(path: Path) -> list[str]:
    """renovate.json against the schema check-jsonschema ships."""
    done = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.renovate",
                           str(path)], capture_output=True, text=True, timeout=120)
    return [f"check-jsonschema: {done.stdout}{done.stderr}"] if done.returncode else []


def generated(case: str, **inputs: Any) -> dict[str, str]:
    return dict(run_on_fixture(case, ci_platform="gitlab_ci", **inputs)["ci_cd_package"]["files"])


def pipeline(case: str, **inputs: Any) -> dict[str, Any]:
    return YAML(typ="safe").load(generated(case, **inputs)[CONFIG])


def jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    reserved = {"include", "workflow", "stages", "default", "variables"}
    return {name: job for name, job in config.items() if name not in reserved}


@pytest.mark.validators
@pytest.mark.parametrize("case", FIXTURES)
def test_files_for_each_fixture_repository_pass_the_gitlab_validators(case: str, tmp_path: Path) -> None:
    files = generated(case, deployment_targets=TARGETS)
    problems: list[str] = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if name.endswith("gitlab-ci.yml"):
            problems += check_gitlab_ci(path)
        elif path.name == "Dockerfile":
            problems += check_dockerfile(path)
        elif path.name == "renovate.json":
            problems += check_renovate(path)
    problems += check_yaml([tmp_path / name for name in files if name.endswith((".yml", ".yaml"))])
    assert problems == []


@pytest.mark.parametrize("case", CASES)
def test_gitlab_files_match_the_golden_files(case: str, update_golden: bool) -> None:
    outputs = run_on_fixture(case, ci_platform="gitlab_ci", deployment_targets=TARGETS)
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


def test_every_job_has_a_timeout_an_image_and_explicit_needs() -> None:
    for name, job in jobs(pipeline("python-pip", deployment_targets=TARGETS)).items():
        assert job["timeout"].endswith(" minutes"), name
        assert job["image"], name
        assert isinstance(job["needs"], list), name


def test_checks_are_interruptible_and_deploys_are_not_and_hold_a_resource_group() -> None:
    config = jobs(pipeline("python-pip", deployment_targets=TARGETS))
    assert config["test"]["interruptible"] is True and config["lint"]["interruptible"] is True
    for env in ("staging", "production"):
        deploy = config[f"deploy-{env}"]
        assert deploy["interruptible"] is False
        assert deploy["resource_group"] == f"deploy-{env}"
        assert deploy["environment"]["name"] == env
    assert config["deploy-production"]["rules"][0]["when"] == "manual"
    assert "when" not in config["deploy-staging"]["rules"][0]
    assert "rollout undo" in config["deploy-production"]["after_script"][0]


def test_pipelines_run_for_merge_requests_and_the_default_branch_only() -> None:
    rules = pipeline("python-pip")["workflow"]["rules"]
    assert any("merge_request_event" in rule["if"] for rule in rules)
    assert {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"} in rules
    assert {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"} in rules


def test_tests_publish_junit_and_cobertura_and_the_tool_enforces_coverage() -> None:
    test = jobs(pipeline("python-pip"))["test"]
    assert test["artifacts"]["reports"]["junit"] == ["test-results/junit.xml"]
    assert test["artifacts"]["reports"]["coverage_report"] == {"coverage_format": "cobertura", "path": "coverage.xml"}
    assert test["coverage"].startswith("/") and test["coverage"].endswith("/")
    assert any("--cov-fail-under=80" in line for line in test["script"])


def test_installs_are_frozen_and_cached_on_the_lockfile() -> None:
    test = jobs(pipeline("node-pnpm"))["test"]
    assert test["cache"]["key"]["files"] == ["pnpm-lock.yaml"]
    assert test["variables"]["npm_config_store_dir"] == "$CI_PROJECT_DIR/.cache/npm_config_store_dir"
    assert any("--frozen-lockfile" in line for line in test["script"])


def test_database_services_have_aliases_and_a_bounded_wait() -> None:
    test = jobs(pipeline("needs-database"))["test"]
    assert {"name": "postgres:17-alpine", "alias": "postgres"}.items() <= test["services"][0].items()
    assert "@postgres:5432/" in test["variables"]["DATABASE_URL"]
    assert "timeout 60 bash -c" in test["script"][0] and "/dev/tcp/postgres/5432" in test["script"][0]


def test_monorepo_jobs_run_on_merge_requests_only_when_their_paths_change() -> None:
    config = jobs(pipeline("monorepo-py-node"))
    rules = config["test-api"]["rules"]
    assert rules[0]["changes"] == ["services/api/**", "libs/shared/**", ".gitlab-ci.yml"]
    assert rules[1] == {"if": "$CI_COMMIT_BRANCH"}
    assert config["test-api"]["script"][0] == "cd services/api"
    assert "changes" not in config


def test_security_uses_gitlab_templates_and_no_github_only_jobs() -> None:
    config = pipeline("python-pip")
    assert {"template": "Jobs/SAST.gitlab-ci.yml"} in config["include"]
    assert {"template": "Jobs/Secret-Detection.gitlab-ci.yml"} in config["include"]
    assert "test" in config["stages"]
    assert not [name for name in jobs(config) if name.startswith(("codeql", "dependency-review"))]


def test_existing_gitlab_ci_is_not_overwritten() -> None:
    outputs = run_on_fixture("existing-ci", ci_platform="gitlab_ci")
    files = outputs["ci_cd_package"]["files"]
    assert ".gitlab-ci.yml" not in files and ".gitlab/devops-bot.gitlab-ci.yml" in files
    assert "CI/CD configuration file" in outputs["implementation_guide"]["body"]


def test_the_engine_returns_a_gitlab_package_and_the_pull_request_names_the_platform() -> None:
    outputs = run_on_fixture("python-poetry", ci_platform="gitlab_ci", deployment_targets=TARGETS)
    files = outputs["ci_cd_package"]["files"]
    assert CONFIG in files and not any(name.startswith(".github/workflows/") for name in files)
    guide = outputs["implementation_guide"]
    assert guide["title"] == "Add CI/CD pipeline (GitLab CI/CD)"
    assert "pipeline for GitLab CI/CD" in guide["body"] and "Protected environments" in guide["body"]
    assert "Protected environments" in files["docs/ci-cd.md"] and "## GitLab CI/CD" in files["docs/ci-cd.md"]


@pytest.mark.validators
@pytest.mark.parametrize("platform", ["kubernetes", "ecs", "lambda", "app_service", "heroku"])
def test_each_deploy_platform_gives_a_valid_pipeline_with_one_job_per_environment(platform: str,
                                                                                   tmp_path: Path) -> None:
    targets = [{"environment": env, "platform": platform, "region": "eu-west-1"} for env in ("staging", "production")]
    path = tmp_path / CONFIG
    path.write_text(generated("python-pip", deployment_targets=targets)[CONFIG], encoding="utf-8")
    assert check_gitlab_ci(path) == [] and check_yaml([path]) == []
    config = jobs(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
    assert {"deploy-staging", "deploy-production"} <= set(config)
    assert config["deploy-production"]["rules"][0]["when"] == "manual"


def test_cloud_deploys_log_in_with_an_oidc_id_token_and_store_no_cloud_keys() -> None:
    targets = [{"environment": "production", "platform": "ecs", "region": "eu-west-1"}]
    text = generated("python-pip", deployment_targets=targets)[CONFIG]
    deploy = jobs(YAML(typ="safe").load(text))["deploy-production"]
    assert deploy["id_tokens"] == {"OIDC_TOKEN": {"aud": "sts.amazonaws.com"}}
    assert any("AWS_WEB_IDENTITY_TOKEN_FILE" in line for line in deploy["script"])
    assert "AWS_SECRET_ACCESS_KEY" not in text and "AWS_ACCESS_KEY_ID" not in text


def test_gitflow_deploys_staging_from_develop_and_production_from_the_default_branch_by_hand() -> None:
    targets = [{"environment": env, "platform": "kubernetes"} for env in ("staging", "production")]
    config = jobs(pipeline("python-pip", deployment_targets=targets, branching_strategy="gitflow"))
    assert config["deploy-staging"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH =~ /^develop$/'}]
    assert config["deploy-production"]["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', "when": "manual"}]
