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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.rollouts import messages
from bot.rollouts.contract import ABORTED
from bot.rollouts.contract import FAILED
from bot.rollouts.contract import PENDING
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import RUNNING
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import Platform
from bot.rollouts.contract import Reporter
from bot.rollouts.contract import Rollout
from bot.rollouts.machine import analyse
from bot.rollouts.machine import close_gate
from bot.rollouts.machine import commit
from bot.rollouts.machine import Deps
from bot.rollouts.machine import end_on_stable
from bot.rollouts.machine import enter_stage
from bot.rollouts.machine import finish
from bot.rollouts.machine import gate_open
from bot.rollouts.machine import guarded
from bot.rollouts.machine import next_stage
from bot.rollouts.machine import reload
from bot.rollouts.machine import Transition
from bot.rollouts.store import ConflictError
from bot.rollouts.store import RolloutStore

__all__ = ["Deps", "Outcome", "abort", "approve", "default_deps", "gate_timeout", "get", "promote", "reject",
           "rollback", "start", "status", "tick"]

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What an event did: `ok` False means nothing changed, and `message` says why."""

    ok: bool
    code: str  # started | approved | rejected | aborted | promoted | rolled_back | stale | not_found | finished
    message: str
    rollout: Rollout | None = None


def default_deps() -> Deps:
    """Dependencies for a worker job: Redis from the settings, platform and reporters named by the rollout."""
    from rq import get_current_job

    from bot.platforms import platform_for
    from bot.queue import get_queue
    from bot.queue import shared_connection
    from bot.settings import Settings

    job = get_current_job()
    # In a worker the connection is the worker's own, already open: a tick costs no new handshake.
    conn = job.connection if job is not None else shared_connection(Settings.from_env(require_github=False))
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


# --- starting -------------------------------------------------------------------------------------------

def start(rollout: Rollout, *, reporters: list[Reporter] | None = None, deps: Deps | None = None) -> Rollout:
    """Store a new rollout, deploy the new version beside the stable one and enter the first stage."""
    deps = deps or default_deps()
    if not rollout.stages:
        raise UserError(f"the {rollout.strategy} rollout of {rollout.app} has no stages")
    store = RolloutStore(deps.redis)
    # One rollout per app and environment: two deploys started at once must not both pass the check.
    with store.locked(f"start:{rollout.app}:{rollout.environment}"):
        current = store.latest(rollout.app, rollout.environment)
        if current is not None and current.state not in TERMINAL:
            raise UserError(messages.already_running(current))
        rollout.rollout_id = rollout.rollout_id or uuid.uuid4().hex[:12]
        rollout.state, rollout.stage_index, rollout.created_at = PENDING, -1, deps.now()
        store.create(rollout)
    with store.locked(rollout.rollout_id):
        step = Transition(reload(store, rollout.rollout_id), deps)
        step.event("started", messages.started(step.rollout), step.rollout.requested_by)

        def begin(r: Rollout, platform: Platform) -> None:
            platform.deploy(r)
            enter_stage(step, 0, platform)

        guarded(step, begin)
        commit(store, step, reporters)
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
        step = Transition(r, deps)
        guarded(step, lambda rollout, platform: analyse(step, platform))
        commit(store, step, None)
        return step.rollout.state


def gate_timeout(rollout_id: str, stage_index: int, gate_token: str, *, deps: Deps | None = None) -> str:
    """Scheduled job: a gate nobody answered does what the rollout's config says (roll back by default)."""
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    with store.locked(rollout_id):
        r = store.get(rollout_id)
        if not gate_open(r, stage_index, gate_token):
            return "stale"
        assert r is not None
        step = Transition(r, deps)
        stage = r.stages[r.stage_index]
        reason = messages.gate_timed_out(stage, r.gate_timeout_seconds)
        if r.on_gate_timeout == "pause":  # .devops.yml gate.on_timeout: keep waiting for a person
            step.event("gate_timeout", messages.gate_stays_open(reason))
        elif r.on_gate_timeout == "proceed":
            close_gate(step, "timed out", None)
            step.event("gate_timeout", messages.gate_proceeds(reason))
            r.gate_token = None
            guarded(step, lambda rollout, platform: next_stage(step, platform))
        else:
            state = ABORTED if r.on_gate_timeout == "abort" else ROLLED_BACK
            close_gate(step, "timed out", None)
            guarded(step, lambda rollout, platform: end_on_stable(step, platform, reason, state))
        commit(store, step, None)
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
    def act(step: Transition, platform: Platform) -> None:
        close_gate(step, "aborted", user)
        end_on_stable(step, platform, messages.aborted(user), ABORTED, by=user)

    return _command(app, environment, user, "aborted", act, reporters, deps)


