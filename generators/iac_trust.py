"""The OIDC trust of the CI's own Terraform: the repository's CI platform's issuer, audience and subjects, per cloud.

Issuers, subjects and audiences come from generators.ci.oidc_issuers, filled here with Terraform references; the
values only people know (an organization ID, a Jenkins URL) become variables whose descriptions say where to find
them. Every string here is fixed text or a Terraform reference: repository names reach only terraform.tfvars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from generators.ci import oidc_issuers as oidc


@dataclass(frozen=True)
class Variable:
    """A Terraform variable of the trust: its name, type and what to put in it."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Trust:
    """Who may use the CI identity: HCL expressions the cloud templates lay out."""

    variables: list[Variable]
    issuer: str  # HCL expression of the issuer URL
    subjects: str  # HCL map expression, credential key => exact subject ("" when only a prefix is known)
    subject_prefix: str  # HCL string: every subject of this project starts with it ("" when subjects are exact)
    audiences: list[str]  # HCL strings; empty: GCP's default audience (the pool provider's URL)
    bound: str  # the comment above the subject conditions: who gets in, who does not
    slug: str  # names the GCP pool provider and the Azure federated credentials


SLUGS = {"github_actions": "github", "gitlab_ci": "gitlab", "circleci": "circleci", "azure_devops": "azure-devops",
         "jenkins": "jenkins"}
_BRANCHES = Variable("deploy_branches", "list(string)", "Branches whose pipelines deploy and may use the CI identity.")
VARIABLES = {
    "github_actions": [
        Variable("github_repository", "string", "owner/name of the GitHub repository whose workflows may use the CI "
                                                "identity."),
        Variable("default_branch", "string", "Branch whose workflow runs may use the CI identity."),
        Variable("environments", "list(string)", "GitHub environments whose deployment jobs may use the CI identity."),
    ],
    "gitlab_ci": [
        Variable("gitlab_url", "string", "URL of the GitLab that runs the pipeline (its id_tokens issuer), without a "
                                         "trailing slash: https://gitlab.com or your self-managed instance."),
        Variable("gitlab_project_path", "string", "GROUP/PROJECT path of the GitLab project whose pipelines may use "
                                                  "the CI identity."),
        _BRANCHES,
    ],
    "circleci": [
        Variable("circleci_org_id", "string", "CircleCI organization ID (Organization Settings, Overview); the "
                                              "token issuer is https://oidc.circleci.com/org/ followed by it."),
        Variable("circleci_project_id", "string", "CircleCI project ID (Project Settings, Overview) whose jobs may "
                                                  "use the CI identity."),
    ],
    "azure_devops": [
        Variable("azure_devops_organization_id", "string", "Azure DevOps organization ID, a GUID: the issuer a workload "
                                                           "identity federation service connection shows is "
                                                           "https://vstoken.dev.azure.com/ followed by it."),
        Variable("azure_devops_organization", "string", "Azure DevOps organization name, as in dev.azure.com/NAME."),
        Variable("azure_devops_project", "string", "Azure DevOps project whose service connections may use the CI "
                                                   "identity."),
        Variable("service_connections", "list(string)", "Azure Resource Manager service connections (workload "
                                                        "identity federation) whose tokens may use the CI identity: "
                                                        "the deploy jobs' azure-ENVIRONMENT."),
    ],
    "jenkins": [
        Variable("jenkins_url", "string", "Root URL of Jenkins without a trailing slash; the OpenID Connect Provider "
                                          "plugin's issuer is this URL followed by /oidc."),
        Variable("jenkins_job_url", "string", "URL of the multibranch job that builds this repository, ending in a "
                                              "slash (https://jenkins.example.com/job/web/); a token's subject is its "
                                              "branch job's URL."),
        _BRANCHES,
    ],
}
# Entra ID matches subjects exactly, and CircleCI's names the user who started the pipeline.
CIRCLECI_USERS = Variable("circleci_user_ids", "list(string)", "IDs of the CircleCI users (User Settings) whose "
                                                               "pipelines may deploy: Entra ID matches subjects "
                                                               "exactly, and CircleCI's subject names the user.")
