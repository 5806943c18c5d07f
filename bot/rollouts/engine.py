"""The rollout state machine: scheduled ticks and people's events move a persisted Rollout forward.

Nothing here sleeps. Entering a stage sets the traffic and schedules a `tick` job (RQ scheduler);
each tick reads the metrics and either schedules the next one, opens a gate, moves on, or rolls
back. Every transition holds the rollout's lock, talks to the platform, then saves the new state
together with the job that continues from it (one Redis transaction), then tells the reporters.
A tick or click that refers to an older stage, token or state changes nothing.
"""

from __future__ import annotations

import importlib
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

from bot.errors import UserError
from bot.rollouts import messages
from bot.rollouts.analysis import describe
from bot.rollouts.analysis import evaluate
from bot.rollouts.contract import ABORTED
from bot.rollouts.contract import FAILED
from bot.rollouts.contract import PENDING
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import RUNNING
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.contract import Platform
from bot.rollouts.contract import Reporter
from bot.rollouts.contract import Rollout
from bot.rollouts.store import FINISHED_TTL_SECONDS
from bot.rollouts.store import ConflictError
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
class Outcome:
    """What an event did: `ok` False means nothing changed, and `message` says why."""

    ok: bool
    code: str  # started | approved | rejected | aborted | promoted | rolled_back | stale | not_found | finished
    message: str
    rollout: Rollout | None = None


def default_deps() -> Deps:
    """Dependencies for a worker job: Redis from the settings, platform and reporters named by the rollout."""
    from bot.platforms import platform_for
    from bot.queue import connect
    from bot.queue import get_queue
    from bot.settings import Settings

    conn = connect(Settings.from_env(require_github=False))
    return Deps(redis=conn, queue=get_queue(conn), platform=platform_for, reporters=reporters_from_factories)


def reporters_from_factories(rollout: Rollout) -> list[Reporter]:
    """Build the reporters a rollout names ("module:function", called with the rollout)."""
    built: list[Reporter] = []
    for name in rollout.reporter_factories:
        try:
            built.append(import_callable(name)(rollout))
        except Exception:
            log.exception("cannot build reporter %s for rollout %s", name, rollout.rollout_id)
    return built


def import_callable(name: str) -> Callable[..., Any]:
    """"package.module:function" → the function."""
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass
class _Step:
    """One transition in progress: the rollout being changed, jobs to schedule with it, news to report after."""

    rollout: Rollout
    deps: Deps
    jobs: list[tuple[float, str, tuple[Any, ...], str]] = field(default_factory=list)
    news: list[Callable[[Reporter], None]] = field(default_factory=list)

    def event(self, kind: str, text: str, by: str | None = None) -> None:
        r = self.rollout
        r.events.append({"at": self.deps.now(), "kind": kind, "text": text, "by": by})
        self.news.append(lambda rep: rep.event(r, kind, text))

    def schedule(self, delay: float, func: str, args: tuple[Any, ...], job_id: str) -> None:
        self.jobs.append((delay, func, args, job_id))


# --- starting -------------------------------------------------------------------------------------------

def start(rollout: Rollout, *, reporters: list[Reporter] | None = None, deps: Deps | None = None) -> Rollout:
    """Store a new rollout, deploy the new version beside the stable one and enter the first stage."""
    deps = deps or default_deps()
    if not rollout.stages:
        raise UserError(f"the {rollout.strategy} rollout of {rollout.app} has no stages")
    store = RolloutStore(deps.redis)
    current = store.latest(rollout.app, rollout.environment)
    if current is not None and current.state not in TERMINAL:
        raise UserError(messages.already_running(current))
    rollout.rollout_id = rollout.rollout_id or uuid.uuid4().hex[:12]
    rollout.state, rollout.stage_index, rollout.created_at = PENDING, -1, deps.now()
    store.create(rollout)
    with store.locked(rollout.rollout_id):
        step = _Step(_reload(store, rollout.rollout_id), deps)
        step.event("started", messages.started(step.rollout), step.rollout.requested_by)

        def begin(r: Rollout, platform: Platform) -> None:
            platform.deploy(r)
            _enter_stage(step, 0, platform)

        _guarded(step, begin)
        _commit(store, step, reporters)
    return step.rollout


# --- jobs -----------------------------------------------------------------------------------------------

