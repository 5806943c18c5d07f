"""The CI platforms the bot renders for: adding one is one import and one entry in RENDERERS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Callable

from generators.ci import azure
from generators.ci import circleci
from generators.ci import gitlab
from generators.ci import jenkins
from generators.ci.package import github_actions_files

# (design, build, test, security | None, deployment | None) -> {"files", "jobs", "variables", "secrets", "notes"}
RenderFiles = Callable[
    [dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any] | None, dict[str, Any] | None], dict[str, Any]
]


@dataclass(frozen=True)
class Platform:
    """A renderer with the name people know the platform by and where its configuration file lives."""

    label: str  # "GitLab CI/CD"
    config_path: str  # the file the platform reads
    alternate_path: str  # used when the repository already has config_path, so nothing is overwritten silently
    render: RenderFiles

    def __call__(self, *args: Any) -> dict[str, Any]:
        """Render the platform's files: see RenderFiles."""
        return self.render(*args)


RENDERERS: dict[str, Platform] = {
    "github_actions": Platform("GitHub Actions", ".github/workflows/ci.yml", ".github/workflows/devops-bot-ci.yml",
                               github_actions_files),
    "gitlab_ci": Platform("GitLab CI/CD", gitlab.CONFIG_PATH, gitlab.ALTERNATE_PATH, gitlab.gitlab_ci_files),
    "circleci": Platform("CircleCI", circleci.CONFIG_PATH, circleci.ALTERNATE_PATH, circleci.circleci_files),
    "azure_devops": Platform("Azure Pipelines", azure.CONFIG_PATH, azure.ALTERNATE_PATH, azure.azure_pipelines_files),
    "jenkins": Platform("Jenkins", jenkins.CONFIG_PATH, jenkins.ALTERNATE_PATH, jenkins.jenkins_files),
}


def available_platforms() -> list[str]:
    """Platform names with a renderer, sorted."""
    return sorted(RENDERERS)
