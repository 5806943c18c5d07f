"""Slack's `/devops setup monitoring|infra OWNER/REPO ...`: the same pipeline and pull request as on GitHub.

The repository is reached through the App's installation on it. Slack users are not GitHub users:
`.devops.yml` permissions apply to them through the Slack members and user groups a rule lists
(bot/slack_permissions.py), and a refusal is an ephemeral message naming the rule. The job refuses too
when `.devops.yml` turns the bot off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from github import GithubException

from bot import messages
from bot.config import ConfigError
from bot.errors import UserError
from bot.publishers import BranchNotOurs

log = logging.getLogger(__name__)

# (tree, head_sha, default_branch, config) -> the pipeline's run
RunOnCommit = Callable[[Any, str, str, Any], Any]


def setup_from_slack(request: dict[str, Any], command: str, run: RunOnCommit,
                     publish: Callable[[Any, str, str, Any, Any], tuple[str, Any]],
                     outcome_text: Callable[[str, int, str], str], *, repository_for: Callable[[str], Any] | None,
                     client: Any) -> dict[str, Any]:
    """Run a setup pipeline on the repository's default branch, open its PR, and say so in the channel."""
    from bot.config_checks import read_config_from_tree
    from bot.github_tree import GitHubTree
    from bot.slack_permissions import slack_refusal
    from bot.slack_reporter import usergroup_members

    if repository_for is None or client is None:
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
        refusal = slack_refusal(config, command, request["repository"], request["user_id"], usergroup_members(client))
        if refusal:
            client.chat_postEphemeral(channel=request["channel_id"], user=request["user_id"], text=f"Sorry, {refusal}")
            log.info("slack %s for %s: refused to %s", command, request["repository"], request["user_id"])
            return {**summary, "outcome": "forbidden", "reason": refusal}
        outcome, result = publish(repo, branch, head_sha, tree, run(tree, head_sha, branch, config))
        text = outcome_text(outcome, result.number, result.url)
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
    log.info("slack %s for %s: %s", command, request["repository"], summary["outcome"])
    return summary


def _production() -> tuple[Callable[[str], Any], Any]:
    from bot.github_auth import InstallationTokens
    from bot.github_deployments import repository_on_installation
    from bot.queue import connect
    from bot.settings import Settings
    from bot.slack_reporter import slack_client

    settings = Settings.from_env()
    redis = connect(settings)
    return repository_on_installation(settings, redis, InstallationTokens(redis, settings)), slack_client(settings)