def tick(rollout_id: str, expected_stage: int, tick_token: str, *, deps: Deps | None = None) -> str:
    """Scheduled job: analyse the current stage, then continue, open its gate, or roll back."""
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    with store.locked(rollout_id):
        r = store.get(rollout_id)
        if r is None or r.state != RUNNING or r.stage_index != expected_stage or r.tick_token != tick_token:
            return "stale"
        step = _Step(r, deps)
        _guarded(step, lambda rollout, platform: _analyse(step, platform))
        _commit(store, step, None)
        return step.rollout.state


def gate_timeout(rollout_id: str, stage_index: int, gate_token: str, *, deps: Deps | None = None) -> str:
    """Scheduled job: a gate nobody answered does what the rollout's config says (roll back by default)."""
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    with store.locked(rollout_id):
        r = store.get(rollout_id)
        if not _gate_open(r, stage_index, gate_token):
            return "stale"
        assert r is not None
        step = _Step(r, deps)
        stage = r.stages[r.stage_index]
        reason = messages.gate_timed_out(stage, r.gate_timeout_seconds)
        if r.on_gate_timeout == "pause":  # .devops.yml gate.on_timeout: keep waiting for a person
            step.event("gate_timeout", messages.gate_stays_open(reason))
        elif r.on_gate_timeout == "proceed":
            _close_gate(step, "timed out", None)
            step.event("gate_timeout", messages.gate_proceeds(reason))
            r.gate_token = None
            _guarded(step, lambda rollout, platform: _next_stage(step, platform))
        else:
            state = ABORTED if r.on_gate_timeout == "abort" else ROLLED_BACK
            _close_gate(step, "timed out", None)
            _guarded(step, lambda rollout, platform: _end_on_stable(step, platform, reason, state))
        _commit(store, step, None)
        return step.rollout.state


# --- events ---------------------------------------------------------------------------------------------

def approve(rollout_id: str, stage_index: int, gate_token: str, user: str, *,
            reporters: list[Reporter] | None = None, deps: Deps | None = None) -> Outcome:
    """An approver clicked Approve: the first valid click moves on, any other changes nothing."""
    return _gate_event(rollout_id, stage_index, gate_token, user, True, reporters, deps)


def reject(rollout_id: str, stage_index: int, gate_token: str, user: str, *,
           reporters: list[Reporter] | None = None, deps: Deps | None = None) -> Outcome:
    """An approver clicked Reject: roll back to the stable version."""
    return _gate_event(rollout_id, stage_index, gate_token, user, False, reporters, deps)


def abort(app: str, environment: str, user: str, *, reporters: list[Reporter] | None = None,
          deps: Deps | None = None) -> Outcome:
    """Stop a running rollout and send all traffic back to the stable version."""
    def act(step: _Step, platform: Platform) -> None:
        _close_gate(step, "aborted", user)
        _end_on_stable(step, platform, messages.aborted(user), ABORTED, by=user)

    return _command(app, environment, user, "aborted", act, reporters, deps)


def promote(app: str, environment: str, user: str, *, reporters: list[Reporter] | None = None,
            deps: Deps | None = None) -> Outcome:
    """Skip the remaining stages and analysis: 100% on the new version now (the caller checks permission)."""
    def act(step: _Step, platform: Platform) -> None:
        r = step.rollout
        stage = r.stages[r.stage_index] if 0 <= r.stage_index < len(r.stages) else None
        _close_gate(step, "promoted", user)
        step.event("promoted", messages.promoted(user, stage), user)
        r.reason = messages.promoted(user, stage)
        _finish(step, platform)

    return _command(app, environment, user, "promoted", act, reporters, deps)


def rollback(app: str, environment: str, user: str, *, reporters: list[Reporter] | None = None,
             deps: Deps | None = None) -> Outcome:
    """Send all traffic to the previous version: a running rollout, or one that already succeeded."""
    def act(step: _Step, platform: Platform) -> None:
        after = step.rollout.state == SUCCEEDED
        _close_gate(step, "rolled back", user)
        _end_on_stable(step, platform, messages.rolled_back_by(user, after), ROLLED_BACK, by=user)

    return _command(app, environment, user, "rolled_back", act, reporters, deps, allow_succeeded=True)


def status(app: str | None = None, *, deps: Deps | None = None) -> list[Rollout]:
    """The latest rollout of each app and environment (of `app` only when given), newest first."""
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    return store.latest_for_app(app) if app else store.all_latest()


