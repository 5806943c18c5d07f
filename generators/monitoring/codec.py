"""MonitoringPlan to plain data and back: plans travel between pipeline steps as JSON-friendly dicts."""

from __future__ import annotations

import dataclasses
from typing import Any

from generators.monitoring.model import Channel
from generators.monitoring.model import Datastore
from generators.monitoring.model import Endpoint
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Server
from generators.monitoring.model import Service
from generators.monitoring.model import Slo


def plan_to_dict(plan: MonitoringPlan) -> dict[str, Any]:
    """The plan as plain dicts and lists (tuples become lists)."""
    return _plain(dataclasses.asdict(plan))


def plan_from_dict(data: dict[str, Any]) -> MonitoringPlan:
    """Inverse of `plan_to_dict`."""
    services = tuple(Service(**{**raw, "endpoints": tuple(Endpoint(**e) for e in raw.get("endpoints", ())),
                                "depends_on": tuple(raw.get("depends_on", ())),
                                "evidence": tuple(raw.get("evidence", ()))})
                     for raw in data.get("services", ()))
    return MonitoringPlan(
        stack=data["stack"],
        services=services,
        slos=tuple(Slo(**raw) for raw in data.get("slos", ())),
        channels=tuple(Channel(type=raw["type"], name=raw["name"], config=dict(raw.get("config") or {}),
                               severities=tuple(raw.get("severities", ("page", "ticket"))))
                       for raw in data.get("channels", ())),
        datastores=tuple(Datastore(name=raw["name"], kind=raw["kind"], used_by=tuple(raw.get("used_by", ())),
                                   evidence=tuple(raw.get("evidence", ()))) for raw in data.get("datastores", ())),
        servers=tuple(Server(name=raw["name"], address=raw["address"], evidence=tuple(raw.get("evidence", ())))
                      for raw in data.get("servers", ())),
        runbook_base_url=data.get("runbook_base_url", "docs/runbooks"),
        repository=data.get("repository", ""),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
