"""Pushes and pull requests that may change `.devops.yml`: queue the `devops-bot / config` check.

A push lists the files each commit added or modified, so the handler knows; a pull request event
does not, so its job first asks GitHub for the pull request's files. Requests carry:

    kind             "config_check"
    delivery_id, installation_id, repository, repository_id, default_branch   as for commands
    head_sha         the commit to validate and to attach the check run to
    ref              "refs/heads/<branch>" (push) or the pull request's head branch
    pull_request     the pull request number, or None for a push
"""

from __future__ import annotations

from typing import Any

from bot.config import CONFIG_PATH
from handlers.github_webhook import Delivery
from handlers.github_webhook import router

JOB = "bot.config_checks.run_config_check"
NO_COMMIT = "0" * 40


@router.on("push", job=JOB)
def push_changed_config(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """A push (to any branch) whose commits add or modify .devops.yml."""
    after = str(payload.get("after") or NO_COMMIT)
    if "installation" not in payload or payload.get("deleted") or after == NO_COMMIT:
        return None
    touched = any(CONFIG_PATH in (commit.get("added") or []) + (commit.get("modified") or [])
                  for commit in payload.get("commits") or [])
    if not touched:
        return None
    return _request(payload, delivery, after, str(payload["ref"]), None)


@router.on("pull_request.opened", job=JOB)
@router.on("pull_request.synchronize", job=JOB)
@router.on("pull_request.reopened", job=JOB)
def pull_request_may_change_config(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """A pull request opened or updated: its job checks whether it changes .devops.yml."""
    if "installation" not in payload:
        return None
    head = payload["pull_request"]["head"]
    return _request(payload, delivery, str(head["sha"]), str(head.get("ref") or ""), int(payload["number"]))


def _request(payload: dict[str, Any], delivery: Delivery, head_sha: str, ref: str,
             pull_request: int | None) -> dict[str, Any]:
    repository = payload["repository"]
    return {
        "kind": "config_check",
        "delivery_id": delivery.delivery_id,
        "installation_id": payload["installation"]["id"],
        "repository": repository["full_name"],
        "repository_id": repository["id"],
        "default_branch": repository.get("default_branch"),
        "head_sha": head_sha,
        "ref": ref,
        "pull_request": pull_request,
    }
