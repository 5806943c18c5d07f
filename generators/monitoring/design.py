"""design_monitoring_architecture: the MonitoringPlan every generator reads, and its sizing."""

from __future__ import annotations

from typing import Any

from generators.monitoring.model import SCRAPE_INTERVAL
from generators.monitoring.model import Channel
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Slo
from generators.monitoring.topology import model_parts

SERIES_PER_TARGET = 800  # a typical instrumented service or node_exporter exposes a few hundred series


def design_plan(infrastructure: dict[str, Any], stack: str, sla: dict[str, float], channels: tuple[Channel, ...],
                repository: str = "", runbook_base_url: str = "docs/runbooks") -> MonitoringPlan:
    """One SLO per service from the SLA; the channels as given."""
    services, datastores, servers = model_parts(infrastructure)
    slos = tuple(Slo(service=s.name, availability=sla["availability"], latency_p99_ms=sla["response_time_p99"],
                     error_rate=sla["error_rate"]) for s in services)
    return MonitoringPlan(stack=stack, services=services, slos=slos, channels=channels, datastores=datastores,
                          servers=servers, runbook_base_url=runbook_base_url, repository=repository)


def component_sizing(plan: MonitoringPlan) -> dict[str, Any]:
    """An estimate of targets, series and samples per second, to size Prometheus (stated as an estimate)."""
    seconds = {"15s": 15, "60s": 60, "300s": 300}
    targets = [(s.name, SCRAPE_INTERVAL[s.tier]) for s in plan.services if s.endpoints]
    targets += [(server.name, SCRAPE_INTERVAL["tier_2"]) for server in plan.servers]
    targets += [(d.name, SCRAPE_INTERVAL["tier_2"]) for d in plan.datastores]
    samples = sum(SERIES_PER_TARGET / seconds[interval] for _, interval in targets)
    return {"targets": len(targets), "estimated_series": SERIES_PER_TARGET * len(targets),
            "estimated_samples_per_second": round(samples, 1),
            "note": f"assumes {SERIES_PER_TARGET} series per target and one replica each"}


def network_topology(plan: MonitoringPlan) -> list[dict[str, str]]:
    """Who connects to whom: Prometheus to targets, Prometheus to Alertmanager, Alertmanager to channels."""
    edges = [{"from": "prometheus", "to": s.name, "why": "scrape /metrics"} for s in plan.services if s.endpoints]
    edges += [{"from": "prometheus", "to": server.address, "why": "node_exporter"} for server in plan.servers]
    edges += [{"from": "prometheus", "to": "alertmanager:9093", "why": "alerts"}]
    edges += [{"from": "alertmanager", "to": c.type, "why": f"receiver {c.name}"} for c in plan.channels]
    return edges
