"""Manual settings a person makes on GitLab and CircleCI for the generated pipeline (Markdown, names escaped)."""

from __future__ import annotations

from typing import Any

from bot.templating import markdown_code
from generators.ci.settings_azure_jenkins import azure_settings
from generators.ci.settings_azure_jenkins import jenkins_settings


def gitlab_settings(design: dict[str, Any], deployment: dict[str, Any]) -> list[str]:
    """Protected branches, environments and CI/CD variables on GitLab."""
    branch = markdown_code(design["default_branch"])
    settings = [
        f"Protect {branch} (Settings → Repository → Protected branches) and require a successful pipeline before "
        "merging (Settings → Merge requests → Pipelines must succeed).",
        "Settings → CI/CD → General pipelines: keep `Auto-cancel redundant pipelines` on; jobs are interruptible "
        "except publishing and deploys.",
        "Enable the container registry (Settings → General → Visibility): images are pushed to "
        "`$CI_REGISTRY_IMAGE/<unit>` with the job token.",
    ]
    if design["workflow_path"] != ".gitlab-ci.yml":
        settings.append(f"The repository already has `.gitlab-ci.yml`; this pipeline is "
                        f"{markdown_code(design['workflow_path'])}. Point Settings → CI/CD → General pipelines → "
                        "CI/CD configuration file at it, or merge it into `.gitlab-ci.yml`.")
    for env in deployment.get("environments", []):
        name = markdown_code(env["environment"])
        settings.append(f"Add CI/CD variables for environment scope {name} (Settings → CI/CD → Variables): "
                        "`KUBE_CONFIG` as a masked, protected variable of type File, `K8S_NAMESPACE` and `HEALTH_URL`.")
        if env["environment"] == "production":
            settings.append("Protect the `production` environment (Settings → CI/CD → Protected environments) with "
                            "the people allowed to deploy: its deploy job is manual and only they can start it.")
    return settings


def circleci_settings(design: dict[str, Any], deployment: dict[str, Any]) -> list[str]:
    """Project settings and contexts on CircleCI."""
    branch = markdown_code(design["default_branch"])
    settings = [
        f"Follow the project in CircleCI and protect {branch} on the code host, requiring the CircleCI checks.",
        "Project Settings → Advanced: turn on `Auto-cancel redundant workflows` and `Only build pull requests`.",
        "Create the `container-registry` context with `REGISTRY`, `REGISTRY_USER` and `REGISTRY_PASSWORD` for "
        "pushing images.",
    ]
    if design["path_filters"] and design["workflow_path"] == ".circleci/config.yml":
        settings.append("Project Settings → Advanced: turn on `Enable dynamic config using setup workflows`; "
                        "without it the setup workflow in `.circleci/config.yml` cannot continue the pipeline.")
    if design["workflow_path"] != ".circleci/config.yml":
        settings.append(f"The repository already has `.circleci/config.yml`; this pipeline is "
                        f"{markdown_code(design['workflow_path'])}. Point Project Settings → Advanced → Config file "
                        "path at it, or merge it into `.circleci/config.yml`.")
    for env in deployment.get("environments", []):
        name = markdown_code(f"deploy-{env['environment']}")
        settings.append(f"Create the context {name} with `KUBE_CONFIG` (base64 kubeconfig), `K8S_NAMESPACE` and "
                        "`HEALTH_URL`; restrict it to a security group.")
        if env["environment"] == "production":
            settings.append("The `approve-production` approval job gates production: restrict who may approve by "
                            "restricting the `deploy-production` context to a security group.")
    return settings


PLATFORM_SETTINGS = {"gitlab_ci": gitlab_settings, "circleci": circleci_settings, "azure_devops": azure_settings,
                     "jenkins": jenkins_settings}


def platform_notes(design: dict[str, Any], security: dict[str, Any] | None) -> list[str]:
    """What the chosen platform's pipeline does differently from the neutral design, and why."""
    platform = design.get("platform")
    notes: list[str] = []
    if platform in ("gitlab_ci", "circleci"):
        notes.append("tests run in one job per unit: the coverage gate is enforced by the test tool over the whole "
                     "suite, which splitting the tests across parallel nodes would break")
    if platform == "gitlab_ci" and security:
        notes.append("GitLab's SAST and Secret Detection templates replace CodeQL and show findings in merge "
                     "requests; the Dependency Scanning template runs only on GitLab Ultimate")
    if platform == "circleci" and design["path_filters"] and design["workflow_path"] == ".circleci/config.yml":
        notes.append("CircleCI uses dynamic configuration: `.circleci/config.yml` is a setup workflow whose "
                     "path-filtering orb sets a `run-<unit>` parameter for each unit whose paths or shared code "
                     "changed, and `.circleci/continue_config.yml` halts the other units' lint, test, build and "
                     "scan jobs at their first step; publishing and deploys always run")
    elif platform == "circleci" and design["path_filters"]:
        notes.append("CircleCI runs every unit's jobs on each push: per-unit path filtering needs dynamic "
                     "configuration in `.circleci/config.yml`, which the repository already has")
    return notes
