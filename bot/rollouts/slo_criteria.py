"""Canary success criteria from a service's SLO, as `.devops.yml` selects them (`deploy.….slo`)."""

from __future__ import annotations

from typing import Any

from bot.config import RepoConfig

DEFAULT_AVAILABILITY = 99.9  # the monitoring pipeline's default, so the canary and the SLO alerts agree


def slo_success_criteria(config: RepoConfig, app: str, environment: str) -> dict[str, Any] | None:
    """`success_criteria` judging the error budget burn of the app's SLO; None when .devops.yml names no SLO."""
    deploy = config.data.get("deploy", {})
    shared = deploy.get("environments", {}).get(environment, {}).get("slo")
    own = deploy.get("apps", {}).get(app, {}).get(environment, {}).get("slo")
    if shared is None and own is None:
        return None
    slo = {**(shared or {}), **(own or {})}  # the app's settings over every app's, key by key
    availability = config.monitoring().get("sla", {}).get("availability", DEFAULT_AVAILABILITY)
    burn: dict[str, Any] = {"service": slo.get("service", app), "availability": availability}
    if "max_burn_rate" in slo:
        burn["max_burn_rate"] = slo["max_burn_rate"]
    return {"error_budget_burn": burn}
