"""`devops-bot manifests APP`: the files a deploy of an apps-file app would generate, written without deploying.

For the platforms the bot cannot execute yet (ecs, lambda) this is where their CloudFormation comes
from; the answer to `/deploy` on them points here. The files are the create_deployment_manifests
step's own, from the same apps file (DEVOPS_BOT_APPS_FILE) and the same inputs Slack would use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.deploy_apps import load_apps
from bot.errors import UserError
from bot.publishers import write_files
from bot.registry import StepContext


def app_manifest_files(apps_file: str | None, app_name: str, *, environment: str | None = None,
                       version: str | None = None, strategy: str | None = None) -> dict[str, str]:
    """{path: text} for the app's platform; UserError names an unknown app, environment or a bad config."""
    from bot.steps.deploy import create_deployment_manifests

    apps = load_apps(apps_file)
    if not apps:
        raise UserError("no apps are configured: set DEVOPS_BOT_APPS_FILE to the apps file `/deploy` reads")
    app = apps.get(app_name)
    if app is None:
        raise UserError(f"unknown app {app_name!r}; the apps file has: {', '.join(sorted(apps))}")
    environment = environment or app.default_environment
    if environment not in app.environments:
        raise UserError(f"{app.name} deploys to {', '.join(app.environments)}, not {environment!r}")
    inputs: dict[str, Any] = {
        "application": app.name, "environment": environment, "platform": app.platform,
        "artifact": {"type": app.artifact.get("type", "container_registry"), "location": app.artifact["location"],
                     "version": version or app.version},
        "plan": {"strategy": strategy or app.strategy, "settings": app.rollout_settings},
        "stable_version": app.stable_version}
    produced = create_deployment_manifests(inputs, {}, StepContext(open_tree=_no_tree))
    files = dict(produced["deployment_manifests"]["files"])
    if not files:
        raise UserError(f"{app.name} runs on the {produced['deployment_manifests']['platform']} platform, "
                        "which needs no manifests")
    return files


def write_app_manifests(out: Path, files: dict[str, str]) -> list[Path]:
    """Write the files under `out` (never outside it)."""
    return write_files(out, files)


def _no_tree(path: str) -> Any:
    raise UserError("manifests are generated from the apps file, not from repository files")