def get(rollout_id: str, *, deps: Deps | None = None) -> Rollout | None:
    """One rollout by id."""
    return RolloutStore((deps or default_deps()).redis).get(rollout_id)


# --- the machine ----------------------------------------------------------------------------------------

def _enter_stage(step: _Step, index: int, platform: Platform) -> None:
    r = step.rollout
    stage = r.stages[index]
    r.traffic = platform.set_traffic(r, stage.weight)
    r.stage_index, r.state, r.gate_token = index, RUNNING, None
    r.stage_started_at = step.deps.now()
    step.event("stage_started", messages.stage_started(stage, index, len(r.stages)))
    if stage.duration_seconds <= 0:
        _complete_stage(step, platform)
        return
    _schedule_tick(step, min(stage.analysis_interval_seconds or stage.duration_seconds, stage.duration_seconds))


def _schedule_tick(step: _Step, delay: float) -> None:
    r = step.rollout
    r.tick_token = uuid.uuid4().hex[:12]
    step.schedule(delay, TICK, (r.rollout_id, r.stage_index, r.tick_token), f"rollout-{r.rollout_id}-{r.tick_token}")


def _analyse(step: _Step, platform: Platform) -> None:
    r = step.rollout
    stage = r.stages[r.stage_index]
    window = stage.analysis_interval_seconds or stage.duration_seconds
    try:
        reading = platform.metrics(r, window)
    except Exception as error:  # an unreachable metrics server is no data, and says why
        log.warning("metrics failed for rollout %s: %s", r.rollout_id, error)
        reading = {"error_rate": None, "p99_ms": None}
        if stage.criteria.require_data:
            _end_on_stable(step, platform, messages.analysis_failed(stage, [messages.metrics_unavailable(str(error))]),
                           ROLLED_BACK)
            return
    r.last_metrics = dict(reading)
    failures = evaluate(stage.criteria, reading)
    if failures:
        _end_on_stable(step, platform, messages.analysis_failed(stage, failures), ROLLED_BACK)
        return
    step.event("analysis", messages.analysis_passed(stage, describe(reading)))
    remaining = (r.stage_started_at or 0) + stage.duration_seconds - step.deps.now()
    if remaining > 0.05:
        _schedule_tick(step, min(stage.analysis_interval_seconds or remaining, remaining))
        return
    _complete_stage(step, platform)


def _complete_stage(step: _Step, platform: Platform) -> None:
    r = step.rollout
    stage = r.stages[r.stage_index]
    r.tick_token = None
    if stage.manual_approval:
        r.state, r.gate_token = WAITING_APPROVAL, uuid.uuid4().hex[:12]
        step.event("gate_waiting", messages.gate_waiting(stage, r.gate_timeout_seconds, r.on_gate_timeout))
        step.news.append(lambda rep: rep.gate_opened(r))
        step.schedule(r.gate_timeout_seconds, GATE_TIMEOUT, (r.rollout_id, r.stage_index, r.gate_token),
                      f"rollout-{r.rollout_id}-gate-{r.gate_token}")
        return
    _next_stage(step, platform)


def _next_stage(step: _Step, platform: Platform) -> None:
    r = step.rollout
    if r.stage_index + 1 < len(r.stages):
        _enter_stage(step, r.stage_index + 1, platform)
    else:
        _finish(step, platform)


def _finish(step: _Step, platform: Platform) -> None:
    r = step.rollout
    if r.traffic.get("canary") != 100:
        r.traffic = platform.set_traffic(r, 100)
    platform.promote(r)
    r.traffic = {"stable": 0, "canary": 100}
    r.state, r.tick_token, r.gate_token, r.ended_at = SUCCEEDED, None, None, step.deps.now()
    step.event("succeeded", messages.succeeded(r))


def _end_on_stable(step: _Step, platform: Platform, reason: str, state: str, by: str | None = None) -> None:
    r = step.rollout
    platform.rollback(r)
    r.traffic = {"stable": 100, "canary": 0}
    r.state, r.reason, r.tick_token, r.gate_token, r.ended_at = state, reason, None, None, step.deps.now()
    kind = "aborted" if state == ABORTED else "rollback"
    step.event(kind, reason if by else messages.rolled_back(reason, r.stable_version), by)


def _close_gate(step: _Step, outcome: str, by: str | None) -> None:
    r = step.rollout
    if r.state == WAITING_APPROVAL:
        step.news.append(lambda rep: rep.gate_closed(r, outcome, by))


