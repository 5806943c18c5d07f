"""The job behind Slack's `/devops setup infra OWNER/REPO CLOUD ...`: the same pipeline and pull request as on GitHub.

Like bot/slack_monitoring.py: the repository is reached through the App's installation; Slack users are not
GitHub users, so the job only opens a pull request for people with write access to review, and it refuses when
`.devops.yml` turns the bot off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from github import GithubException

from bot import infra_messages
from bot import messages
from bot.config import ConfigError
from bot.errors import UserError
from bot.publishers import BranchNotOurs

log = logging.getLogger(__name__)


def setup_infra_from_slack(request: dict[str, Any], *, repository_for: Callable[[str], Any] | None = None,
                           client: Any = None, runner: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Run the infrastructure pipeline on the repository's default branch, open the PR, say so in the channel."""
    from bot.config_checks import read_config_from_tree
    from bot.engine import run_pipeline
    from bot.github_tree import GitHubTree
    from bot.infra_job import BRANCH
    from bot.infra_job import publish
    from bot.infra_job import run_infra_pipeline

    if repository_for is None or client is None:
        from bot.slack_monitoring import _production

        repository_for, client = _production()
    summary: dict[str, Any] = {"repository": request["repository"]}
    try:
        repo = repository_for(request["repository"])
        branch = repo.default_branch
        head_sha = repo.get_git_ref(f"heads/{branch}").object.sha
        tree = GitHubTree(repo, head_sha)
        config = read_config_from_tree(tree)
        if not config.enabled:
            raise UserError(messages.bot_disabled())
        run = run_infra_pipeline(request["repository"], tree, head_sha, branch, dict(request.get("options") or {}),
                                 config, runner or run_pipeline)
        outcome, result = publish(repo, branch, head_sha, tree, run)
        text = infra_messages.outcome(outcome, result.number, result.url, BRANCH)
        summary.update(outcome=outcome, pull_request=result.number, url=result.url)
    except (ConfigError, UserError) as error:
        text, summary["outcome"] = str(error), "user_error"
    except BranchNotOurs as error:
        text, summary["outcome"] = messages.branch_not_ours(error.branch, error.head_sha), "branch_not_ours"
    except GithubException as error:
        if error.status != 404:
            raise
        text, summary["outcome"] = (f"I cannot reach {request['repository']}: devops-bot is not installed on it, or "
                                    "it does not exist."), "not_installed"
    client.chat_postMessage(channel=request["channel_id"], text=f"<@{request['user_id']}> {text}")
    log.info("slack setup infra for %s: %s", request["repository"], summary["outcome"])
    return summary
