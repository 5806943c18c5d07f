"""An installation's life: onboarding planned on install, all work stopped on uninstall or suspension.

Everything lives in Redis so that any worker, or one started after a crash, sees the same picture:

    devops-bot:installation-stopped:<installation>   why its work stopped ("deleted", "suspend")
    devops-bot:onboarding:<installation>             hash: repository id -> {"state", "repository", ...}
    delivery:onboard-<installation>-<repository>     dedupe key (as enqueue_job's): one onboarding job at a time

States: queued, opened, skipped, failed, cancelled, removed. Jobs check the stop marker before
they do anything, and the stop drops every queued job of the installation.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from rq import Queue
from rq import Retry
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bot.queue import DELIVERY_TTL_SECONDS
from bot.queue import FAILED_JOB_TTL_SECONDS
from bot.queue import RETRY_BACKOFF_SECONDS
from bot.queue import get_onboarding_queue
from bot.queue import worker_queues

log = logging.getLogger(__name__)

ONBOARD_FUNCTION = "bot.onboarding.run_onboarding"
ONBOARD_TIMEOUT_SECONDS = 15 * 60
ONBOARD_RETRIES = 3
STOPPED_TTL_SECONDS = 90 * 24 * 3600  # a deleted installation never comes back under the same id
FINAL_STATES = frozenset({"opened", "skipped"})
# What the onboarding pull request needs: read and commit files, open it, label it.
NEEDED_PERMISSIONS = {"contents": "write", "pull_requests": "write", "metadata": "read"}


def stopped_key(installation_id: int | str) -> str:
    """The Redis key marking an installation whose work must stop."""
    return f"devops-bot:installation-stopped:{installation_id}"


def state_key(installation_id: int | str) -> str:
    """The Redis hash of an installation's onboarding progress, by repository id."""
    return f"devops-bot:onboarding:{installation_id}"


def onboard_job_id(installation_id: int | str, repository_id: int | str) -> str:
    """The one job id of a repository's onboarding (its dedupe key, too)."""
    return f"onboard-{installation_id}-{repository_id}"


def is_stopped(redis: Any, installation_id: int | str) -> bool:
    """Whether the installation was deleted or suspended."""
    return bool(redis.exists(stopped_key(installation_id)))


def set_state(redis: Any, installation_id: int | str, repository_id: int | str, state: str, **details: Any) -> None:
    """Record where one repository's onboarding stands."""
    redis.hset(state_key(installation_id), str(repository_id), json.dumps({"state": state, **details}, sort_keys=True))


def states(redis: Any, installation_id: int | str) -> dict[int, dict[str, Any]]:
    """Every repository's onboarding state for an installation."""
    raw = redis.hgetall(state_key(installation_id))
    return {int(key): json.loads(value) for key, value in raw.items()}


def state_of(redis: Any, installation_id: int | str, repository_id: int | str) -> dict[str, Any] | None:
    """One repository's onboarding state, or None."""
    raw = redis.hget(state_key(installation_id), str(repository_id))
    return json.loads(raw) if raw else None


def missing_permissions(granted: dict[str, str] | None) -> list[str]:
    """The permissions onboarding needs that the installation lacks, as "name: level"."""
    granted = granted or {}
    order = {"read": 1, "write": 2, "admin": 3}
    return [f"{name}: {level}" for name, level in sorted(NEEDED_PERMISSIONS.items())
            if order.get(str(granted.get(name)), 0) < order[level]]


def plan_onboarding(redis: Any, installation_id: int, repositories: list[dict[str, Any]], *,
                    clock: Callable[[], float] = time.time) -> int:
    """Queue one onboarding job per repository not onboarded yet, each at its paced time; returns how many."""
    from bot.onboarding import WRITES_PER_PULL_REQUEST
    from bot.pacing import WriteBudget

    queue = get_onboarding_queue(redis)
    budget = WriteBudget(redis, clock=clock)
    known = states(redis, installation_id)
    queued = 0
    for repository in sorted(repositories, key=lambda item: int(item["id"])):
        repository_id = int(repository["id"])
        if known.get(repository_id, {}).get("state") in FINAL_STATES:
            continue
        job_id = onboard_job_id(installation_id, repository_id)
        # the dedupe key makes a redelivered or replayed event queue nothing twice
        if not redis.set(f"delivery:{job_id}", "1", nx=True, ex=DELIVERY_TTL_SECONDS):
            continue
        # the slot is reserved now, so each job runs once, at its time, instead of waking to wait again
        start = budget.reserve(installation_id, WRITES_PER_PULL_REQUEST)
        request = {"kind": "onboard", "installation_id": installation_id, "repository": repository["full_name"],
                   "repository_id": repository_id, "trigger": "install", "reserved_at": start}
        options: dict[str, Any] = {"job_id": job_id, "job_timeout": ONBOARD_TIMEOUT_SECONDS,
                                   "retry": Retry(max=ONBOARD_RETRIES,
                                                  interval=list(RETRY_BACKOFF_SECONDS[:ONBOARD_RETRIES])),
                                   "failure_ttl": FAILED_JOB_TTL_SECONDS}
        if start <= clock() + 1:
            queue.enqueue(ONBOARD_FUNCTION, request, **options)
        else:
            queue.enqueue_at(datetime.fromtimestamp(start, UTC), ONBOARD_FUNCTION, request, **options)
        set_state(redis, installation_id, repository_id, "queued", repository=repository["full_name"])
        queued += 1
    return queued


