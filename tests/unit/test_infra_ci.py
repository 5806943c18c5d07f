"""The infrastructure CI on every platform: applies only from the default branch and only after the platform's
approval, OIDC (on Jenkins, the OpenID Connect Provider plugin's id tokens) and never a stored key, the platform of
the repository."""

from __future__ import annotations

import re

import pytest
from ruamel.yaml import YAML

from generators.infra.ci import choose_platform
from generators.infra.ci_credentials import LOGINS
from generators.infra.ci_gitlab import include_in
from infra_support import CI_FILES
from infra_support import infra_ci

CLOUDS = ["aws", "gcp", "azure"]
ENVIRONMENTS = ["development", "staging", "production"]
BRANCH = "trunk"  # not "main", so a hard-coded default branch shows


def loaded(platform: str, cloud: str) -> dict:
    [text] = infra_ci(platform, cloud, branch=BRANCH).files.values()
    return YAML(typ="safe").load(text)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_github_applies_on_pushes_to_the_default_branch_behind_each_environment_in_order(cloud: str) -> None:
    data = loaded("github_actions", cloud)
    assert data["on"]["push"]["branches"] == [BRANCH]
    applies = [(name, job) for name, job in data["jobs"].items() if name.startswith("apply-")]
    assert [job["environment"] for _, job in applies] == ENVIRONMENTS
    assert all(job["if"] == "github.event_name == 'push'" for _, job in applies)
    assert [job["needs"][-1] for _, job in applies] == ["check", "apply-development", "apply-staging"]
    assert data["jobs"]["plan"]["if"] == "github.event_name == 'pull_request'"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_gitlab_applies_are_manual_jobs_on_their_environment_on_default_branch_pushes_only(cloud: str) -> None:
    jobs = loaded("gitlab_ci", cloud)
    applies = {name: job for name, job in jobs.items() if name.startswith("infra-apply-")}
    assert [job["environment"]["name"] for job in applies.values()] == ENVIRONMENTS
    for name, job in applies.items():
        assert [rule["when"] for rule in job["rules"]] == ["manual"], name
        assert all("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule["if"] and "push" in rule["if"]
                   for rule in job["rules"]), name
        assert job["allow_failure"] is False  # the next environment waits for this approval
        assert job["id_tokens"]["CLOUD_OIDC_TOKEN"]["aud"]
    assert applies["infra-apply-production"]["needs"][-1] == "infra-apply-staging"
    assert [rule["if"] for rule in jobs["infra-plan"]["rules"]] == ['$CI_PIPELINE_SOURCE == "merge_request_event"']


@pytest.mark.parametrize("cloud", CLOUDS)
def test_circleci_applies_require_their_approval_job_on_the_default_branch_only(cloud: str) -> None:
    data = loaded("circleci", cloud)
    entries = {name: settings for entry in data["workflows"]["infrastructure"]["jobs"] if isinstance(entry, dict)
               for name, settings in entry.items()}
    for index, environment in enumerate(ENVIRONMENTS):
        apply, approval = entries[f"infra-apply-{environment}"], entries[f"approve-infra-{environment}"]
        assert approval["type"] == "approval"
        assert apply["requires"] == [f"approve-infra-{environment}"]
        assert apply["filters"] == approval["filters"] == {"branches": {"only": [BRANCH]}}
        assert apply["context"] == [f"infra-{environment}"]
        if index:
            assert approval["requires"] == [f"infra-apply-{ENVIRONMENTS[index - 1]}"]
    assert entries["infra-plan"]["filters"] == {"branches": {"ignore": [BRANCH]}}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_azure_applies_are_deployment_jobs_on_their_environment_for_default_branch_builds(cloud: str) -> None:
    data = loaded("azure_devops", cloud)
    stages = {stage["stage"]: stage for stage in data["stages"]}
    for index, environment in enumerate(ENVIRONMENTS):
        stage = stages[f"apply_{environment}"]
        condition = " ".join(stage["condition"].split())
        assert f"eq(variables['Build.SourceBranch'], 'refs/heads/{BRANCH}')" in condition
        assert "not(eq(variables['Build.Reason'], 'PullRequest'))" in condition
        [job] = stage["jobs"]
        assert job["environment"] == environment  # its approvals and checks gate the job
        assert "deployment" in job
        assert stage["dependsOn"] == [f"apply_{ENVIRONMENTS[index - 1]}" if index else "checks"]
        [cloud_step] = [step for step in job["strategy"]["runOnce"]["deploy"]["steps"] if "task" in step]
        assert cloud_step["inputs"]["azureSubscription"] == f"infra-{environment}"
    assert "PullRequest" in stages["plan"]["condition"]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_jenkins_applies_run_on_the_default_branch_after_an_input_only_its_submitters_approve(cloud: str) -> None:
    [text] = infra_ci("jenkins", cloud, branch=BRANCH).files.values()
    for environment in ENVIRONMENTS:
        head = f"stage('Apply {environment}')"
        start = text.index(head)
        body = text[start:text.index("\n        }\n", start)]
        assert re.search(r"when \{\s+beforeAgent true\s+beforeInput true\s+branch 'trunk'\s+anyOf \{\s+"
                         rf"changeset 'infra/{cloud}/\*\*'\s+changeset 'Jenkinsfile.infrastructure'\s+\}}\s+\}}", body)
        assert f"submitter 'infra-{environment}-approvers'" in body
        assert body.index("input {") < body.index("steps {")


