"""`/devops setup infra`: run pipelines/infrastructure.yml on the default branch and open its pull request.

Inputs, first wins: the command's options; then `infrastructure` in `.devops.yml` (cloud_provider, iac_tool, region,
compliance, budget, optimization_priority, application_requirements); then the repository and the pipeline's defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import infra_messages
from bot.commit_pipeline import publish_package
from bot.commit_pipeline import run_on_commit
from bot.config import ConfigError
from bot.config import RepoConfig
from bot.errors import UserError
from bot.publishers import BranchNotOurs
from bot.reporters import StatusComment
from bot.reporters import add_reaction
from bot.reporters import reply

PIPELINE = "infrastructure"
BRANCH = "devops-bot/infra"
COMMAND = "setup infra"
STATUS_KEY = "devops-bot:status-comment:{job_id}"


def infra_inputs(project_path: str, options: dict[str, Any], config: RepoConfig) -> dict[str, Any]:
    """Pipeline inputs from the command's options and `.devops.yml`'s infrastructure section."""
    section = config.infrastructure()
    inputs: dict[str, Any] = {
        "project_path": project_path,
        "cloud_provider": options.get("cloud_provider") or section.get("cloud_provider") or "",
        "environment_type": options.get("environment_type") or infra_messages.DEFAULT_ENVIRONMENT,
    }
    region = options.get("region") or section.get("region")
    if region:
        inputs["region"] = region
    iac_tool = options.get("iac_tool") or section.get("iac_tool")
    if iac_tool:
        inputs["iac_tool"] = iac_tool
    compliance = options.get("compliance") if options.get("compliance") is not None else section.get("compliance")
    if compliance:
        inputs["compliance_requirements"] = list(compliance)
    budget: dict[str, Any] = {}
    limit = options.get("budget") if options.get("budget") is not None else section.get("budget")
    if limit is not None:
        budget["monthly_limit"] = limit
    priority = options.get("priority") or section.get("optimization_priority")
    if priority:
        budget["optimization_priority"] = priority
    if budget:
        inputs["budget_constraints"] = budget
    if section.get("application_requirements"):
        inputs["application_requirements"] = section["application_requirements"]
        inputs["application_requirements_source"] = ".devops.yml"
    return inputs


def run_infra_pipeline(repository: str, tree: Any, head_sha: str, default_branch: str, options: dict[str, Any],
                       config: RepoConfig, runner: Callable[..., Any], *, run_id: str = "", store: Any = None,
                       on_event: Callable[[Any], None] | None = None) -> Any:
    """Run the infrastructure pipeline on `tree`, one commit of `repository`."""
    return run_on_commit(PIPELINE, lambda path: infra_inputs(path, options, config), repository, tree, head_sha,
                         default_branch, runner, run_id=run_id, store=store, on_event=on_event)


def publish(repo: Any, default_branch: str, head_sha: str, tree: Any, run: Any,
            options: dict[str, Any]) -> tuple[str, Any]:
    """Open or update the pull request on devops-bot/infra, recording the command's `options`: (outcome, result)."""
    return publish_package(repo, default_branch, head_sha, tree, run.outputs["infrastructure_package"], BRANCH, COMMAND,
                           options)


def setup_infra_job(request: dict[str, Any], deps: Any, progress: Any) -> dict[str, Any]:
    """The job of `/devops setup infra CLOUD [ENVIRONMENT] ...` in an issue or pull request comment."""
    from bot import messages
    from bot.config_checks import read_config_from_tree
    from bot.github_tree import GitHubTree
    from bot.jobs import _engine_runner
    from bot.pipelines import load_pipeline
    from bot.refresh import may_run

    repo = deps.github.get_repo(request["repository"])
    issue = progress.issue = repo.get_issue(int(request["issue_number"]))
    add_reaction(issue.get_comment(int(request["comment_id"])), "eyes")
    allowed, why = may_run(repo, request, COMMAND)
    if not allowed:
        reply(issue, why)
        return {"outcome": "not_allowed"}
    options = dict(request.get("options") or {})
    cloud = options.get("cloud_provider") or "aws"
    environment = options.get("environment_type") or infra_messages.DEFAULT_ENVIRONMENT
    steps = [step["name"] for step in load_pipeline(PIPELINE)["steps"]]
    status = progress.status = StatusComment(issue, infra_messages.heading(cloud, environment), steps,
                                             comment_id=deps.memo.get(STATUS_KEY.format(job_id=deps.job_id)),
                                             min_interval=deps.status_interval)
    deps.memo[STATUS_KEY.format(job_id=deps.job_id)] = status.start(infra_messages.started(cloud, environment))
    default_branch = request.get("default_branch") or repo.default_branch
    head_sha = repo.get_git_ref(f"heads/{default_branch}").object.sha
    tree = GitHubTree(repo, head_sha)
    try:
        config = read_config_from_tree(tree)
        run = run_infra_pipeline(request["repository"], tree, head_sha, default_branch, options, config,
                                 deps.runner or _engine_runner(), run_id=deps.job_id, store=deps.run_store,
                                 on_event=status.on_event)
    except ConfigError as error:
        status.finish(str(error))
        return {"outcome": "invalid_config", "problems": len(error.problems)}
    except UserError as error:
        status.finish(str(error))
        return {"outcome": "user_error", "error": str(error)}
    try:
        outcome, result = publish(repo, default_branch, head_sha, tree, run, options)
    except BranchNotOurs as error:
        status.finish(messages.branch_not_ours(error.branch, error.head_sha))
        return {"outcome": "branch_not_ours", "head_sha": error.head_sha}
    status.finish(infra_messages.outcome(outcome, result.number, result.url, BRANCH))
    return {"outcome": outcome, "pull_request": result.number, "url": result.url, "commit": result.commit_sha,
            "files": len(run.outputs["infrastructure_package"]["files"])}
