"""What people read about a rollout: thread replies and command answers."""

from __future__ import annotations

from bot.rollouts.contract import Rollout
from bot.rollouts.contract import Stage


def _who(user: str) -> str:
    return f"<@{user}>" if user and not user.startswith("<") else user


def started(rollout: Rollout) -> str:
    """The first reply."""
    plan = " → ".join(f"{s.weight}%" + (" (gate)" if s.manual_approval else "") for s in rollout.stages)
    return (f"{rollout.strategy} rollout of {rollout.app} {rollout.version} to {rollout.environment} "
            f"started by {_who(rollout.requested_by)} (stable: {rollout.stable_version}); plan {plan}")


def stage_started(stage: Stage, index: int, total: int) -> str:
    """A stage began."""
    return f"stage {index + 1}/{total}: {stage.weight}% of traffic on the new version for {stage.duration_seconds:g}s"


def analysis_passed(stage: Stage, reading: str) -> str:
    """One analysis interval was healthy."""
    return f"{stage.weight}%: {reading}, within limits"


def gate_waiting(stage: Stage, timeout: float, on_timeout: str) -> str:
    """A manual gate opened."""
    return (f"{stage.weight}% passed its analysis and waits for an approver "
            f"(after {timeout:g}s without an answer: {on_timeout})")


def approved(stage: Stage, user: str) -> str:
    """A gate was approved."""
    return f"the {stage.weight}% gate was approved by {_who(user)}"


def rejected(stage: Stage, user: str) -> str:
    """A gate was rejected."""
    return f"rejected by {_who(user)} at the {stage.weight}% gate"


def gate_timed_out(stage: Stage, timeout: float) -> str:
    """Nobody answered a gate in time."""
    return f"nobody answered the {stage.weight}% gate within {timeout:g}s"


def gate_stays_open(reason: str) -> str:
    """on_timeout: pause."""
    return f"{reason}; the gate stays open until someone decides"


def gate_proceeds(reason: str) -> str:
    """on_timeout: proceed."""
    return f"{reason}; going on as configured (on_timeout: proceed)"


def analysis_failed(stage: Stage, failures: list[str]) -> str:
    """The reason of an automatic rollback."""
    return f"automatic rollback at {stage.weight}%: " + "; ".join(failures)


def metrics_unavailable(error: str) -> str:
    """The platform could not be asked for metrics."""
    return f"metrics unavailable ({error})"


def aborted(user: str) -> str:
    """Stopped by a person."""
    return f"aborted by {_who(user)}; all traffic is back on the stable version"


def promoted(user: str, stage: Stage | None) -> str:
    """Sent to 100% by a person, skipping the remaining analysis."""
    where = f" at {stage.weight}%" if stage else ""
    return f"promoted by {_who(user)}{where}: the remaining analysis was skipped"


def rolled_back_by(user: str, after_success: bool) -> str:
    """A person asked for a rollback."""
    when = " after it had succeeded" if after_success else ""
    return f"rolled back by {_who(user)}{when}; all traffic is on the previous version"


def rolled_back(reason: str, stable: str) -> str:
    """The rollback is done."""
    return f"rolled back: {reason}. {stable} serves 100% of traffic"


def succeeded(rollout: Rollout) -> str:
    """The last stage is done."""
    return f"{rollout.app} {rollout.version} serves 100% of traffic in {rollout.environment}"


def platform_failed(error: str) -> str:
    """The platform itself broke."""
    return f"the platform failed: {error}"


def already_running(rollout: Rollout) -> str:
    """A second deploy while one runs."""
    return (f"{rollout.app} already has a {rollout.strategy} rollout in {rollout.environment} "
            f"({rollout.version}, {rollout.state}); abort it or wait for it to finish")


def not_found(app: str, environment: str) -> str:
    """Nothing to act on."""
    return f"there is no rollout of {app} in {environment}"


def finished(rollout: Rollout) -> str:
    """An event for a rollout that already ended."""
    return f"the rollout of {rollout.app} {rollout.version} already ended ({rollout.state})"


def gate_not_waiting() -> str:
    """A click on a gate that is no longer open."""
    return "that gate is no longer waiting"
