"""The infrastructure CI for the repository's own CI platform, and what people must configure for it.

The platform is the one the repository already uses, GitHub Actions first (the order of generators.ci.platforms);
a repository without CI gets GitHub Actions, and one whose only CI has no renderer gets none and a note instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Callable

from bot.templating import render
from generators.ci import oidc_issuers as oidc
from generators.ci.oidc_issuers import LABELS
from generators.infra import ci_azure
from generators.infra import ci_circleci
from generators.infra import ci_gitlab
from generators.infra import ci_jenkins
from generators.infra import workflow
from generators.infra.ci_credentials import MEANINGS
from generators.infra.ci_credentials import PLATFORMS
from generators.infra.ci_credentials import TITLES
from generators.infra.ci_credentials import jenkins_credentials
from generators.infra.ci_credentials import login
from generators.infra.model import InfraDesign



def _code(text: str) -> str:
    return f"`{text}`"


def _subject(platform: str, kind: str, **fields: str) -> str:
    return f"the subject {_code(oidc.subject(platform, kind, **fields))}"


# Who issues each platform's OIDC tokens, and the subject an apply's and a plan's token carries ({branch}: the
# default branch); issuers and subjects come from generators.ci.oidc_issuers, with placeholders.
ISSUERS = {
    "github_actions": (_code(oidc.issuer("github_actions")),
                       _subject("github_actions", "environment", repository="OWNER/REPO", environment="<environment>"),
                       _subject("github_actions", "pull_request", repository="OWNER/REPO")),
    "gitlab_ci": (f"{_code(oidc.issuer('gitlab_ci', gitlab_url='https://gitlab.com'))} (or your GitLab's URL)",
                  f"{_subject('gitlab_ci', 'branch', project_path='GROUP/PROJECT', branch='{branch}')} and the claim "
                  "`environment` = `<environment>`",
                  f"{_subject('gitlab_ci', 'branch', project_path='GROUP/PROJECT', branch='*')} (merge request branches)"),
    "circleci": (f"{_code(oidc.issuer('circleci', org_id='<organization ID>'))} (audience: the organization ID)",
                 "the claim `oidc.circleci.com/context-ids` holding the `infra-<environment>` context's ID",
                 "the claim `oidc.circleci.com/context-ids` holding the `infra-plan` context's ID"),
    "azure_devops": (f"{_code(oidc.issuer('azure_devops', org_id='<organization ID>'))} "
                     f"(audience: {_code(str(oidc.audience('azure_devops', 'azure')))})",
                     _subject("azure_devops", "connection", organization="<organization>", project="<project>",
                              connection="infra-<environment>"),
                     _subject("azure_devops", "connection", organization="<organization>", project="<project>",
                              connection="infra-plan")),
    # The OpenID Connect Provider plugin: `sub` is the build's job URL; each credential sets its own audience.
    "jenkins": (_code(oidc.issuer("jenkins", jenkins_url="https://<your Jenkins>")),
                f"{_subject('jenkins', 'branch', job_url='<job>', branch='{branch}')} and the audience "
                "`infra-<environment>`",
                "the subjects `<job>job/PR-*` (`StringLike`, pull request jobs) and the audience `infra-plan`"),
}


@dataclass(frozen=True)
class InfraCI:
    """The CI files for one platform and the pull request's section on them."""

    platform: str | None  # None: the repository's CI has no renderer here
    files: dict[str, str]
    setup: str  # markdown: what runs, and what people must configure


def choose_platform(existing_ci: list[tuple[str, str]]) -> str | None:
    """The platform of the repository's existing CI ((platform, file) pairs), GitHub Actions when there is none."""
    found = {platform for platform, _ in existing_ci}
    if not found:
        return "github_actions"
    return next((platform for platform in PLATFORMS if platform in found), None)


