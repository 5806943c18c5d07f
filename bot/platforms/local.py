"""The `local` platform: traffic split by a real HAProxy's runtime API, analysis by PromQL on a real Prometheus.

Two slots, `stable` and `canary`, are HAProxy servers in one backend; the new version runs in the
canary slot. Weights are absolute (0-100, summing to 100), and the rising weight is set before the
falling one so that both are never 0 (HAProxy would answer 503). Promoting leaves the canary slot
live and keeps the old version idle in the stable slot, so a rollback after success is instant.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.platforms.haproxy import server_stats
from bot.platforms.haproxy import set_weight
from bot.platforms.prometheus import selector
from bot.platforms.prometheus import track_metrics
from bot.rollouts.contract import Rollout


@dataclass
class LocalPlatform:
    """contract.Platform on a local HAProxy + Prometheus (see bot/platforms/local_stack.py)."""

    haproxy_socket: str
    prometheus_url: str
    slots: dict[str, str]  # slot -> base URL of the app process
    backend: str = "be_app"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LocalPlatform:
        """From a rollout's platform_config; UserError names every missing key."""
        missing = [key for key in ("haproxy_socket", "prometheus_url", "slots") if not config.get(key)]
        if missing:
            raise UserError(f"the local platform needs {', '.join(missing)} in its platform config "
                            f"(devops-bot deploy-demo starts a stack and fills them in)")
        return cls(config["haproxy_socket"], config["prometheus_url"].rstrip("/"), dict(config["slots"]),
                   config.get("backend", "be_app"))

    def deploy(self, rollout: Rollout) -> None:
        """Check that the new version answers in the canary slot and HAProxy sees it UP, taking no traffic."""
        try:
            with urllib.request.urlopen(f"{self.slots['canary']}/healthz", timeout=5) as response:
                healthy = response.status == 200
        except OSError as error:
            raise RuntimeError(f"{rollout.version} does not answer at {self.slots['canary']}: {error}") from error
        status = server_stats(self.haproxy_socket, self.backend).get("canary", {}).get("status", "missing")
        if not healthy or not status.startswith("UP"):
            raise RuntimeError(f"{rollout.version} is not healthy in the canary slot (HAProxy says {status})")
        self._weights(stable=100, canary=0)

    def set_traffic(self, rollout: Rollout, weight: int) -> dict[str, int]:
        """Send `weight` percent to the canary slot."""
        weight = max(0, min(100, int(weight)))
        self._weights(stable=100 - weight, canary=weight)
        return {"stable": 100 - weight, "canary": weight}

    def metrics(self, rollout: Rollout, window_seconds: float) -> dict[str, float | None]:
        """The canary's 5xx ratio and p99 (ms) over the window, from Prometheus; None where no requests came."""
        # The track label Prometheus adds per target (LOCAL_DELIVERY.md §4).
        return track_metrics(self.prometheus_url, selector("canary"), window_seconds)

    def promote(self, rollout: Rollout) -> None:
        """All traffic on the canary slot; the old version stays idle for an instant rollback."""
        self._weights(stable=0, canary=100)

    def rollback(self, rollout: Rollout) -> None:
        """All traffic on the stable slot."""
        self._weights(stable=100, canary=0)

    def served(self) -> dict[str, dict[str, str]]:
        """HAProxy's per-server counters (status, weight, stot, hrsp_5xx, rtime)."""
        return server_stats(self.haproxy_socket, self.backend)

    def _weights(self, stable: int, canary: int) -> None:
        current = server_stats(self.haproxy_socket, self.backend)
        canary_now = int(current.get("canary", {}).get("weight") or 0)
        # Raise before lowering: with both weights at 0 every request gets a 503.
        order = [("canary", canary), ("stable", stable)] if canary > canary_now else \
            [("stable", stable), ("canary", canary)]
        for server, weight in order:
            set_weight(self.haproxy_socket, self.backend, server, weight)
