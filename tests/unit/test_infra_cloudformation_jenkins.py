"""The CloudFormation package's CI on Jenkins: checks and change sets on pull requests, approved deploys in order,
every AWS call on an OpenID Connect Provider id token. `pytest --update-golden` rewrites
tests/golden/infra-ci/cloudformation-jenkins/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generators.infra.ci_cloudformation_jenkins import PATH
from generators.infra.ci_cloudformation_jenkins import cloudformation_jenkinsfile
from generators.infra.ci_cloudformation_jenkins import setup
from infra_support import ROOT
from tests.validators import check_jenkinsfiles
from tests.validators import write_files

ENVIRONMENTS = ["development", "staging", "production"]
PACKAGE = "infra/aws-cloudformation"
GOLDEN = ROOT / "tests" / "golden" / "infra-ci" / "cloudformation-jenkins"


def jenkinsfile(branch: str = "main") -> str:
    return cloudformation_jenkinsfile(ENVIRONMENTS, root=PACKAGE, region="eu-west-1", default_branch=branch)[PATH]


def stages(text: str) -> dict[str, str]:
    """Each stage's text up to the next stage's head (no stage nests inside a leaf stage)."""
    return dict(chunk.split("')", 1) for chunk in text.split("stage('")[1:])


def test_pull_requests_lint_then_create_a_change_set_per_environment_with_the_change_set_identity() -> None:
    found = stages(jenkinsfile())
    assert "make lint" in found["cfn-lint and checkov"] and "make checkov" in found["cfn-lint and checkov"]
    assert "credentialsId" not in found["cfn-lint and checkov"]
    assert "changeRequest()" in found["Change sets"]
    for environment in ENVIRONMENTS:
        body = found[f"change set {environment}"]
        assert "credentialsId: 'oidc-aws-infra-plan', variable: 'OIDC_TOKEN'" in body
        assert f"'ENVIRONMENT=' + '{environment}'" in body
        assert re.search(r'AWS_ROLE_ARN="\$AWS_PLAN_ROLE_ARN".*make change-set ENV="\$ENVIRONMENT"', body)
        assert "make deploy" not in body


def test_the_default_branch_deploys_each_environment_in_order_after_its_approvers_only() -> None:
    text = jenkinsfile(branch="trunk")
    found = stages(text)
    heads = [text.index(f"stage('Deploy {environment}')") for environment in ENVIRONMENTS]
    assert heads == sorted(heads)
    for environment in ENVIRONMENTS:
        body = found[f"Deploy {environment}"]
        assert re.search(r"branch 'trunk'\s+anyOf \{\s+changeset 'infra/aws-cloudformation/\*\*'", body)
        assert f"submitter 'infra-{environment}-approvers'" in body and body.index("input {") < body.index("steps {")
        assert f"lock(resource: 'cloudformation-{environment}')" in body
        assert f"credentialsId: 'oidc-aws-infra-{environment}'" in body
        assert f'AWS_ROLE_ARN="$AWS_ROLE_ARN_{environment.upper()}"' in body
        assert f'make deploy ENV={environment} ARTIFACT_BUCKET="$CFN_ARTIFACT_BUCKET"' in body


@pytest.mark.validators
def test_the_jenkinsfile_passes_groovy_lint_and_the_declarative_shape(tmp_path: Path) -> None:
    assert check_jenkinsfiles(write_files({PATH: jenkinsfile()}, tmp_path)) == []


def produced() -> dict[str, str]:
    section = setup(ENVIRONMENTS, root=PACKAGE, region="eu-west-1", default_branch="main", others=["jenkins"])
    return {PATH: jenkinsfile(), "PULL_REQUEST_SECTION.md": section + "\n"}


def test_the_pull_request_section_names_every_credential_property_and_trust_to_configure() -> None:
    section = produced()["PULL_REQUEST_SECTION.md"]
    for name in ["oidc-aws-infra-plan", "AWS_PLAN_ROLE_ARN", "CFN_ARTIFACT_BUCKET", "`cloudformation`",
                 *(f"oidc-aws-infra-{env}`" for env in ENVIRONMENTS),
                 *(f"`AWS_ROLE_ARN_{env.upper()}`" for env in ENVIRONMENTS),
                 *(f"`infra-{env}-approvers`" for env in ENVIRONMENTS)]:
        assert name in section, name
    assert "the subject `<job>job/main/` and the audience `infra-<environment>`" in section
    assert "`https://<your Jenkins>/oidc`" in section and "create (not execute) change sets" in section


def test_the_files_match_their_golden_files_and_are_stable(update_golden: bool) -> None:
    files = produced()
    if update_golden:
        write_files(files, GOLDEN)
    assert files == {name: (GOLDEN / name).read_text(encoding="utf-8") for name in files} == produced()
