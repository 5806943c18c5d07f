"""The monitoring plan every monitoring generator reads: one neutral model, many output formats.

The monitoring_setup pipeline builds a MonitoringPlan from the inventory, the SLA and the channels
(analyze_infrastructure + design_monitoring_architecture); each generator (Prometheus config,
rules, Alertmanager, Grafana dashboards, Vector, OpenTelemetry Collector, playbooks, docs, other
stacks) is a pure function `plan -> {path: text}`. Metric and recording-rule names live here so
that rules, alerts, dashboards and the canary analysis all query the same series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tier = Literal["tier_1", "tier_2", "tier_3"]
Runtime = Literal["kubernetes", "compose", "static"]
ChannelType = Literal["email", "slack", "pagerduty", "webhook", "sms"]

# Scrape interval per tier, as the SPEC's collection_intervals (high_frequency/normal/low_frequency).
SCRAPE_INTERVAL: dict[str, str] = {"tier_1": "15s", "tier_2": "60s", "tier_3": "300s"}

# Raw samples are kept 7 days; 5m and 1h aggregates exist as recording rules (SPEC retention).
RAW_RETENTION = "7d"

# The instrumentation contract: services expose these (OpenTelemetry/Prometheus client defaults).
REQUESTS_TOTAL = "http_requests_total"                      # labels: service, code
REQUEST_DURATION = "http_request_duration_seconds"          # histogram, labels: service, le
SERVICE_LABEL = "service"

# SLO windows of the multi-window, multi-burn-rate method (Google SRE workbook, as Sloth/Pyrra).
SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")


def request_rate(window: str) -> str:
    """Recording rule: requests per second per service over `window`."""
    return f"service:http_requests:rate{window}"


def error_ratio(window: str) -> str:
    """Recording rule: share of 5xx responses per service over `window` (0..1)."""
    return f"service:http_requests_errors:ratio_rate{window}"


def latency_quantile(quantile: str, window: str) -> str:
    """Recording rule: latency quantile ("p50", "p90", "p99") in seconds per service over `window`."""
    return f"service:http_request_duration_seconds:{quantile}_{window}"


def latency_slow_ratio(window: str) -> str:
    """Recording rule: share of requests slower than the service's p99 objective over `window` (0..1)."""
    return f"service:http_request_duration_seconds:slow_ratio_rate{window}"


def slo_error_budget_remaining(window: str = "30d") -> str:
    """Recording rule: share of the availability error budget left over `window` (1 = untouched)."""
    return f"slo:error_budget_remaining:ratio{window}"


@dataclass(frozen=True)
class Endpoint:
    """A network endpoint of a service; public ones get a blackbox probe and a WAF-facing alert."""

    port: int
    path: str = "/"
    public: bool = False
    health_path: str | None = None


@dataclass(frozen=True)
class Service:
    name: str                                   # DNS-safe, the value of the `service` label
    tier: Tier
    tier_reason: str                            # shown in the PR: why this tier
    runtime: Runtime
    language: str | None = None                 # python, javascript, go, ... (instrumentation notes)
    team: str = "platform"
    endpoints: tuple[Endpoint, ...] = ()
    depends_on: tuple[str, ...] = ()            # other service or datastore names
    evidence: tuple[str, ...] = ()              # where it was found: "k8s/checkout.yaml", ...
    replicas: int = 1                           # one replica on a critical path is a single point of failure
    host: str | None = None                     # Server name it runs on (static): its NodeDown inhibits it


@dataclass(frozen=True)
class Datastore:
    name: str
    kind: str                                   # postgresql, mysql, redis, mongodb, kafka, rabbitmq, ...
    used_by: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Server:
    """A host or node: node_exporter target; its saturation alerts (disk, memory) come from here."""

    name: str
    address: str                                # host:port of node_exporter
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slo:
    """Per-service objectives from sla_requirements (defaults 99.9 %, 1000 ms p99, 0.1 % errors)."""

    service: str
    availability: float                         # percent, e.g. 99.9
    latency_p99_ms: float
    error_rate: float                           # percent, e.g. 0.1

    @property
    def error_budget(self) -> float:
        """Allowed bad-request ratio (0..1) over the 30-day SLO window."""
        return round(1 - self.availability / 100, 10)


@dataclass(frozen=True)
class Channel:
    type: ChannelType
    name: str                                   # receiver name in Alertmanager
    config: dict = field(default_factory=dict, hash=False, compare=False)  # secrets as references only
    severities: tuple[str, ...] = ("page", "ticket")


@dataclass(frozen=True)
class MonitoringPlan:
    stack: str                                  # prometheus_grafana, elk, datadog, new_relic
    services: tuple[Service, ...]
    slos: tuple[Slo, ...]
    channels: tuple[Channel, ...]
    datastores: tuple[Datastore, ...] = ()
    servers: tuple[Server, ...] = ()
    runbook_base_url: str = "docs/runbooks"     # runbook_url = f"{runbook_base_url}/{alert}.md"
    repository: str = ""                        # owner/name, for links in docs and dashboards

    def slo_for(self, service: str) -> Slo | None:
        return next((slo for slo in self.slos if slo.service == service), None)

    @property
    def on_kubernetes(self) -> bool:
        return any(service.runtime == "kubernetes" for service in self.services)
