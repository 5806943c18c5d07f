"""In-memory stand-ins for tests: a platform whose metrics a test sets, a reporter that records calls."""

from __future__ import annotations

import threading
from typing import Any

from bot.rollouts.contract import Rollout


class MemoryPlatform:
    """A Platform with no processes: records every call; metrics come from `readings` (or `error`)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.readings: dict[str, float | None] = {"error_rate": 0.0, "p99_ms": 50.0}
        self.metrics_error: Exception | None = None
        self.fail_on: str | None = None  # a method name that raises
        self.weight = 0
        self.live = "stable"
        self._lock = threading.Lock()

    def _call(self, name: str, arg: Any = None) -> None:
        with self._lock:
            self.calls.append((name, arg))
        if self.fail_on == name:
            raise RuntimeError(f"{name} broke")

    def deploy(self, rollout: Rollout) -> None:
        """Start the new version."""
        self._call("deploy", rollout.version)

    def set_traffic(self, rollout: Rollout, weight: int) -> dict[str, int]:
        """Move traffic."""
        self._call("set_traffic", weight)
        self.weight = weight
        return {"stable": 100 - weight, "canary": weight}

    def metrics(self, rollout: Rollout, window_seconds: float) -> dict[str, float | None]:
        """The test's reading."""
        self._call("metrics", window_seconds)
        if self.metrics_error is not None:
            raise self.metrics_error
        return dict(self.readings)

    def promote(self, rollout: Rollout) -> None:
        """The new version is live."""
        self._call("promote", rollout.version)
        self.weight, self.live = 100, rollout.version

    def rollback(self, rollout: Rollout) -> None:
        """All traffic on the stable version."""
        self._call("rollback", rollout.version)
        self.weight, self.live = 0, rollout.stable_version

    def weights(self) -> list[int]:
        """Every set_traffic weight, in order."""
        return [arg for name, arg in self.calls if name == "set_traffic"]


class RecordingReporter:
    """A Reporter that keeps what it was told, as (method, detail) pairs."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    def _record(self, name: str, detail: str) -> None:
        self.calls.append((name, detail))
        if self.fail:
            raise RuntimeError("reporter down")

    def changed(self, rollout: Rollout) -> None:
        """Summary update."""
        self._record("changed", rollout.state)

    def event(self, rollout: Rollout, kind: str, text: str) -> None:
        """Thread reply."""
        self._record("event", f"{kind}: {text}")

    def gate_opened(self, rollout: Rollout) -> None:
        """Buttons shown."""
        self._record("gate_opened", f"{rollout.stage_index}:{rollout.gate_token}")

    def gate_closed(self, rollout: Rollout, outcome: str, by: str | None) -> None:
        """Buttons removed."""
        self._record("gate_closed", f"{outcome} by {by}")

    def kinds(self) -> list[str]:
        """The event kinds in order."""
        return [detail.split(":", 1)[0] for name, detail in self.calls if name == "event"]
