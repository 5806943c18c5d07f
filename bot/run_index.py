"""A per-repository index of recent runs (newest first), for `/devops status`.

The engine keeps each run under devops-bot:run:<id> (RedisRunStore); this list adds what a
person wants to see: which command, its outcome, when, and the pull request it touched.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

KEEP_RUNS = 20
TTL_SECONDS = 7 * 24 * 3600  # as long as RedisRunStore keeps the runs themselves
FIELDS = ("run_id", "kind", "outcome", "pull_request", "url")


def index_key(repository_id: int | str) -> str:
    """The Redis list of a repository's recent runs."""
    return f"devops-bot:repo-runs:{repository_id}"


def record_run(redis: Any, repository_id: int | str, summary: dict[str, Any], *,
               clock: Callable[[], float] = time.time) -> None:
    """Add one finished job (its summary) to the repository's index, keeping the newest KEEP_RUNS."""
    entry = {name: summary.get(name) for name in FIELDS}
    entry["at"] = clock()
    key = index_key(repository_id)
    pipe = redis.pipeline()
    pipe.lpush(key, json.dumps(entry, sort_keys=True))
    pipe.ltrim(key, 0, KEEP_RUNS - 1)
    pipe.expire(key, TTL_SECONDS)
    pipe.execute()


def recent_runs(redis: Any, repository_id: int | str, limit: int = 10) -> list[dict[str, Any]]:
    """The newest runs of a repository, newest first."""
    return [json.loads(raw) for raw in redis.lrange(index_key(repository_id), 0, limit - 1)]
