"""What each bot pull request is regenerated from on a refresh: its pipeline, run again with its command's options.

The pull requests a command opened (setup-ci, monitoring, infra) carry that command's options in their
description (bot/recorded_options.py); a refresh runs the pipeline with them on the default branch, as if
the command were typed again. The onboarding pull request has no command behind it and takes no options.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from github.PullRequest import PullRequest
from github.Repository import Repository

from bot import jobs
from bot import onboarding
from bot import refresh_messages
from bot.errors import UserError
from bot.github_tree import GitHubTree
from bot.infra_job import BRANCH as INFRA_BRANCH
from bot.infra_job import COMMAND as INFRA_COMMAND
from bot.monitoring_job import BRANCH as MONITORING_BRANCH
from bot.monitoring_job import COMMAND as MONITORING_COMMAND
from bot.publishers import BaseCommit
from bot.publishers import BranchNotOurs
from bot.publishers import PullRequestPublisher
from bot.recorded_options import OptionsNeeded
from bot.recorded_options import OptionsNoLongerValid
from bot.recorded_options import body_after_refresh
from bot.recorded_options import options_for_refresh

log = logging.getLogger(__name__)

# (files, title, body) of a regenerated pull request
Package = tuple[dict[str, str], str, str]
# (repo, tree, head_sha, default_branch, deps, options) -> the package the command would open now
Build = Callable[[Repository, Any, str, str, jobs.Deps, dict[str, Any]], Package]


def _setup_ci(repo: Repository, tree: Any, head_sha: str, default_branch: str, deps: jobs.Deps,
              options: dict[str, Any]) -> Package:
    run = jobs.run_setup_pipeline(repo.full_name, tree, head_sha, default_branch, options, deps)
    guide = run.outputs["implementation_guide"]
    return run.outputs["ci_cd_package"]["files"], guide["title"], guide["body"]


def _monitoring(repo: Repository, tree: Any, head_sha: str, default_branch: str, deps: jobs.Deps,
                options: dict[str, Any]) -> Package:
    from bot.config_checks import read_config_from_tree
    from bot.monitoring_job import run_monitoring_pipeline

    run = run_monitoring_pipeline(repo.full_name, tree, head_sha, default_branch, options.get("monitoring_stack"),
                                  read_config_from_tree(tree), deps.runner or jobs._engine_runner(),
                                  run_id=deps.job_id, store=deps.run_store)
    return _package(run.outputs["monitoring_package"])


def _infra(repo: Repository, tree: Any, head_sha: str, default_branch: str, deps: jobs.Deps,
           options: dict[str, Any]) -> Package:
    from bot.config_checks import read_config_from_tree
    from bot.infra_job import run_infra_pipeline

    run = run_infra_pipeline(repo.full_name, tree, head_sha, default_branch, options, read_config_from_tree(tree),
                             deps.runner or jobs._engine_runner(), run_id=deps.job_id, store=deps.run_store)
    return _package(run.outputs["infrastructure_package"])


def _package(package: dict[str, Any]) -> Package:
    return package["files"], package["pull_request"]["title"], package["pull_request"]["body"]


# bot branch -> (the command that opens its pull request, how to build it with that command's options)
COMMANDS: dict[str, tuple[str, Build]] = {
    jobs.BRANCH: ("setup ci", _setup_ci),
    MONITORING_BRANCH: (MONITORING_COMMAND, _monitoring),
    INFRA_BRANCH: (INFRA_COMMAND, _infra),
}
BOT_BRANCHES = (jobs.BRANCH, onboarding.BRANCH, MONITORING_BRANCH, INFRA_BRANCH)


def regenerate(repo: Repository, pull: PullRequest, deps: jobs.Deps, default_branch: str, branch: str,
               force: bool) -> dict[str, str]:
    """{"outcome": …}, and when the pull request's options stop the refresh, the "answer" people need."""
    head_sha = repo.get_git_ref(f"heads/{default_branch}").object.sha
    tree = onboarding._CachingTree(GitHubTree(repo, head_sha))
    try:
        files, title, body = _package_of(repo, pull, deps, tree, head_sha, default_branch, branch)
    except OptionsNoLongerValid as error:
        log.info("refresh of %s on %s stopped: its recorded options are no longer valid", branch, repo.full_name)
        return {"outcome": "invalid_options",
                "answer": refresh_messages.recorded_options_invalid(pull.number, COMMANDS[branch][0], str(error))}
    except OptionsNeeded as error:
        log.info("refresh of %s on %s stopped: %s", branch, repo.full_name, error.why_not)
        return {"outcome": "options_needed", "answer": refresh_messages.recorded_options_needed(
            pull.number, COMMANDS[branch][0], error.why_not, str(error))}
    except UserError as error:
        log.info("refresh of %s on %s stopped: %s", branch, repo.full_name, error)
        return {"outcome": "user_error"}
    base = BaseCommit(head_sha, tree.tree_sha) if tree.tree_sha else None
    try:
        # forced (a person asked): a fast-forward on top of their commits, never a force-push over them
        result = PullRequestPublisher().publish(repo, default_branch, branch, files, title, body, jobs.LABELS,
                                                base=base, build_on_any_head=force)
    except BranchNotOurs:
        return {"outcome": "branch_not_ours"}
    return {"outcome": "updated" if result.updated or result.created else "unchanged"}


def _package_of(repo: Repository, pull: PullRequest, deps: jobs.Deps, tree: Any, head_sha: str,
                default_branch: str, branch: str) -> Package:
    """The pull request on `branch` as its command would open it now, with the options recorded in it."""
    if branch == onboarding.BRANCH:
        from bot.onboarding_files import onboarding_files

        files, body = onboarding_files(repo.full_name, tree, head_sha, default_branch, deps, jobs.run_setup_pipeline)
        return files, onboarding.TITLE, body
    command, build = COMMANDS[branch]
    options, why_not = options_for_refresh(pull.body, command)
    if why_not:
        log.warning("refresh of %s on %s#%s: %s; regenerating it with the default options and .devops.yml",
                    branch, repo.full_name, pull.number, why_not)
    files, title, body = build(repo, tree, head_sha, default_branch, deps, options)
    return files, title, body_after_refresh(body, command, options, why_not)
