"""The infrastructure CI workflow: valid for GitHub (schema, actionlint, zizmor), OIDC, approvals per environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generators.infra.workflow import PATH
from infra_support import package_with_ci
from infra_support import produced
from tests.validators import check_github_workflow
from tests.validators import check_yaml

CASES = ["needs-database-production", "python-pip-cost", "monorepo-written-requirements", "vms-development"]


@pytest.mark.validators
@pytest.mark.parametrize("case", CASES)
def test_the_workflow_passes_the_github_validators(case: str, tmp_path: Path) -> None:
    target = tmp_path / "infrastructure.yml"
    target.write_text(produced(case)[PATH], encoding="utf-8")
    assert check_github_workflow(target) == []
    assert check_yaml([target]) == []


def workflow() -> dict:
    return YAML(typ="safe").load(produced("needs-database-production")[PATH])


def test_pull_requests_check_and_plan_and_pushes_apply_in_order_behind_environments() -> None:
    jobs = workflow()["jobs"]
    assert jobs["plan"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["plan"]["strategy"]["matrix"]["environment"] == ["development", "staging", "production"]
    assert [(name, job["environment"], job["needs"]) for name, job in jobs.items() if name.startswith("apply-")] == [
        ("apply-development", "development", ["check"]),
        ("apply-staging", "staging", ["check", "apply-development"]),
        ("apply-production", "production", ["check", "apply-staging"]),
    ]
    steps = " ".join(str(step.get("run", "")) for step in jobs["check"]["steps"])
    assert "terraform fmt -check" in steps and "validate" in steps and "make checkov ENV=production" in steps


def test_credentials_come_from_oidc_with_id_token_only_where_needed() -> None:
    data = workflow()
    assert data["permissions"] == {"contents": "read"}
    for name, job in data["jobs"].items():
        logins = [step for step in job["steps"] if "configure-aws-credentials" in str(step.get("uses"))]
        assert bool(logins) == (job.get("permissions", {}).get("id-token") == "write"), name
        assert all("secrets." not in str(step) for step in job["steps"])


def test_a_gitlab_repository_gets_an_included_gitlab_file_and_the_settings_to_make(tmp_path: Path) -> None:
    package = package_with_ci(tmp_path, ".gitlab-ci.yml", "test:\n  script: [pytest]\n")
    assert not any(path.startswith(".github/") for path in package["files"])
    assert ".gitlab/ci/infrastructure.yml" in package["files"]
    assert package["files"][".gitlab-ci.yml"].endswith("include:\n  - local: .gitlab/ci/infrastructure.yml\n")
    body = package["pull_request"]["body"]
    assert "`.gitlab/ci/infrastructure.yml` (GitLab CI/CD)" in body
    assert "Protected environments" in body and "`AWS_PLAN_ROLE_ARN`" in body


def test_a_repository_whose_ci_has_no_renderer_is_told_instead(tmp_path: Path) -> None:
    package = package_with_ci(tmp_path, ".travis.yml", "language: python\n")
    assert not any(path.startswith((".github/", ".gitlab", "Jenkinsfile")) for path in package["files"])
    assert "This repository's CI is `travis`" in package["pull_request"]["body"]


def test_a_jenkins_repository_asking_for_gcp_gets_a_jenkinsfile_federating_the_plugin_s_id_tokens(tmp_path: Path) -> None:
    package = package_with_ci(tmp_path, "Jenkinsfile", "pipeline { agent any\n stages { stage('t') { steps { sh 'pytest' } } } }\n",
                       cloud_provider="gcp")
    jenkinsfile = package["files"]["Jenkinsfile.infrastructure"]
    assert "dir('infra/gcp')" in jenkinsfile and "credentialsId: 'oidc-gcp-infra-production'" in jenkinsfile
    assert '"type":"external_account"' in jenkinsfile
    assert "Jenkinsfile" not in package["files"]  # the repository's own pipeline is left alone
    assert "`GCP_SERVICE_ACCOUNT_PRODUCTION`" in package["pull_request"]["body"]
