"""Rollouts in Redis: one JSON record each, compare-and-set saves, a per-rollout lock, lookups by app."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.exceptions import WatchError

from bot.rollouts.contract import Rollout

PREFIX = "devops-bot:rollout"
# Finished rollouts stay readable (status, rollback of a finished deploy) for a month.
FINISHED_TTL_SECONDS = 30 * 24 * 3600
# A transition holds the lock while it talks to the platform; a crashed holder frees it after this.
LOCK_TIMEOUT_SECONDS = 120


class ConflictError(Exception):
    """Someone else saved the rollout first; re-read it and decide again."""


def _key(rollout_id: str) -> str:
    return f"{PREFIX}:{rollout_id}"


def _latest_key(app: str, environment: str) -> str:
    return f"{PREFIX}-latest:{app}:{environment}"


_INDEX = f"{PREFIX}s"  # sorted set: rollout id by creation time


class RolloutStore:
    """Rollout records in Redis."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def create(self, rollout: Rollout) -> None:
        """Store a new rollout and make it the latest for its app and environment."""
        rollout.version_counter = 1
        pipe = self.redis.pipeline()
        pipe.set(_key(rollout.rollout_id), json.dumps(rollout.to_dict()), nx=True)
        pipe.set(_latest_key(rollout.app, rollout.environment), rollout.rollout_id)
        pipe.zadd(_INDEX, {rollout.rollout_id: rollout.created_at})
        created, _, _ = pipe.execute()
        if not created:
            raise ConflictError(f"rollout {rollout.rollout_id} already exists")

    def get(self, rollout_id: str) -> Rollout | None:
        """The stored rollout, or None."""
        raw = self.redis.get(_key(rollout_id))
        return Rollout.from_dict(json.loads(raw)) if raw else None

    def latest(self, app: str, environment: str) -> Rollout | None:
        """The most recent rollout of an app to an environment, running or finished."""
        rollout_id = self.redis.get(_latest_key(app, environment))
        return self.get(rollout_id.decode()) if rollout_id else None

    def latest_for_app(self, app: str) -> list[Rollout]:
        """The latest rollout of `app` in each environment, newest first."""
        return [r for r in self.all_latest() if r.app == app]

    def all_latest(self) -> list[Rollout]:
        """The latest rollout of every app and environment, newest first."""
        seen: set[tuple[str, str]] = set()
        result: list[Rollout] = []
        for raw_id in self.redis.zrevrange(_INDEX, 0, 999):
            rollout = self.get(raw_id.decode())
            if rollout is None:
                self.redis.zrem(_INDEX, raw_id)  # expired record
                continue
            if (rollout.app, rollout.environment) not in seen:
                seen.add((rollout.app, rollout.environment))
                # the latest pointer decides between rollouts created in the same instant
                result.append(self.latest(rollout.app, rollout.environment) or rollout)
        return result

    def save(self, rollout: Rollout, *, also: Callable[[Any], None] | None = None, ttl: int | None = None) -> None:
        """Save if nobody saved since `rollout` was read (its version_counter), else ConflictError.

        `also(pipe)` adds commands (such as scheduling the next tick) to the same transaction, so the
        new state and the job that continues from it are written together or not at all.
        """
        key = _key(rollout.rollout_id)
        expected = rollout.version_counter
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                current = json.loads(raw)["version_counter"] if raw else None
                if current != expected:
                    raise ConflictError(f"rollout {rollout.rollout_id} is at version {current}, not {expected}")
                pipe.multi()
                rollout.version_counter = expected + 1
                pipe.set(key, json.dumps(rollout.to_dict()), ex=ttl)
                if also is not None:
                    also(pipe)
                pipe.execute()
            except WatchError:
                rollout.version_counter = expected
                raise ConflictError(f"rollout {rollout.rollout_id} changed while saving") from None
            except Exception:
                rollout.version_counter = expected
                raise

    @contextmanager
    def locked(self, rollout_id: str, wait_seconds: float = 60) -> Iterator[None]:
        """Hold the rollout's lock: one transition (state + platform + reporters) at a time."""
        lock = self.redis.lock(f"{PREFIX}-lock:{rollout_id}", timeout=LOCK_TIMEOUT_SECONDS,
                               blocking_timeout=wait_seconds, sleep=0.01)
        if not lock.acquire():
            raise ConflictError(f"rollout {rollout_id} is busy")
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception:  # expired while we held it: the CAS in save() still guarded the state
                pass