def _files(design: InfraDesign, platform: str, cloud: str, root: str, branch: str,
           existing: set[str]) -> dict[str, str]:
    environments = [env.name for env in design.environments]
    if platform == "github_actions":
        path = workflow.ALTERNATE_PATH if workflow.PATH in existing else workflow.PATH
        return workflow.infrastructure_workflow(design, root, branch, path, cloud=cloud)
    if platform == "gitlab_ci":
        return ci_gitlab.infrastructure_ci(environments, cloud=cloud, root=root, region=design.region)
    renderer: Any = {"circleci": ci_circleci, "azure_devops": ci_azure, "jenkins": ci_jenkins}[platform]
    return renderer.infrastructure_ci(environments, cloud=cloud, root=root, region=design.region,
                                      default_branch=branch)


def _meaning(name: str, environments: list[str], meanings: dict[str, str]) -> str:
    """What a variable holds; Jenkins names one variable per environment (AWS_ROLE_ARN_PRODUCTION)."""
    for env in environments:
        if name.endswith(f"_{env.upper()}") and name.removesuffix(f"_{env.upper()}") in meanings:
            return meanings[name.removesuffix(f"_{env.upper()}")].replace("the environment's", f"the {env}")
    return meanings[name]


def platform_variables(cloud: str, platform: str, environments: list[str], region: str,
                       meanings: dict[str, str] = MEANINGS) -> dict[str, list[tuple[str, str]]]:
    """Per scope ("apply", "plan", "shared"): the (variable, meaning) pairs people must set, from the logins."""
    plan = login(cloud, platform, plan=True, environment="", region=region).variables
    applies = [login(cloud, platform, plan=False, environment=env, region=region).variables for env in environments]
    apply = list(dict.fromkeys(name for names in applies for name in names))
    shared = [name for name in apply if name in plan]
    return {scope: [(name, _meaning(name, environments, meanings)) for name in names
                    if name not in shared or scope == "shared"]
            for scope, names in (("apply", apply), ("plan", list(plan)), ("shared", shared))}


def gitlab_include(existing_ci: list[tuple[str, str]], read: Callable[[str], str | None]) -> tuple[dict[str, str], str]:
    """The repository's GitLab configuration with the include added, when that is safe; else why not."""
    config = next(file for platform, file in existing_ci if platform == "gitlab_ci")
    text = read(config)
    if text is None:
        return {}, f"`{config}` could not be read, so it was left alone"
    edited, reason = ci_gitlab.include_in(text)
    return ({config: edited}, "") if edited is not None else ({}, reason)


def infrastructure_ci(design: InfraDesign, *, cloud: str, root: str, existing_ci: list[tuple[str, str]],
                      default_branch: str, read: Callable[[str], str | None] = lambda path: None) -> InfraCI:
    """The CI files for the repository's platform and the pull request section that explains them.

    `read` gives the text of a repository file (None when missing): GitLab's configuration gets the include.
    """
    platform = choose_platform(existing_ci)
    others = sorted({name for name, _ in existing_ci})
    if platform is None:
        text = render("infra/ci/setup.md.j2", platform=None, others=others, labels=LABELS)
        return InfraCI(None, {}, text.strip())
    files = _files(design, platform, cloud, root, default_branch, {file for _, file in existing_ci})
    included, not_included = {}, ""
    if platform == "gitlab_ci":
        included, not_included = gitlab_include(existing_ci, read)
    environments = [env.name for env in design.environments]
    issuer = ISSUERS.get(platform)
    text = render("infra/ci/setup.md.j2", platform=platform, label=LABELS[platform], path=next(iter(files)),
                  root=root, cloud=cloud, cloud_title=TITLES[cloud], environments=environments,
                  region=design.region, branch=default_branch, others=others, labels=LABELS,
                  issuer=issuer[0] if issuer else None,
                  apply_subject=issuer[1].format(branch=default_branch) if issuer else None,
                  plan_subject=issuer[2] if issuer else None,
                  variables=platform_variables(cloud, platform, environments, design.region),
                  included=bool(included), credentials=jenkins_credentials(cloud, environments),
                  not_included=not_included, review="plans", deploy="apply", tool="Terraform",
                  agents=(ci_jenkins.LABEL, ci_jenkins.AGENT_TOOLS))
    return InfraCI(platform, {**files, **included}, text.strip())
