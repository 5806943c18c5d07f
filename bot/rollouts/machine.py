"""The rollout state machine's transitions: stage entry, analysis, gates, the end, and the atomic save.

Each transition runs under the rollout's lock (bot/rollouts/engine.py takes it): the platform is
changed first, then the new state is saved together with the job that continues from it (one Redis
transaction), then the reporters are told. Scheduled ticks carry a token; an older one is stale.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timezone
from typing import Any

from rq import Retry

from bot.errors import UserError
from bot.rollouts import messages
from bot.rollouts.analysis import describe
from bot.rollouts.analysis import evaluate
from bot.rollouts.contract import ABORTED
from bot.rollouts.contract import FAILED
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import RUNNING
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.contract import Platform
from bot.rollouts.contract import Reporter
from bot.rollouts.contract import Rollout
from bot.rollouts.store import FINISHED_TTL_SECONDS
from bot.rollouts.store import RolloutStore

log = logging.getLogger(__name__)

TICK = "bot.rollouts.engine.tick"
GATE_TIMEOUT = "bot.rollouts.engine.gate_timeout"
JOB_TIMEOUT_SECONDS = 300

@dataclass
class Deps:
    """What the engine talks to; tests pass fakes and a clock."""

    redis: Any
    queue: Any  # rq.Queue
    platform: Callable[[Rollout], Platform]
    reporters: Callable[[Rollout], list[Reporter]]
    now: Callable[[], float] = time.time


@dataclass
class Transition:
    """One transition in progress: the rollout being changed, jobs to schedule with it, news to report after."""

    rollout: Rollout
    deps: Deps
    jobs: list[tuple[float, str, tuple[Any, ...], str]] = field(default_factory=list)  # (due at, func, args, id)
    news: list[Callable[[Reporter], None]] = field(default_factory=list)

    def event(self, kind: str, text: str, by: str | None = None) -> None:
        """Record an event on the rollout and report it after the save."""
        r = self.rollout
        r.events.append({"at": self.deps.now(), "kind": kind, "text": text, "by": by})
        self.news.append(lambda rep: rep.event(r, kind, text))

    def schedule(self, delay: float, func: str, args: tuple[Any, ...], job_id: str) -> float:
        """A job to enqueue in the same transaction as the new state; returns when it is due (epoch seconds)."""
        # RQ keeps whole seconds: round up so that a job never runs before its time.
        due = float(math.ceil(self.deps.now() + delay))
        self.jobs.append((due, func, args, job_id))
        return due


def enter_stage(step: Transition, index: int, platform: Platform) -> None:
    """Set the stage's traffic and schedule its first analysis (a 0 s stage completes at once)."""
    r = step.rollout
    stage = r.stages[index]
    r.traffic = platform.set_traffic(r, stage.weight)
    r.stage_index, r.state, r.gate_token = index, RUNNING, None
    r.stage_started_at = step.deps.now()
    step.event("stage_started", messages.stage_started(stage, index, len(r.stages)))
    if stage.duration_seconds <= 0:
        complete_stage(step, platform)
        return
    schedule_tick(step, min(stage.analysis_interval_seconds or stage.duration_seconds, stage.duration_seconds))


def schedule_tick(step: Transition, delay: float) -> None:
    """Schedule the next analysis with a fresh token; any older tick becomes stale."""
    r = step.rollout
    r.tick_token = uuid.uuid4().hex[:12]
    r.tick_due_at = step.schedule(delay, TICK, (r.rollout_id, r.stage_index, r.tick_token),
                                  f"rollout-{r.rollout_id}-{r.tick_token}")


def analyse(step: Transition, platform: Platform) -> None:
    """Read the metrics: roll back on a failed criterion, else wait more or complete the stage."""
    r = step.rollout
    stage = r.stages[r.stage_index]
    window = stage.analysis_interval_seconds or stage.duration_seconds
    try:
        reading = platform.metrics(r, window)
    except Exception as error:  # an unreachable metrics server is no data, and says why
        log.warning("metrics failed for rollout %s: %s", r.rollout_id, error)
        reading = {"error_rate": None, "p99_ms": None}
        if stage.criteria.require_data:
            end_on_stable(step, platform, messages.analysis_failed(stage, [messages.metrics_unavailable(str(error))]),
                           ROLLED_BACK)
            return
    r.last_metrics = dict(reading)
    failures = evaluate(stage.criteria, reading)
    if failures:
        end_on_stable(step, platform, messages.analysis_failed(stage, failures), ROLLED_BACK)
        return
    step.event("analysis", messages.analysis_passed(stage, describe(reading)))
    remaining = (r.stage_started_at or 0) + stage.duration_seconds - step.deps.now()
    if remaining > 0.05:
        schedule_tick(step, min(stage.analysis_interval_seconds or remaining, remaining))
        return
    complete_stage(step, platform)