def promote(app: str, environment: str, user: str, *, reporters: list[Reporter] | None = None,
            deps: Deps | None = None) -> Outcome:
    """Skip the remaining stages and analysis: 100% on the new version now (the caller checks permission)."""
    def act(step: Transition, platform: Platform) -> None:
        r = step.rollout
        stage = r.stages[r.stage_index] if 0 <= r.stage_index < len(r.stages) else None
        close_gate(step, "promoted", user)
        step.event("promoted", messages.promoted(user, stage), user)
        r.reason = messages.promoted(user, stage)
        finish(step, platform)

    return _command(app, environment, user, "promoted", act, reporters, deps)


def rollback(app: str, environment: str, user: str, *, reporters: list[Reporter] | None = None,
             deps: Deps | None = None) -> Outcome:
    """Send all traffic to the previous version: a running rollout, or one that already succeeded."""
    def act(step: Transition, platform: Platform) -> None:
        after = step.rollout.state == SUCCEEDED
        close_gate(step, "rolled back", user)
        end_on_stable(step, platform, messages.rolled_back_by(user, after), ROLLED_BACK, by=user)

    return _command(app, environment, user, "rolled_back", act, reporters, deps, allow_succeeded=True)


def status(app: str | None = None, *, deps: Deps | None = None) -> list[Rollout]:
    """The latest rollout of each app and environment (of `app` only when given), newest first."""
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    return store.latest_for_app(app) if app else store.all_latest()


def get(rollout_id: str, *, deps: Deps | None = None) -> Rollout | None:
    """One rollout by id."""
    return RolloutStore((deps or default_deps()).redis).get(rollout_id)


def _gate_event(rollout_id: str, stage_index: int, gate_token: str, user: str, approved: bool,
                reporters: list[Reporter] | None, deps: Deps | None) -> Outcome:
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    try:
        with store.locked(rollout_id):
            r = store.get(rollout_id)
            if r is None:
                return Outcome(False, "not_found", messages.gate_not_waiting())
            if not gate_open(r, stage_index, gate_token):
                return Outcome(False, "stale", messages.gate_not_waiting(), r)
            step = Transition(r, deps)
            stage = r.stages[r.stage_index]
            if approved:
                close_gate(step, "approved", user)
                step.event("approved", messages.approved(stage, user), user)
                r.gate_token = None
                guarded(step, lambda rollout, platform: next_stage(step, platform))
            else:
                close_gate(step, "rejected", user)
                reason = messages.rejected(stage, user)
                guarded(step, lambda rollout, platform: end_on_stable(step, platform, reason, ROLLED_BACK, user))
            commit(store, step, reporters)
            return Outcome(True, "approved" if approved else "rejected", step.rollout.events[-1]["text"],
                           step.rollout)
    except ConflictError:
        return Outcome(False, "stale", messages.gate_not_waiting(), store.get(rollout_id))


def _command(app: str, environment: str, user: str, code: str, act: Callable[[Transition, Platform], None],
             reporters: list[Reporter] | None, deps: Deps | None, allow_succeeded: bool = False) -> Outcome:
    deps = deps or default_deps()
    store = RolloutStore(deps.redis)
    latest = store.latest(app, environment)
    if latest is None:
        return Outcome(False, "not_found", messages.not_found(app, environment))
    with store.locked(latest.rollout_id):
        r = reload(store, latest.rollout_id)
        if r.state in TERMINAL and not (allow_succeeded and r.state == SUCCEEDED):
            return Outcome(False, "finished", messages.finished(r), r)
        step = Transition(r, deps)
        guarded(step, lambda rollout, platform: act(step, platform))
        commit(store, step, reporters)
        return Outcome(step.rollout.state != FAILED, code, step.rollout.reason or step.rollout.events[-1]["text"],
                       step.rollout)

