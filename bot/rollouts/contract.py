"""The contract between the rollout engine, the platforms it drives and the places it reports to.

The engine (bot/rollouts/engine.py) owns `Rollout` records in Redis and advances them with
scheduled RQ jobs and events (approve, reject, abort, promote, rollback). Platforms move traffic
and read metrics; reporters show progress (the Slack thread, GitHub Deployments). Everything
here is plain data so that it survives a worker restart and travels through RQ.
"""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol

# Rollout states. Terminal ones never change again.
PENDING = "pending"
RUNNING = "running"  # a stage is in progress (traffic set, waiting for its duration / analysis)
WAITING_APPROVAL = "waiting_approval"  # a manual gate: Approve / Reject buttons are shown
SUCCEEDED = "succeeded"
ROLLED_BACK = "rolled_back"  # automatic (a failed criterion, a gate timeout) or asked for
ABORTED = "aborted"
FAILED = "failed"  # the platform itself failed
TERMINAL = frozenset({SUCCEEDED, ROLLED_BACK, ABORTED, FAILED})


@dataclass
class Criteria:
    """Success criteria for one stage's analysis."""

    max_error_rate: float = 0.01  # ratio of 5xx to all requests
    max_p99_ms: float = 500.0
    require_data: bool = True  # no data counts as a failure when True
    # A service's SLO instead of a fixed error rate: the 5xx ratio may burn the SLO's error budget (allowed bad
    # ratio, e.g. 0.001 for 99.9 %) at most max_burn_rate times too fast (14.4x: the SLO's own page threshold).
    slo_error_budget: float | None = None
    max_burn_rate: float = 14.4
    slo_service: str | None = None  # whose SLO it is, named in the verdict


@dataclass
class Stage:
    """One step of the traffic plan."""

    weight: int  # percent of traffic on the new version
    duration_seconds: float
    analysis_interval_seconds: float
    criteria: Criteria = field(default_factory=Criteria)
    manual_approval: bool = False  # wait for an approver after this stage's analysis passes


@dataclass
class Rollout:
    """A deploy of one app version to one environment, and everything that happened to it."""

    rollout_id: str
    app: str
    environment: str
    strategy: str  # canary | blue_green | rolling | recreate
    version: str
    stable_version: str
    platform: str  # local | kubernetes | ecs | lambda
    requested_by: str  # Slack user id
    stages: list[Stage] = field(default_factory=list)
    stage_index: int = -1
    state: str = PENDING
    traffic: dict[str, int] = field(default_factory=dict)  # {"stable": 95, "canary": 5}
    last_metrics: dict[str, float | None] = field(default_factory=dict)  # error_rate, p99_ms
    gate_token: str | None = None  # identifies the one open gate; a click on an older gate is stale
    reason: str | None = None  # why it ended the way it did
    events: list[dict[str, Any]] = field(default_factory=list)  # {"at", "kind", "text", "by"}
    slack: dict[str, str] = field(default_factory=dict)  # {"channel", "ts"} of the parent message
    github: dict[str, Any] = field(default_factory=dict)  # {"repository", "deployment_id"}
    version_counter: int = 0  # bumped on every save; optimistic concurrency for events
    # Added by the engine (issue 5); all plain data with defaults, so older records still load.
    platform_config: dict[str, Any] = field(default_factory=dict)  # how to reach the platform (sockets, URLs)
    reporter_factories: list[str] = field(default_factory=list)  # "module:function(rollout) -> Reporter"
    gate_timeout_seconds: float = 3600.0
    on_gate_timeout: str = "rollback"  # rollback | abort | pause | proceed: what a gate nobody answers does
    tick_token: str | None = None  # identifies the one scheduled tick; an older tick is stale
    tick_due_at: float | None = None  # when that tick is scheduled (epoch seconds); its lateness is measured from here
    stage_started_at: float | None = None
    created_at: float = 0.0
    ended_at: float | None = None
    on_finish: str | None = None  # "module:function(rollout_id)" queued once when the rollout ends
    # The repository's approval rules at the start (bot/deploy_rules.py): {repository, approvers, approvers_key,
    # allow_self_approval, self_approval_key}; a click combines them with the apps file as it is then.
    approval: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rollout:
        """Inverse of to_dict."""
        data = dict(data)
        data["stages"] = [Stage(**{**s, "criteria": Criteria(**s["criteria"])}) for s in data.get("stages", [])]
        return cls(**data)


class Platform(Protocol):
    """Where versions run and traffic is split (local HAProxy, Kubernetes, ...)."""

    def deploy(self, rollout: Rollout) -> None:
        """Start the new version beside the stable one, taking no traffic yet."""

    def set_traffic(self, rollout: Rollout, weight: int) -> dict[str, int]:
        """Send `weight` percent to the new version; returns the split now in force."""

    def metrics(self, rollout: Rollout, window_seconds: float) -> dict[str, float | None]:
        """Error rate and p99 (ms) of the new version over the window; None where there is no data."""

    def promote(self, rollout: Rollout) -> None:
        """Make the new version the stable one (100% and retire the old)."""

    def rollback(self, rollout: Rollout) -> None:
        """Send all traffic back to the stable version and stop the new one."""


class Reporter(Protocol):
    """Where a rollout is shown: the Slack parent message + thread, GitHub Deployments."""

    def changed(self, rollout: Rollout) -> None:
        """The rollout's state, traffic or metrics changed: update the summary (chat.update)."""

    def event(self, rollout: Rollout, kind: str, text: str) -> None:
        """Something happened (stage started, analysis result, approved by, rollback and why, done)."""

    def gate_opened(self, rollout: Rollout) -> None:
        """A manual gate waits: show Approve / Reject carrying rollout_id, stage_index and gate_token."""

    def gate_closed(self, rollout: Rollout, outcome: str, by: str | None) -> None:
        """The gate is no longer waiting: remove its buttons and say who decided or why it timed out."""