def _gate_open(r: Rollout | None, stage_index: int, gate_token: str) -> bool:
    return (r is not None and r.state == WAITING_APPROVAL and r.stage_index == stage_index
            and bool(gate_token) and r.gate_token == gate_token)


def _gate_event(rollout_id: str, stage_index: int, gate_token: str, user: str, approved: bool,
                reporters: list[Reporter] | None, deps: Deps | None) -> Outcome:
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    try:
        with store.locked(rollout_id):
            r = store.get(rollout_id)
            if r is None:
                return Outcome(False, "not_found", messages.gate_not_waiting())
            if not _gate_open(r, stage_index, gate_token):
                return Outcome(False, "stale", messages.gate_not_waiting(), r)
            step = _Step(r, deps)
            stage = r.stages[r.stage_index]
            if approved:
                _close_gate(step, "approved", user)
                step.event("approved", messages.approved(stage, user), user)
                r.gate_token = None
                _guarded(step, lambda rollout, platform: _next_stage(step, platform))
            else:
                _close_gate(step, "rejected", user)
                reason = messages.rejected(stage, user)
                _guarded(step, lambda rollout, platform: _end_on_stable(step, platform, reason, ROLLED_BACK, user))
            _commit(store, step, reporters)
            return Outcome(True, "approved" if approved else "rejected", step.rollout.events[-1]["text"],
                           step.rollout)
    except ConflictError:
        return Outcome(False, "stale", messages.gate_not_waiting(), store.get(rollout_id))


def _command(app: str, environment: str, user: str, code: str, act: Callable[[_Step, Platform], None],
             reporters: list[Reporter] | None, deps: Deps | None, allow_succeeded: bool = False) -> Outcome:
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    latest = store.latest(app, environment)
    if latest is None:
        return Outcome(False, "not_found", messages.not_found(app, environment))
    with store.locked(latest.rollout_id):
        r = _reload(store, latest.rollout_id)
        if r.state in TERMINAL and not (allow_succeeded and r.state == SUCCEEDED):
            return Outcome(False, "finished", messages.finished(r), r)
        step = _Step(r, deps)
        _guarded(step, lambda rollout, platform: act(step, platform))
        _commit(store, step, reporters)
        return Outcome(step.rollout.state != FAILED, code, step.rollout.reason or step.rollout.events[-1]["text"],
                       step.rollout)


def _guarded(step: _Step, action: Callable[[Rollout, Platform], None]) -> None:
    """Run a transition's platform work; a platform failure ends the rollout as failed, on the stable version."""
    r = step.rollout
    try:
        platform = step.deps.platform(r)
        action(r, platform)
    except UserError as error:
        _fail(step, str(error))
    except Exception as error:
        log.exception("platform failed for rollout %s", r.rollout_id)
        _fail(step, f"{type(error).__name__}: {error}")


def _fail(step: _Step, error: str) -> None:
    r = step.rollout
    step.jobs.clear()
    try:
        step.deps.platform(r).rollback(r)
        r.traffic = {"stable": 100, "canary": 0}
    except Exception:
        log.exception("rollback after a platform failure failed too for rollout %s", r.rollout_id)
    r.state, r.reason, r.tick_token, r.gate_token, r.ended_at = FAILED, messages.platform_failed(error), None, None, \
        step.deps.now()
    step.event("failed", r.reason)


def _commit(store: RolloutStore, step: _Step, reporters: list[Reporter] | None) -> None:
    """Save the new state with its next jobs in one transaction, then tell every reporter."""
    r, deps = step.rollout, step.deps
    finished = r.state in TERMINAL

    def also(pipe: Any) -> None:
        for delay, func, args, job_id in step.jobs:
            # RQ keeps whole seconds: round up so that a tick never runs before its time.
            at = datetime.fromtimestamp(math.ceil(deps.now() + delay), tz=timezone.utc)
            deps.queue.enqueue_at(at, func, *args, job_id=job_id, job_timeout=JOB_TIMEOUT_SECONDS, result_ttl=600,
                                  failure_ttl=7 * 24 * 3600, pipeline=pipe)
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


def _reload(store: RolloutStore, rollout_id: str) -> Rollout:
    r = store.get(rollout_id)
    if r is None:
        raise UserError(f"rollout {rollout_id} expired")
    return r
