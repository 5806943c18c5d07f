"""`installation` and `installation_repositories` events: queue the lifecycle job, never act here.

The request queued for `bot.lifecycle.run_lifecycle_job`:

    kind             "installation"
    action           created | deleted | suspend | unsuspend | new_permissions_accepted
                     | repositories_added | repositories_removed
    delivery_id      X-GitHub-Delivery
    installation_id  int
    account          login of the account the App is installed on
    repositories     [{"id": int, "full_name": "owner/name"}] the event names (may be empty)
    permissions      the installation's permissions (installation events only)
"""

from __future__ import annotations

from typing import Any

from handlers.github_webhook import Delivery
from handlers.github_webhook import router

LIFECYCLE_JOB = "bot.lifecycle.run_lifecycle_job"


def _repositories(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"id": int(item["id"]), "full_name": str(item["full_name"])} for item in items or []]


def _request(payload: dict[str, Any], delivery: Delivery, action: str,
             repositories: list[dict[str, Any]]) -> dict[str, Any]:
    installation = payload["installation"]
    request: dict[str, Any] = {
        "kind": "installation",
        "action": action,
        "delivery_id": delivery.delivery_id,
        "installation_id": int(installation["id"]),
        "account": (installation.get("account") or {}).get("login"),
        "repositories": repositories,
    }
    if delivery.event == "installation" and isinstance(installation.get("permissions"), dict):
        request["permissions"] = dict(installation["permissions"])
    return request


@router.on("installation.created", job=LIFECYCLE_JOB)
@router.on("installation.new_permissions_accepted", job=LIFECYCLE_JOB)
@router.on("installation.unsuspend", job=LIFECYCLE_JOB)
@router.on("installation.deleted", job=LIFECYCLE_JOB)
@router.on("installation.suspend", job=LIFECYCLE_JOB)
def installation_changed(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """The App was installed, uninstalled, suspended, resumed, or granted new permissions."""
    return _request(payload, delivery, payload["action"], _repositories(payload.get("repositories")))


@router.on("installation_repositories.added", job=LIFECYCLE_JOB)
def repositories_added(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """Repositories were added to an installation: onboard each."""
    return _request(payload, delivery, "repositories_added", _repositories(payload.get("repositories_added")))


@router.on("installation_repositories.removed", job=LIFECYCLE_JOB)
def repositories_removed(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """Repositories were removed from an installation: drop their queued work."""
    return _request(payload, delivery, "repositories_removed", _repositories(payload.get("repositories_removed")))
