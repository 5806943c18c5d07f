"""The job behind Slack's `/devops setup infra OWNER/REPO CLOUD ...` (bot/slack_setup.py does the work)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from bot import infra_messages
from bot.slack_setup import setup_from_slack


def setup_infra_from_slack(request: dict[str, Any], *, repository_for: Callable[[str], Any] | None = None,
                           client: Any = None, runner: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Run the infrastructure pipeline on the repository's default branch, open the PR, say so in the channel."""
    from bot.engine import run_pipeline
    from bot.infra_job import BRANCH
    from bot.infra_job import publish
    from bot.infra_job import run_infra_pipeline

    def run(tree: Any, head_sha: str, branch: str, config: Any) -> Any:
        return run_infra_pipeline(request["repository"], tree, head_sha, branch, dict(request.get("options") or {}),
                                  config, runner or run_pipeline)

    return setup_from_slack(request, "setup infra", run,
                            functools.partial(publish, options=dict(request.get("options") or {})),
                            lambda outcome, number, url: infra_messages.outcome(outcome, number, url, BRANCH),
                            repository_for=repository_for, client=client)