@pytest.mark.parametrize("cloud", CLOUDS)
def test_jenkins_binds_the_plan_s_id_token_to_plans_and_each_environment_s_to_its_apply_only(cloud: str) -> None:
    [text] = infra_ci("jenkins", cloud, branch=BRANCH).files.values()
    identity = {"aws": "AWS_ROLE_ARN", "gcp": "GCP_SERVICE_ACCOUNT", "azure": "AZURE_CLIENT_ID"}[cloud]
    plan_identity = identity.replace("_", "_PLAN_", 1)
    # Each stage's text runs to the next stage's head (the Jenkinsfile nests no stage inside a leaf stage).
    stages = dict(chunk.split("')", 1) for chunk in text.split("stage('")[1:])
    bound = {name: re.findall(r"credentialsId: '([^']+)', variable: 'OIDC_TOKEN'", body) for name, body in stages.items()}
    assert bound["fmt and validate"] == bound["checkov"] == []
    for environment in ENVIRONMENTS:
        assert bound[f"plan {environment}"] == [f"oidc-{cloud}-infra-plan"]
        assert bound[f"Apply {environment}"] == [f"oidc-{cloud}-infra-{environment}"]
        apply = stages[f"Apply {environment}"]
        assert re.search(rf"\$\{{?{identity}_{environment.upper()}\b", apply)
        assert "OIDC_TOKEN" in apply.split("make init")[0]  # the exchange comes first, in the same shell
        assert re.search(rf"\$\{{?{plan_identity}\b", stages[f"plan {environment}"])


def test_each_cloud_and_platform_has_its_own_credentials_function() -> None:
    assert len(LOGINS) == 15
    assert len({function.__name__ for function in LOGINS.values()}) == 15


STATIC = re.compile(r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|ARM_CLIENT_SECRET|ARM_CLIENT_CERTIFICATE|"
                    r"GOOGLE_CREDENTIALS|private_key|client_secret|AKIA[0-9A-Z]{16}|secrets\.|credentialsId: '(?!oidc-)", re.I)
FEDERATION = {"github_actions": r"id-token: write", "gitlab_ci": r"id_tokens:", "circleci": r"CIRCLE_OIDC_TOKEN_V2|oidc get",
              "azure_devops": r"addSpnToEnvironment: true", "jenkins": r"withCredentials\(\[string\(credentialsId: 'oidc-"}


@pytest.mark.parametrize("platform", list(CI_FILES))
@pytest.mark.parametrize("cloud", CLOUDS)
def test_no_static_credential_appears_and_every_cloud_call_is_federated(platform: str, cloud: str) -> None:
    [text] = infra_ci(platform, cloud).files.values()
    assert not STATIC.search(text)
    code = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(("#", "//")))
    # One plan job (a matrix) and three applies; Jenkins has a plan stage per environment.
    assert len(re.findall(FEDERATION[platform], code)) == (6 if platform == "jenkins" else 4)


def test_the_platform_is_the_repository_s_own_github_first_and_none_for_platforms_without_a_renderer() -> None:
    assert choose_platform([]) == "github_actions"
    assert choose_platform([("jenkins", "Jenkinsfile"), ("github_actions", ".github/workflows/a.yml")]) == \
        "github_actions"
    assert choose_platform([("jenkins", "Jenkinsfile"), ("gitlab_ci", ".gitlab-ci.yml")]) == "gitlab_ci"
    assert choose_platform([("azure_devops", "azure-pipelines.yml"), ("circleci", ".circleci/config.yml")]) == \
        "circleci"
    assert choose_platform([("travis", ".travis.yml")]) is None


def test_an_existing_workflow_named_like_ours_is_not_overwritten() -> None:
    from generators.infra.workflow import ALTERNATE_PATH
    from generators.infra.workflow import PATH

    assert list(infra_ci("github_actions", "aws").files) == [PATH]
    assert list(infra_ci("github_actions", "aws", existing=PATH).files) == [ALTERNATE_PATH]


def test_gitlab_s_configuration_gets_the_include_only_when_editing_it_is_safe() -> None:
    edited, reason = include_in("stages: [build, test, deploy]\nbuild:\n  script: [make]")
    assert reason == "" and edited is not None
    assert YAML(typ="safe").load(edited)["include"] == [{"local": ".gitlab/ci/infrastructure.yml"}]
    assert edited.startswith("stages: [build, test, deploy]\nbuild:\n  script: [make]\n")  # the rest is untouched
    assert include_in("include:\n  - local: a.yml\n")[0] is None
    assert "lack `test` or `deploy`" in include_in("stages: [build]\n")[1]
    assert "did not parse" in include_in("a: [\n")[1]
    assert include_in("- a\n")[0] is None


def test_the_pull_request_section_says_what_to_configure_on_the_platform() -> None:
    gitlab = infra_ci("gitlab_ci", "gcp", read=lambda path: "test:\n  script: [pytest]\n")
    assert ".gitlab-ci.yml" in gitlab.files and "This pull request includes the file" in gitlab.setup
    assert "`GCP_SERVICE_ACCOUNT`" in gitlab.setup and "Protected environments" in gitlab.setup
    circle = infra_ci("circleci", "azure").setup
    assert "`infra-production`" in circle and "`AZURE_CLIENT_ID`" in circle and "security group" in circle
    azure = infra_ci("azure_devops", "azure").setup
    assert "workload identity federation" in azure and "`AZURE_CLIENT_ID`" not in azure
    jenkins = infra_ci("jenkins", "aws").setup
    assert "`AWS_ROLE_ARN_PRODUCTION`" in jenkins and "`infra-production-approvers`" in jenkins
    assert "`oidc-aws-infra-production` with" in jenkins and "`https://<your Jenkins>/oidc`" in jenkins
    assert "the subject `<job>job/main/` and the audience `infra-<environment>`" in jenkins
