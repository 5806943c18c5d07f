"""The CloudFormation CI on GitLab CI/CD, CircleCI, Azure Pipelines and Jenkins: each platform's validators, golden files,
change sets only for review, deploys only from the default branch behind the platform's approval and in order,
the Terraform CI's OIDC credentials, the package's Make targets, and what the pull request says to configure.

`pytest --update-golden` rewrites tests/golden/infra-ci/<platform>-aws-cloudformation/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generators.infra import ci_cloudformation
from generators.infra.ci_credentials import PLATFORMS
from infra_support import CFN_ROOT
from infra_support import ROOT
from infra_support import golden_files
from infra_support import cfn_ci
from infra_support import package_with_ci
from tests.validators import check_azure_pipelines
from tests.validators import check_circleci
from tests.validators import check_gitlab_ci
from tests.validators import check_jenkinsfiles
from tests.validators import check_yaml
from tests.validators import write_files

GOLDEN = ROOT / "tests" / "golden" / "infra-ci"
CHECKS = {"gitlab_ci": check_gitlab_ci, "circleci": check_circleci, "azure_devops": check_azure_pipelines}
RENDERED = [*sorted(CHECKS), "jenkins"]  # Jenkinsfiles have their own validators
ENVIRONMENTS = ["development", "staging", "production"]
BRANCH = "trunk"  # not "main", so a hard-coded default branch shows
SETUP = "PULL_REQUEST_SECTION.md"
MAKEFILE = GOLDEN.parent / "infra" / "cloudformation-production" / "expected" / CFN_ROOT / "Makefile"


def loaded(platform: str) -> dict:
    [text] = cfn_ci(platform, branch=BRANCH).files.values()
    return YAML(typ="safe").load(text)


def produced(platform: str) -> dict[str, str]:
    ci = cfn_ci(platform)
    return {**ci.files, SETUP: ci.setup + "\n"}


@pytest.mark.validators
@pytest.mark.parametrize("platform", sorted(CHECKS))
def test_the_file_passes_the_platform_s_validators_and_yamllint(platform: str, tmp_path: Path) -> None:
    [path] = write_files(cfn_ci(platform).files, tmp_path)
    assert CHECKS[platform](path) + check_yaml([path]) == []


@pytest.mark.validators
def test_the_jenkinsfile_passes_groovy_lint_and_the_declarative_shape(tmp_path: Path) -> None:
    assert check_jenkinsfiles(write_files(cfn_ci("jenkins").files, tmp_path)) == []


@pytest.mark.parametrize("platform", RENDERED)
def test_the_files_match_the_golden_files(platform: str, update_golden: bool) -> None:
    files = produced(platform)
    root = GOLDEN / f"{platform}-aws-cloudformation"
    expected = golden_files(files, root, update_golden)
    assert files == expected
    assert produced(platform) == files  # identical on repeat


def test_gitlab_deploys_are_manual_jobs_on_their_environment_in_order_on_default_branch_pushes_only() -> None:
    jobs = loaded("gitlab_ci")
    deploys = {name: job for name, job in jobs.items() if name.startswith("infra-deploy-")}
    assert list(deploys) == [f"infra-deploy-{env}" for env in ENVIRONMENTS]
    assert [job["environment"]["name"] for job in deploys.values()] == ENVIRONMENTS
    assert [job["needs"] for job in deploys.values()] == [
        ["infra-check"], ["infra-check", "infra-deploy-development"], ["infra-check", "infra-deploy-staging"]]
    for name, job in deploys.items():
        [rule] = job["rules"]
        assert rule["when"] == "manual", name
        assert rule["if"] == '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', name
        assert job["allow_failure"] is False  # the next environment waits for this approval
        assert job["resource_group"] == f"cloudformation-{job['environment']['name']}"
        deploy = f'make deploy ENV={job["environment"]["name"]} ARTIFACT_BUCKET="$CFN_ARTIFACT_BUCKET"'
        assert job["script"][-1] == deploy
    change_set = jobs["infra-change-set"]
    assert [rule["if"] for rule in change_set["rules"]] == ['$CI_PIPELINE_SOURCE == "merge_request_event"']
    assert change_set["parallel"]["matrix"] == [{"ENVIRONMENT": ENVIRONMENTS}]
    assert "environment" not in change_set  # no protected environment's variables on a merge request
    assert change_set["script"][-1] == 'make change-set ENV="$ENVIRONMENT" ARTIFACT_BUCKET="$CFN_ARTIFACT_BUCKET"'


def test_circleci_deploys_wait_for_their_approval_job_in_order_on_the_default_branch_only() -> None:
    data = loaded("circleci")
    entries = {name: settings for entry in data["workflows"]["infrastructure"]["jobs"] if isinstance(entry, dict)
               for name, settings in entry.items()}
    only_default = {"branches": {"only": [BRANCH]}}
    for index, environment in enumerate(ENVIRONMENTS):
        deploy, approval = entries[f"infra-deploy-{environment}"], entries[f"approve-infra-{environment}"]
        assert approval["type"] == "approval"
        assert approval["requires"] == [f"infra-deploy-{ENVIRONMENTS[index - 1]}" if index else "infra-check"]
        assert deploy["requires"] == [f"approve-infra-{environment}"]
        assert deploy["filters"] == approval["filters"] == only_default
        assert deploy["context"] == [f"infra-{environment}"]  # restricted: only its group approves and runs it
    assert entries["infra-change-set"]["filters"] == {"branches": {"ignore": [BRANCH]}}
    assert entries["infra-change-set"]["context"] == ["infra-plan"]
    assert entries["infra-change-set"]["matrix"]["parameters"]["environment"] == ENVIRONMENTS


def test_azure_deploys_are_deployment_jobs_on_their_environment_in_order_for_default_branch_builds() -> None:
    data = loaded("azure_devops")
    stages = {stage["stage"]: stage for stage in data["stages"]}
    assert [name for name in stages] == ["checks", "change_set", *(f"deploy_{env}" for env in ENVIRONMENTS)]
    for index, environment in enumerate(ENVIRONMENTS):
        stage = stages[f"deploy_{environment}"]
        condition = " ".join(stage["condition"].split())
        assert f"eq(variables['Build.SourceBranch'], 'refs/heads/{BRANCH}')" in condition
        assert "not(eq(variables['Build.Reason'], 'PullRequest'))" in condition
        assert stage["dependsOn"] == [f"deploy_{ENVIRONMENTS[index - 1]}" if index else "checks"]
        [job] = stage["jobs"]
        assert job["deployment"] == "deploy" and job["environment"] == environment  # its checks gate the job
        [step] = [step for step in job["strategy"]["runOnce"]["deploy"]["steps"] if "task" in step]
        assert step["inputs"]["azureSubscription"] == f"infra-{environment}"
        assert step["inputs"]["inlineScript"].endswith(
            f'make deploy ENV={environment} ARTIFACT_BUCKET="$CFN_ARTIFACT_BUCKET"\n')
    review = stages["change_set"]
    assert "eq(variables['Build.Reason'], 'PullRequest')" in review["condition"]
    assert "deployment" not in review["jobs"][0]


def stages(text: str) -> dict[str, str]:
    """Each Jenkins stage's text up to the next stage's head (no stage nests inside a leaf stage)."""
    return dict(chunk.split("')", 1) for chunk in text.split("stage('")[1:])


def test_jenkins_deploys_each_environment_in_order_after_its_approvers_with_its_own_id_token() -> None:
    [text] = cfn_ci("jenkins", branch=BRANCH).files.values()
    found = stages(text)
    heads = [text.index(f"stage('Deploy {environment}')") for environment in ENVIRONMENTS]
    assert heads == sorted(heads)
    for environment in ENVIRONMENTS:
        body = found[f"Deploy {environment}"]
        assert re.search(rf"branch '{BRANCH}'\s+anyOf \{{\s+changeset '{CFN_ROOT}/\*\*'", body)
        assert f"submitter 'infra-{environment}-approvers'" in body and body.index("input {") < body.index("steps {")
        assert f"lock(resource: 'cloudformation-{environment}')" in body
        assert f"credentialsId: 'oidc-aws-infra-{environment}', variable: 'OIDC_TOKEN'" in body
        assert f'AWS_ROLE_ARN="$AWS_ROLE_ARN_{environment.upper()}"' in body
        assert f'make deploy ENV={environment} ARTIFACT_BUCKET="$CFN_ARTIFACT_BUCKET"' in body
        review = found[f"change set {environment}"]
        assert "credentialsId: 'oidc-aws-infra-plan', variable: 'OIDC_TOKEN'" in review
        assert re.search(r'AWS_ROLE_ARN="\$AWS_PLAN_ROLE_ARN".*make change-set ENV="\$ENVIRONMENT"', review)
        assert f"'ENVIRONMENT=' + '{environment}'" in review and "make deploy" not in review
    assert "changeRequest()" in found["Change sets"] and "credentialsId" not in found["cfn-lint and checkov"]


STATIC = re.compile(r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AKIA[0-9A-Z]{16}|secrets\.|credentialsId: '(?!oidc-)", re.I)
# One change-set job (a matrix; three stages on Jenkins) and three deploys, each assuming its role with the token.
FEDERATION = {"gitlab_ci": (r"id_tokens:", 4), "circleci": (r"CIRCLE_OIDC_TOKEN_V2", 4),
              "azure_devops": (r"addSpnToEnvironment: true", 4),
              "jenkins": (r"withCredentials\(\[string\(credentialsId: 'oidc-aws-infra-", 6)}


@pytest.mark.parametrize("platform", RENDERED)
def test_no_aws_key_appears_and_every_aws_call_exchanges_the_platform_s_oidc_token(platform: str) -> None:
    [text] = cfn_ci(platform).files.values()
    assert not STATIC.search(text)
    code = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(("#", "//")))
    pattern, count = FEDERATION[platform]
    assert len(re.findall(pattern, code)) == count
    assert len(re.findall(r"AWS_WEB_IDENTITY_TOKEN_FILE=", code)) == count


@pytest.mark.parametrize("platform", RENDERED)
def test_the_ci_runs_only_make_targets_the_package_s_makefile_has(platform: str) -> None:
    targets = set(re.findall(r"^([a-z-]+):", MAKEFILE.read_text(encoding="utf-8"), re.M))
    [text] = cfn_ci(platform).files.values()
    # A Jenkinsfile's scripts are one-line Groovy strings: a command may follow a literal "\n".
    used = set(re.findall(r"(?:^|\s|\\n)make ([a-z-]+)(?=\s|\\n|'|$)", text, re.M))
    assert used == {"lint", "checkov", "change-set", "deploy"} and used <= targets


def test_gitlab_s_configuration_gets_the_include_only_when_editing_it_is_safe() -> None:
    safe = cfn_ci("gitlab_ci", read=lambda path: "test:\n  script: [pytest]\n")
    included = YAML(typ="safe").load(safe.files[".gitlab-ci.yml"])["include"]
    assert included == [{"local": ".gitlab/ci/infrastructure.yml"}]
    assert "This pull request includes the file" in safe.setup
    unsafe = cfn_ci("gitlab_ci", read=lambda path: "include:\n  - local: a.yml\n")
    assert ".gitlab-ci.yml" not in unsafe.files and "which this pull request does not rewrite" in unsafe.setup


def test_the_pull_request_section_says_what_to_configure_on_each_platform() -> None:
    gitlab = cfn_ci("gitlab_ci").setup
    assert "Protected environments" in gitlab and "manual deploy job" in gitlab
    assert "`https://gitlab.com`" in gitlab and "ref_type:branch:ref:main` and the claim `environment`" in gitlab
    circle = cfn_ci("circleci").setup
    assert "`infra-production`" in circle and "security group" in circle and "change sets run on every" in circle
    assert "`infra-plan` context's ID" in circle and "(in the `infra-plan` context): `AWS_PLAN_ROLE_ARN`" in circle
    azure = cfn_ci("azure_devops").setup
    assert "Approvals check" in azure and "workload identity federation" in azure
    assert "`sc://<organization>/<project>/infra-<environment>`" in azure
    assert "(in its `infra-<environment>` variable group): `AWS_ROLE_ARN`" in azure
    jenkins = cfn_ci("jenkins").setup
    assert "`oidc-aws-infra-production` with" in jenkins and "`infra-production-approvers`" in jenkins
    assert "whose client IDs are the\n  credentials' audiences" in jenkins and "`<job>job/PR-*`" in jenkins
    assert "(global or folder properties): `AWS_ROLE_ARN_DEVELOPMENT` (the ARN of the IAM role the development deploy" \
        in jenkins
    for setup in (gitlab, circle, azure, jenkins):
        assert "`CFN_ARTIFACT_BUCKET`" in setup and "`make bootstrap`" in setup
        assert "change-set role trusting" in setup and "may create (not execute) change sets" in setup
        assert "TF_STATE_BUCKET" not in setup and "terraform" not in setup.lower()


def test_every_platform_gets_cloudformation_ci_and_ci_without_a_renderer_gets_a_note() -> None:
    assert set(ci_cloudformation.PLATFORMS) == set(PLATFORMS)
    travis = cfn_ci("travis", existing=".travis.yml")
    assert travis.files == {} and travis.platform is None
    assert "generated\nfor GitHub Actions, GitLab CI/CD, CircleCI, Azure Pipelines, Jenkins only" in travis.setup


def test_the_pipeline_gives_a_gitlab_repository_the_cloudformation_ci_and_the_include(tmp_path: Path) -> None:
    package = package_with_ci(tmp_path, ".gitlab-ci.yml", "test:\n  script: [pytest]\n", iac_tool="cloudformation")
    files = package["files"]
    assert not any(path.startswith(".github/") for path in files)
    assert "make change-set" in files[".gitlab/ci/infrastructure.yml"]
    assert files[".gitlab-ci.yml"].endswith("include:\n  - local: .gitlab/ci/infrastructure.yml\n")
    body = package["pull_request"]["body"]
    assert f"`.gitlab/ci/infrastructure.yml` (GitLab CI/CD) runs cfn-lint and checkov on `{CFN_ROOT}`" in body
    assert "This pull request includes the file" in body and "`CFN_ARTIFACT_BUCKET`" in body


def test_the_pipeline_gives_a_jenkins_repository_the_cloudformation_jenkinsfile_beside_its_own(tmp_path: Path) -> None:
    package = package_with_ci(tmp_path, "Jenkinsfile", "pipeline { agent any\n stages { stage('t') { steps { sh 'pytest' } } } }\n",
                              iac_tool="cloudformation")
    files = package["files"]
    assert "Jenkinsfile" not in files and not any(path.startswith(".github/") for path in files)
    assert "make change-set" in files["Jenkinsfile.infrastructure"]
    body = package["pull_request"]["body"]
    assert f"`Jenkinsfile.infrastructure` (Jenkins) runs cfn-lint and checkov on `{CFN_ROOT}`" in body
    assert "`oidc-aws-infra-plan`" in body and "`CFN_ARTIFACT_BUCKET`" in body
