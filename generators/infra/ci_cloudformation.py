"""CI for the CloudFormation package on the repository's own CI platform, and the pull request's section on it.

Every platform runs the same thing: cfn-lint and checkov on pull requests (merge requests, branches), a change set
per environment to review, and on the default branch a deploy per environment in order, each behind the platform's
approval, with the Terraform infra CI's OIDC credentials (ci_credentials.login). One module per platform renders
it (RENDERERS); a platform without one gets a note instead.
"""

from __future__ import annotations

from typing import Callable

from bot.templating import render
from generators.infra import ci_cfn_azure
from generators.infra import ci_cfn_circleci
from generators.infra import ci_cfn_github
from generators.infra import ci_cfn_gitlab
from generators.infra import ci_cfn_jenkins
from generators.infra import ci_cfn_jobs
from generators.infra import workflow
from generators.infra.ci import ISSUERS
from generators.infra.ci import LABELS
from generators.infra.ci import InfraCI
from generators.infra.ci import choose_platform
from generators.infra.ci import gitlab_include
from generators.infra.ci import platform_variables
from generators.infra.ci_credentials import MEANINGS as CREDENTIAL_MEANINGS
from generators.infra.ci_credentials import STATE
from generators.infra.ci_credentials import jenkins_credentials
from generators.infra.model import InfraDesign

Renderer = Callable[..., dict[str, str]]  # (environments, *, root, region, default_branch) -> {path: text}
RENDERERS: dict[str, Renderer] = {
    "gitlab_ci": ci_cfn_gitlab.cloudformation_ci,
    "circleci": ci_cfn_circleci.cloudformation_ci,
    "azure_devops": ci_cfn_azure.cloudformation_ci,
    "jenkins": ci_cfn_jenkins.cloudformation_ci,
}
PLATFORMS = ("github_actions", *RENDERERS)  # GitHub's workflow also needs the repository's existing files
# What the Terraform CI's variables become: no state bucket, but the artifact bucket and a change-set role.
MEANINGS = {"AWS_ROLE_ARN": ci_cfn_jobs.DEPLOY_ROLE_MEANING, "AWS_PLAN_ROLE_ARN": ci_cfn_jobs.CHANGE_SET_ROLE_MEANING}
RENAMED = {STATE["aws"][1]: (ci_cfn_jobs.ARTIFACT_BUCKET, ci_cfn_jobs.ARTIFACT_BUCKET_MEANING)}


def _files(design: InfraDesign, platform: str, root: str, branch: str, existing: set[str]) -> dict[str, str]:
    if platform == "github_actions":
        path = workflow.ALTERNATE_PATH if workflow.PATH in existing else workflow.PATH
        return ci_cfn_github.cloudformation_workflow(design, root, branch, path)
    environments = [env.name for env in design.environments]
    return RENDERERS[platform](environments, root=root, region=design.region, default_branch=branch)


def _variables(platform: str, environments: list[str], region: str) -> dict[str, list[tuple[str, str]]]:
    """The Terraform CI's variables of the platform, per scope, with the CloudFormation names and meanings."""
    pairs = platform_variables("aws", platform, environments, region, {**CREDENTIAL_MEANINGS, **MEANINGS})
    return {scope: [RENAMED.get(name, (name, meaning)) for name, meaning in named] for scope, named in pairs.items()}


def cloudformation_ci(design: InfraDesign, *, root: str, existing_ci: list[tuple[str, str]], default_branch: str,
                      read: Callable[[str], str | None] = lambda path: None) -> InfraCI:
    """The CI files for the repository's platform (a note when it has no renderer) and the PR's CI section.

    `read` gives the text of a repository file (None when missing): GitLab's configuration gets the include.
    """
    platform = choose_platform(existing_ci)
    others = sorted({name for name, _ in existing_ci})
    labels = [LABELS[name] for name in PLATFORMS]
    if platform not in PLATFORMS:
        text = render("infra/aws_cfn/ci_setup.md.j2", platform=None, others=others, root=root, labels=labels)
        return InfraCI(None, {}, text.strip())
    files = _files(design, platform, root, default_branch, {file for _, file in existing_ci})
    included, not_included = gitlab_include(existing_ci, read) if platform == "gitlab_ci" else ({}, "")
    environments = [env.name for env in design.environments]
    issuer, apply_subject, plan_subject = ISSUERS[platform]
    text = render("infra/aws_cfn/ci_setup.md.j2", platform=platform, label=LABELS[platform], path=next(iter(files)),
                  root=root, branch=default_branch, environments=environments, region=design.region,
                  others=others, issuer=issuer, apply_subject=apply_subject.format(branch=default_branch),
                  plan_subject=plan_subject, variables=_variables(platform, environments, design.region),
                  included=bool(included), not_included=not_included, review="change sets", deploy="deploy",
                  tool="CloudFormation", agents=(ci_cfn_jenkins.LABEL, ci_cfn_jenkins.AGENT_TOOLS),
                  credentials=jenkins_credentials("aws", environments))
    return InfraCI(platform, {**files, **included}, text.strip())