BOUND = {
    "github_actions": "Only this repository's default branch and its deployment environments, never forks or other "
                      "refs.",
    "gitlab_ci": "Only this project's deploying branches, never merge requests, tags or other branches.",
    "circleci": "Only this project's jobs: CircleCI's subject names the organization, the project and the user.",
    "azure_devops": "Only the deploy jobs' service connections of this project.",
    "jenkins": "Only the deploying branches' jobs of this multibranch job, never pull requests.",
}
# Terraform references the issuer and subject templates are filled with.
REFERENCES = {
    "github_actions": {"repository": "${var.github_repository}"},
    "gitlab_ci": {"gitlab_url": "${var.gitlab_url}", "project_path": "${var.gitlab_project_path}"},
    "circleci": {"org_id": "${var.circleci_org_id}", "project_id": "${var.circleci_project_id}"},
    "azure_devops": {"org_id": "${var.azure_devops_organization_id}", "organization": "${var.azure_devops_organization}",
                     "project": "${var.azure_devops_project}"},
    "jenkins": {"jenkins_url": "${var.jenkins_url}", "job_url": "${var.jenkins_job_url}"},
}
_ONLY_REFERENCE = re.compile(r"^\$\{([^${}]+)\}$")


def _string(template: str) -> str:
    """An HCL string template; a lone reference stays bare (var.gitlab_url, not "${var.gitlab_url}")."""
    assert '"' not in template and "\\" not in template, template  # fixed text only: nothing to escape
    only = _ONLY_REFERENCE.match(template)
    return only[1] if only else f'"{template}"'


def _loop(platform: str, kind: str, item: str, collection: str, key: str) -> str:
    value = oidc.subject(platform, kind, **REFERENCES[platform], **{kind: f"${{{item}}}"})
    return f"{{ for {item} in {collection} : {_string(key)} => {_string(value)} }}"


def _subjects(platform: str, cloud: str) -> tuple[str, str]:
    """(exact subjects as a map, subject prefix); one of them is empty."""
    refs = REFERENCES[platform]
    if platform == "github_actions":
        branch = _string(oidc.subject(platform, "branch", **refs, branch="${var.default_branch}"))
        envs = _loop(platform, "environment", "env", "var.environments", "environment-${env}")
        return f"merge({{ branch = {branch} }}, {envs})", ""
    if platform == "circleci":
        if cloud != "azure":
            return "", _string(oidc.subject(platform, "user", **refs, user=""))
        return _loop(platform, "user", "user", "var.circleci_user_ids", "user-${user}"), ""
    if platform == "azure_devops":
        return _loop(platform, "connection", "connection", "var.service_connections", "${connection}"), ""
    return _loop(platform, "branch", "branch", "var.deploy_branches", "branch-${branch}"), ""


def trust(platform: str, cloud: str) -> Trust:
    """The trust of the CI identity on the cloud for the platform's tokens."""
    refs = REFERENCES[platform]
    audience = oidc.audience(platform, cloud)
    subjects, prefix = _subjects(platform, cloud)
    variables = VARIABLES[platform] + ([CIRCLECI_USERS] if platform == "circleci" and cloud == "azure" else [])
    bound = BOUND[platform] + (" Entra ID matches subjects exactly, so each listed user gets a credential."
                               if platform == "circleci" and cloud == "azure" else "")
    return Trust(variables=variables, issuer=_string(oidc.issuer(platform, **refs)), subjects=subjects,
                 subject_prefix=prefix, audiences=[_string(audience.format(**refs))] if audience else [],
                 bound=bound, slug=SLUGS[platform])


def tfvars(platform: str, cloud: str, repository: str | None, default_branch: str, environments: list[str],
           branches: list[str]) -> list[tuple[str, Any]]:
    """terraform.tfvars values of the trust variables: None (and ["TODO"]) where only people know the value."""
    known: dict[str, Any] = {
        "github_repository": repository, "default_branch": default_branch, "environments": environments,
        "gitlab_url": "https://gitlab.com", "gitlab_project_path": repository, "deploy_branches": branches,
        "service_connections": [oidc.deploy_connection(env) for env in environments] or ["TODO"],
        "circleci_user_ids": ["TODO"],
    }
    return [(variable.name, known.get(variable.name)) for variable in trust(platform, cloud).variables]


def to_fill_in(platform: str, clouds: list[str]) -> list[Variable]:
    """The trust variables people must set in terraform.tfvars (the bot cannot know them), once each."""
    guessed = {"github_repository", "default_branch", "environments", "deploy_branches"}
    seen: dict[str, Variable] = {}
    for cloud in clouds:
        for variable in trust(platform, cloud).variables:
            if variable.name not in guessed:
                seen.setdefault(variable.name, variable)
    return list(seen.values())
