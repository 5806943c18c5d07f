"""Run a repository pipeline on one commit of a repository and open its pull request on a bot branch.

`/devops setup monitoring` and `/devops setup infra` (comment, Slack, refresh) share these two steps:
the engine reads only the commit it was given, and the package's files go to one bot branch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.errors import UserError
from bot.publishers import BaseCommit
from bot.publishers import PullRequestPublisher
from bot.registry import StepContext


def run_on_commit(pipeline: str, inputs_for: Callable[[str], dict[str, Any]], repository: str, tree: Any,
                  head_sha: str, default_branch: str, runner: Callable[..., Any], *, run_id: str = "",
                  store: Any = None, on_event: Callable[[Any], None] | None = None) -> Any:
    """Run `pipeline` with `inputs_for(project_path)` on `tree`, the commit `head_sha` of `repository`."""
    project_path = f"github:{repository}@{head_sha}"

    def open_tree(path: str) -> Any:
        if path != project_path:
            raise UserError(f"This job can only read {repository}, not {path}.")
        return tree

    ctx = StepContext(open_tree=open_tree, run_id=run_id,
                      extras={"default_branch": default_branch, "repository": repository})
    return runner(pipeline, inputs_for(project_path), ctx, on_event=on_event, run_id=run_id, store=store)


def publish_package(repo: Any, default_branch: str, head_sha: str, tree: Any, package: dict[str, Any],
                    branch: str, command: str, options: dict[str, Any]) -> tuple[str, Any]:
    """Open or update the pull request of `package` ({files, pull_request}) on `branch`: (outcome, result).

    Its body records `command`'s options, so a refresh regenerates it with them.
    """
    from bot.jobs import LABELS
    from bot.jobs import _outcome
    from bot.recorded_options import with_options

    base = BaseCommit(head_sha, tree.tree_sha) if getattr(tree, "tree_sha", None) else None
    body = with_options(package["pull_request"]["body"], command, options)
    result = PullRequestPublisher().publish(repo, default_branch, branch, package["files"],
                                            package["pull_request"]["title"], body, LABELS, base=base)
    return _outcome(result), result
