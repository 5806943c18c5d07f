"""Run a rollout's scheduled jobs in this process: for the CLI demo and tests (a worker does it otherwise).

The jobs are the very ones RQ's scheduler would run; this only takes them from the scheduled-job
registry when due and calls them with the caller's dependencies (and, in tests, a fake clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import Rollout
from bot.rollouts.engine import Deps
from bot.rollouts.engine import get


def next_due(deps: Deps) -> tuple[str, float] | None:
    """The earliest scheduled job id and its time, or None."""
    registry = ScheduledJobRegistry(queue=deps.queue)
    first = deps.redis.zrange(registry.key, 0, 0, withscores=True)
    if not first:
        return None
    job_id, score = first[0]
    return (job_id.decode() if isinstance(job_id, bytes) else job_id), float(score)


def run_job(deps: Deps, job_id: str) -> Any:
    """Take one job off the queue's registries and run it with `deps`."""
    ScheduledJobRegistry(queue=deps.queue).remove(job_id)
    deps.queue.remove(job_id)
    job = Job.fetch(job_id, connection=deps.redis)
    try:
        return job.func(*job.args, **job.kwargs, deps=deps)
    finally:
        job.delete()


def run_queued(deps: Deps) -> int:
    """Run every job waiting on the queue itself (such as a rollout's on_finish)."""
    count = 0
    for job_id in deps.queue.get_job_ids():
        run_job(deps, job_id)
        count += 1
    return count


def step(deps: Deps, set_clock: Callable[[float], None] | None = None) -> bool:
    """Run queued jobs, then the earliest scheduled job if due (with set_clock: jump the clock to it)."""
    if run_queued(deps):
        return True
    due = next_due(deps)
    if due is None:
        return False
    job_id, at = due
    if set_clock is not None:
        set_clock(max(at, deps.now()))
    elif at > deps.now():
        return False
    run_job(deps, job_id)
    return True


def drive(rollout_id: str, deps: Deps, *, timeout: float = 600, poll_seconds: float = 0.05,
          on_idle: Callable[[Rollout], None] | None = None) -> Rollout:
    """Run due jobs in real time until the rollout ends; `on_idle` sees it while nothing is due (approve there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rollout = get(rollout_id, deps=deps)
        if rollout is None:
            raise LookupError(f"rollout {rollout_id} is gone")
        if rollout.state in TERMINAL and not deps.queue.get_job_ids():  # stale gate timeouts may stay
            return rollout
        if not step(deps):
            if on_idle is not None:
                on_idle(rollout)
            time.sleep(poll_seconds)
    raise TimeoutError(f"rollout {rollout_id} did not end within {timeout:g}s")
