"""Pushes and closed pull requests that concern the bot's own pull requests.

    push to the default branch that changes what the analysis reads
        -> bot.refresh.run_push_refresh: {"kind": "refresh_on_push", delivery_id, installation_id, repository,
           repository_id, default_branch, "after": sha, "paths": [changed paths that matter]}
    pull_request.closed, unmerged, from devops-bot/onboarding
        -> bot.onboarding.run_pull_closed: {"kind": "onboarding_closed", delivery_id, installation_id, repository,
           repository_id, "pull_request": number}
"""

from __future__ import annotations

from typing import Any

from handlers.github_webhook import Delivery
from handlers.github_webhook import is_bot
from handlers.github_webhook import router

REFRESH_JOB = "bot.refresh.run_push_refresh"
CLOSED_JOB = "bot.onboarding.run_pull_closed"
ONBOARDING_BRANCH = "devops-bot/onboarding"
NO_COMMIT = "0" * 40


def changed_paths(payload: dict[str, Any]) -> list[str]:
    """Every path the push's commits added, modified or removed."""
    paths: set[str] = set()
    for commit in payload.get("commits") or []:
        for key in ("added", "modified", "removed"):
            paths.update(str(path) for path in commit.get(key) or [])
    return sorted(paths)


@router.on("push", job=REFRESH_JOB)
def push_to_default_branch(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """A push to the default branch touching manifests, lockfiles, version files or .devops.yml."""
    from bot.refresh import analysis_inputs_changed

    repository = payload["repository"]
    default_branch = repository.get("default_branch") or repository.get("master_branch")
    if "installation" not in payload or payload.get("deleted") or str(payload.get("after") or NO_COMMIT) == NO_COMMIT:
        return None
    if payload.get("ref") != f"refs/heads/{default_branch}":
        return None
    paths = analysis_inputs_changed(changed_paths(payload))
    if not paths:
        return None
    return {"kind": "refresh_on_push", "delivery_id": delivery.delivery_id,
            "installation_id": int(payload["installation"]["id"]), "repository": repository["full_name"],
            "repository_id": int(repository["id"]), "default_branch": default_branch, "after": payload["after"],
            "paths": paths}


@router.on("pull_request.closed", job=CLOSED_JOB)
def onboarding_closed(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """A person closed the onboarding pull request without merging it: it is not to come back on its own."""
    pull = payload["pull_request"]
    if "installation" not in payload or pull.get("merged") or pull["head"]["ref"] != ONBOARDING_BRANCH:
        return None
    if is_bot(payload.get("sender"), delivery.settings):  # the bot closing its own pull request is not a refusal
        return None
    repository = payload["repository"]
    return {"kind": "onboarding_closed", "delivery_id": delivery.delivery_id,
            "installation_id": int(payload["installation"]["id"]), "repository": repository["full_name"],
            "repository_id": int(repository["id"]), "pull_request": int(pull["number"])}
