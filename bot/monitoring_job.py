"""`/devops setup monitoring`: run pipelines/monitoring_setup.yml on the default branch and open its pull request.

Inputs, first wins: the command's stack; then `monitoring` in `.devops.yml` (stack, alert_channels,
sla, inventory); then the repository itself (the inventory is read from it) and the pipeline's defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import monitoring_messages
from bot.commit_pipeline import publish_package
from bot.commit_pipeline import run_on_commit
from bot.config import ConfigError
from bot.config import RepoConfig
from bot.errors import UserError
from bot.publishers import BranchNotOurs
from bot.reporters import StatusComment
from bot.reporters import add_reaction
from bot.reporters import reply

PIPELINE = "monitoring_setup"
BRANCH = "devops-bot/monitoring"
COMMAND = "setup monitoring"
STATUS_KEY = "devops-bot:status-comment:{job_id}"


def monitoring_inputs(project_path: str, stack: str | None, config: RepoConfig) -> dict[str, Any]:
    """Pipeline inputs from the command's stack and `.devops.yml`'s monitoring section."""
    section = config.monitoring()
    inputs: dict[str, Any] = {"project_path": project_path,
                              "monitoring_stack": stack or section.get("stack") or monitoring_messages.DEFAULT_STACK}
    if section.get("alert_channels"):
        inputs["alerting_channels"] = section["alert_channels"]
    if section.get("sla"):
        inputs["sla_requirements"] = section["sla"]
    if section.get("inventory"):
        inputs["infrastructure_inventory"] = section["inventory"]
        inputs["inventory_source"] = ".devops.yml"
    return inputs


def run_monitoring_pipeline(repository: str, tree: Any, head_sha: str, default_branch: str, stack: str | None,
                            config: RepoConfig, runner: Callable[..., Any], *, run_id: str = "", store: Any = None,
                            on_event: Callable[[Any], None] | None = None) -> Any:
    """Run the monitoring pipeline on `tree`, one commit of `repository`."""
    return run_on_commit(PIPELINE, lambda path: monitoring_inputs(path, stack, config), repository, tree, head_sha,
                         default_branch, runner, run_id=run_id, store=store, on_event=on_event)


def publish(repo: Any, default_branch: str, head_sha: str, tree: Any, run: Any,
            options: dict[str, Any]) -> tuple[str, Any]:
    """Open or update the pull request on devops-bot/monitoring, recording the command's options: (outcome, result)."""
    return publish_package(repo, default_branch, head_sha, tree, run.outputs["monitoring_package"], BRANCH, COMMAND,
                           options)


def setup_monitoring_job(request: dict[str, Any], deps: Any, progress: Any) -> dict[str, Any]:
    """The job of `/devops setup monitoring [STACK]` in an issue or pull request comment."""
    from bot import messages
    from bot.config_checks import read_config_from_tree
    from bot.github_tree import GitHubTree
    from bot.jobs import _engine_runner
    from bot.refresh import may_run

    repo = deps.github.get_repo(request["repository"])
    issue = progress.issue = repo.get_issue(int(request["issue_number"]))
    add_reaction(issue.get_comment(int(request["comment_id"])), "eyes")
    allowed, why = may_run(repo, request, COMMAND)
    if not allowed:
        reply(issue, why)
        return {"outcome": "not_allowed"}
    stack = (request.get("options") or {}).get("monitoring_stack")
    from bot.pipelines import load_pipeline

    steps = [step["name"] for step in load_pipeline(PIPELINE)["steps"]]
    shown = stack or monitoring_messages.DEFAULT_STACK
    status = progress.status = StatusComment(issue, monitoring_messages.heading(shown), steps,
                                             comment_id=deps.memo.get(STATUS_KEY.format(job_id=deps.job_id)),
                                             min_interval=deps.status_interval)
    deps.memo[STATUS_KEY.format(job_id=deps.job_id)] = status.start(monitoring_messages.started(shown))
    default_branch = request.get("default_branch") or repo.default_branch
    head_sha = repo.get_git_ref(f"heads/{default_branch}").object.sha
    tree = GitHubTree(repo, head_sha)
    try:
        config = read_config_from_tree(tree)
        status.heading = monitoring_messages.heading(stack or config.monitoring().get("stack") or shown)
        run = run_monitoring_pipeline(request["repository"], tree, head_sha, default_branch, stack, config,
                                      deps.runner or _engine_runner(), run_id=deps.job_id, store=deps.run_store,
                                      on_event=status.on_event)
    except ConfigError as error:
        status.finish(str(error))
        return {"outcome": "invalid_config", "problems": len(error.problems)}
    except UserError as error:
        status.finish(str(error))
        return {"outcome": "user_error", "error": str(error)}
    try:
        outcome, result = publish(repo, default_branch, head_sha, tree, run, request.get("options") or {})
    except BranchNotOurs as error:
        status.finish(messages.branch_not_ours(error.branch, error.head_sha))
        return {"outcome": "branch_not_ours", "head_sha": error.head_sha}
    status.finish(monitoring_messages.outcome(outcome, result.number, result.url, BRANCH))
    return {"outcome": outcome, "pull_request": result.number, "url": result.url, "commit": result.commit_sha,
            "files": len(run.outputs["monitoring_package"]["files"])}
