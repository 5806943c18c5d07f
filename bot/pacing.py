"""Pacing of content-creating GitHub requests per installation, shared by every worker through Redis.

GitHub's secondary rate limits allow about 80 content-creating requests a minute and 500 an hour.
An installation on hundreds of repositories must stay under both, so onboarding jobs reserve their
writes here first. This is GCRA (a token bucket kept as one "theoretical arrival time"): writes are
spaced `interval` seconds apart on average, with a burst of `burst` writes allowed at once. Any
60 seconds then hold at most burst + 60/interval writes, and any hour burst + 3600/interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# 400 an hour on average, bursts of 40: at most 47 a minute and 440 an hour, under 80 and 500.
HOURLY_WRITES = 400
BURST_WRITES = 40

# KEYS[1]: the installation's arrival time. ARGV: now, interval per write, burst, cost, key ttl.
# Reserves `cost` writes and returns the time they may start (now, or later when the bucket is spent).
_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local start = tat - (burst - cost) * interval
if start < now then start = now end
redis.call('SET', KEYS[1], tostring(tat + cost * interval), 'EX', tonumber(ARGV[5]))
return tostring(start)
"""


class WriteBudget:
    """Reserves slots for content-creating requests of one installation; the clock is injectable."""

    def __init__(self, redis: Any, *, clock: Callable[[], float] = time.time, hourly: int = HOURLY_WRITES,
                 burst: int = BURST_WRITES) -> None:
        self.redis = redis
        self.clock = clock
        self.interval = 3600.0 / hourly
        self.burst = burst

    @staticmethod
    def key(installation_id: int | str) -> str:
        """The Redis key holding an installation's next free write time."""
        return f"devops-bot:write-budget:{installation_id}"

    def reserve(self, installation_id: int | str, cost: int) -> float:
        """Reserve `cost` writes; returns when they may start (the clock's now when there is room)."""
        now = self.clock()
        ttl = int(self.burst * self.interval + cost * self.interval) + 3600
        script = self.redis.register_script(_RESERVE)
        start = script(keys=[self.key(installation_id)],
                       args=[repr(now), repr(self.interval), self.burst, cost, ttl])
        return float(start)

    def forget(self, installation_id: int | str) -> None:
        """Drop an installation's reservations (it was uninstalled)."""
        self.redis.delete(self.key(installation_id))