def complete_stage(step: Transition, platform: Platform) -> None:
    """Open the stage's gate, or move on."""
    r = step.rollout
    stage = r.stages[r.stage_index]
    r.tick_token = r.tick_due_at = None
    if stage.manual_approval:
        r.state, r.gate_token = WAITING_APPROVAL, uuid.uuid4().hex[:12]
        step.event("gate_waiting", messages.gate_waiting(stage, r.gate_timeout_seconds, r.on_gate_timeout))
        step.news.append(lambda rep: rep.gate_opened(r))
        step.schedule(r.gate_timeout_seconds, GATE_TIMEOUT, (r.rollout_id, r.stage_index, r.gate_token),
                      f"rollout-{r.rollout_id}-gate-{r.gate_token}")
        return
    next_stage(step, platform)


def next_stage(step: Transition, platform: Platform) -> None:
    """Enter the next stage, or finish after the last."""
    r = step.rollout
    if r.stage_index + 1 < len(r.stages):
        enter_stage(step, r.stage_index + 1, platform)
    else:
        finish(step, platform)


def finish(step: Transition, platform: Platform) -> None:
    """100% on the new version, promoted: succeeded."""
    r = step.rollout
    if r.traffic.get("canary") != 100:
        r.traffic = platform.set_traffic(r, 100)
    platform.promote(r)
    r.traffic = {"stable": 0, "canary": 100}
    r.state, r.tick_token, r.gate_token, r.ended_at = SUCCEEDED, None, None, step.deps.now()
    r.tick_due_at = None
    step.event("succeeded", messages.succeeded(r))


def end_on_stable(step: Transition, platform: Platform, reason: str, state: str, by: str | None = None) -> None:
    """All traffic back on the stable version, ending in `state` for `reason`."""
    r = step.rollout
    platform.rollback(r)
    r.traffic = {"stable": 100, "canary": 0}
    r.state, r.reason, r.tick_token, r.gate_token, r.ended_at = state, reason, None, None, step.deps.now()
    r.tick_due_at = None
    kind = "aborted" if state == ABORTED else "rollback"
    step.event(kind, reason if by else messages.rolled_back(reason, r.stable_version), by)


def close_gate(step: Transition, outcome: str, by: str | None) -> None:
    """Tell reporters an open gate closed (its buttons go)."""
    r = step.rollout
    if r.state == WAITING_APPROVAL:
        step.news.append(lambda rep: rep.gate_closed(r, outcome, by))


def gate_open(r: Rollout | None, stage_index: int, gate_token: str) -> bool:
    """Whether this exact gate is the one waiting now."""
    return (r is not None and r.state == WAITING_APPROVAL and r.stage_index == stage_index
            and bool(gate_token) and r.gate_token == gate_token)


def guarded(step: Transition, action: Callable[[Rollout, Platform], None]) -> None:
    """Run a transition's platform work; a platform failure ends the rollout as failed, on the stable version."""
    r = step.rollout
    try:
        platform = step.deps.platform(r)
        action(r, platform)
    except UserError as error:
        fail(step, str(error))
    except Exception as error:
        log.exception("platform failed for rollout %s", r.rollout_id)
        fail(step, f"{type(error).__name__}: {error}")


def fail(step: Transition, error: str) -> None:
    """The platform broke: back to stable if possible, ended as failed."""
    r = step.rollout
    step.jobs.clear()
    try:
        step.deps.platform(r).rollback(r)
        r.traffic = {"stable": 100, "canary": 0}
    except Exception:
        log.exception("rollback after a platform failure failed too for rollout %s", r.rollout_id)
    r.state, r.reason, r.tick_token, r.gate_token, r.ended_at = FAILED, messages.platform_failed(error), None, None, \
        step.deps.now()
    r.tick_due_at = None
    step.event("failed", r.reason)


def commit(store: RolloutStore, step: Transition, reporters: list[Reporter] | None) -> None:
    """Save the new state with its next jobs in one transaction, then tell every reporter."""
    r, deps = step.rollout, step.deps
    finished = r.state in TERMINAL

    def also(pipe: Any) -> None:
        for due, func, args, job_id in step.jobs:
            at = datetime.fromtimestamp(due, tz=timezone.utc)
            # A tick that fails (Redis blip, busy lock) runs again; a replay of one that succeeded is stale.
            deps.queue.enqueue_at(at, func, *args, job_id=job_id, job_timeout=JOB_TIMEOUT_SECONDS, result_ttl=600,
                                  failure_ttl=7 * 24 * 3600, retry=Retry(max=3, interval=[2, 10, 30]), pipeline=pipe)
        if finished and r.on_finish:
            deps.queue.enqueue(r.on_finish, r.rollout_id, job_id=f"rollout-{r.rollout_id}-finish",
                               job_timeout=JOB_TIMEOUT_SECONDS, pipeline=pipe)

    store.save(r, also=also, ttl=FINISHED_TTL_SECONDS if finished else None)
    for reporter in reporters if reporters is not None else deps.reporters(r):
        for news in [*step.news, lambda rep: rep.changed(r)]:
            try:
                news(reporter)
            except Exception:  # a reporter failing must never stop the rollout
                log.exception("reporter %s failed for rollout %s", type(reporter).__name__, r.rollout_id)


def reload(store: RolloutStore, rollout_id: str) -> Rollout:
    """The stored rollout; UserError when it expired."""
    r = store.get(rollout_id)
    if r is None:
        raise UserError(f"rollout {rollout_id} expired")
    return r
