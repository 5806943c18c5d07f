"""The bot's RQ worker (bot.queue.run_worker, with its scheduler) plus a synthetic platform that costs nothing.

    python -m bench.rollout_worker        # REDIS_URL set; run by bench/rollouts.py

The `bench` platform exists only in this process (bot.platforms.register_platform): it moves no
traffic, answers healthy or failing metrics as its platform_config says, and records each tick's
lateness (now minus the tick's scheduled time, rollout.tick_due_at) in a Redis list for the bench.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402

from bot.platforms import register_platform  # noqa: E402
from bot.rollouts.contract import Rollout  # noqa: E402

PLATFORM = "bench"
TICKS_KEY = "bench:rollouts:ticks"
HEALTHY = {"error_rate": 0.001, "p99_ms": 80.0}
FAILING = {"error_rate": 0.2, "p99_ms": 900.0}
_connections: dict[tuple[int, str], redis.Redis] = {}


def _redis(url: str) -> redis.Redis:
    # One connection per process: RQ forks a work horse per job, and a fork must not share a socket.
    key = (os.getpid(), url)
    if key not in _connections:
        _connections[key] = redis.Redis.from_url(url)
    return _connections[key]


class SyntheticPlatform:
    """A Platform with no processes: healthy metrics, or failing ones from stage `fail_at_stage` on."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.redis_url = str(config["redis_url"])
        self.fail_at_stage = config.get("fail_at_stage")

    def deploy(self, rollout: Rollout) -> None:
        """Nothing to start."""

    def set_traffic(self, rollout: Rollout, weight: int) -> dict[str, int]:
        """The split, as a real platform would report it."""
        return {"stable": 100 - weight, "canary": weight}

    def metrics(self, rollout: Rollout, window_seconds: float) -> dict[str, float | None]:
        """Record this tick's lateness, then answer the synthetic reading."""
        now = time.time()
        if rollout.tick_due_at is not None:
            _redis(self.redis_url).rpush(TICKS_KEY, json.dumps({
                "rollout": rollout.rollout_id, "stage": rollout.stage_index, "lateness": now - rollout.tick_due_at}))
        failing = self.fail_at_stage is not None and rollout.stage_index >= int(self.fail_at_stage)
        return dict(FAILING if failing else HEALTHY)

    def promote(self, rollout: Rollout) -> None:
        """Nothing to retire."""

    def rollback(self, rollout: Rollout) -> None:
        """Nothing to stop."""


def main() -> None:
    """Register the platform, then run the bot's own worker until SIGTERM."""
    from bot.queue import run_worker
    from bot.settings import Settings

    register_platform(PLATFORM, SyntheticPlatform)
    run_worker(Settings.from_env(require_github=False))


if __name__ == "__main__":
    main()