def forget_onboarding_job(redis: Any, installation_id: int | str, repository_id: int | str) -> None:
    """Allow a repository's onboarding to be queued again (it ended, or was dropped)."""
    redis.delete(f"delivery:{onboard_job_id(installation_id, repository_id)}")


def drop_jobs(redis: Any, installation_id: int, repository_ids: set[int] | None = None) -> int:
    """Cancel every queued or scheduled job of the installation (of some repositories only, if given)."""
    dropped = 0
    for queue in worker_queues(redis):
        dropped += _drop_from(queue, queue.get_job_ids(), installation_id, repository_ids)
        scheduled = ScheduledJobRegistry(queue=queue)
        dropped += _drop_from(queue, scheduled.get_job_ids(), installation_id, repository_ids, scheduled)
    return dropped


def _drop_from(queue: Queue, job_ids: list[str], installation_id: int, repository_ids: set[int] | None,
               registry: ScheduledJobRegistry | None = None) -> int:
    dropped = 0
    for job in Job.fetch_many(job_ids, connection=queue.connection):
        payload = job.args[0] if job is not None and job.args and isinstance(job.args[0], dict) else None
        if payload is None or payload.get("installation_id") != installation_id:
            continue
        repository_id = payload.get("repository_id")
        if repository_ids is not None and repository_id not in repository_ids:
            continue
        if registry is not None:
            registry.remove(job)
        job.cancel()
        if payload.get("kind") == "onboard":
            set_state(queue.connection, installation_id, repository_id, "cancelled",
                      repository=payload.get("repository"))
            forget_onboarding_job(queue.connection, installation_id, repository_id)
        dropped += 1
    return dropped


@dataclass
class LifecycleDeps:
    """What a lifecycle job uses: Redis, and a way to forget an installation's cached token."""

    redis: Any
    forget_token: Callable[[int], None]
    clock: Callable[[], float] = field(default=time.time)


def run_lifecycle_job(request: dict[str, Any], *, deps: LifecycleDeps | None = None) -> dict[str, Any]:
    """Carry out an installation event queued by handlers/installation.py; returns a summary."""
    deps = deps or build_deps()
    installation_id = int(request["installation_id"])
    action = request["action"]
    redis = deps.redis
    summary: dict[str, Any] = {"installation_id": installation_id, "action": action}
    if action in ("deleted", "suspend"):
        redis.set(stopped_key(installation_id), action, ex=STOPPED_TTL_SECONDS)
        summary["dropped"] = drop_jobs(redis, installation_id)
        deps.forget_token(installation_id)
        if action == "deleted":
            from bot.pacing import WriteBudget

            WriteBudget(redis).forget(installation_id)
    elif action == "repositories_removed":
        ids = {int(repository["id"]) for repository in request.get("repositories", [])}
        summary["dropped"] = drop_jobs(redis, installation_id, ids)
        for repository in request.get("repositories", []):
            set_state(redis, installation_id, repository["id"], "removed", repository=repository["full_name"])
            forget_onboarding_job(redis, installation_id, repository["id"])
    else:  # created, repositories_added, unsuspend, new_permissions_accepted
        if action in ("created", "unsuspend"):
            redis.delete(stopped_key(installation_id))
        # a token minted before the change carries the old permissions or a revoked grant
        deps.forget_token(installation_id)
        missing = missing_permissions(request.get("permissions")) if "permissions" in request else []
        if is_stopped(redis, installation_id) or missing:
            summary.update(queued=0, missing_permissions=missing)
        else:
            summary["queued"] = plan_onboarding(redis, installation_id, _to_plan(redis, installation_id, request),
                                                clock=deps.clock)
    log.info("installation %s %s: %s", installation_id, action, json.dumps(summary, sort_keys=True))
    return summary


def _to_plan(redis: Any, installation_id: int, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's repositories, plus (on resume) those whose onboarding was cut short."""
    wanted = {int(repository["id"]): repository for repository in request.get("repositories", [])}
    if request["action"] in ("unsuspend", "new_permissions_accepted"):
        for repository_id, state in states(redis, installation_id).items():
            if state["state"] in ("queued", "cancelled", "failed") and state.get("repository"):
                wanted.setdefault(repository_id, {"id": repository_id, "full_name": state["repository"]})
    return list(wanted.values())


def build_deps() -> LifecycleDeps:
    """Production dependencies from the settings."""
    from bot.github_auth import InstallationTokens
    from bot.queue import connect
    from bot.settings import Settings

    settings = Settings.from_env()
    redis = connect(settings)
    tokens = InstallationTokens(redis, settings)
    return LifecycleDeps(redis=redis, forget_token=tokens.forget)
