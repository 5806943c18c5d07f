"""The job behind Slack's `/devops setup monitoring OWNER/REPO [STACK]` (bot/slack_setup.py does the work)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from bot import monitoring_messages
from bot.slack_setup import setup_from_slack


def setup_monitoring_from_slack(request: dict[str, Any], *, repository_for: Callable[[str], Any] | None = None,
                                client: Any = None, runner: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Run the monitoring pipeline on the repository's default branch, open the PR, say so in the channel."""
    from bot.engine import run_pipeline
    from bot.monitoring_job import BRANCH
    from bot.monitoring_job import publish
    from bot.monitoring_job import run_monitoring_pipeline

    def run(tree: Any, head_sha: str, branch: str, config: Any) -> Any:
        return run_monitoring_pipeline(request["repository"], tree, head_sha, branch, request.get("stack"), config,
                                       runner or run_pipeline)

    return setup_from_slack(request, "setup monitoring", run,
                            functools.partial(publish, options={"monitoring_stack": request.get("stack")}),
                            lambda outcome, number, url: monitoring_messages.outcome(outcome, number, url, BRANCH),
                            repository_for=repository_for, client=client)
