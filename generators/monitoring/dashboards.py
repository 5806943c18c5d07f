"""Grafana dashboards for the monitoring plan, built with grafana-foundation-sdk: overview, service health, infrastructure.

Every query reads the series the recording rules record (names from model.py), so a dashboard shows exactly what
the SLO alerts evaluate. Deployments appear as annotations: Grafana annotations tagged `deploy` (the deployment
pipeline posts them) and, on Kubernetes, a kube-state-metrics generation change.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard as grafana
from grafana_foundation_sdk.builders import prometheus
from grafana_foundation_sdk.builders import stat
from grafana_foundation_sdk.builders import text
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DashboardLinkType
from grafana_foundation_sdk.models.dashboard import DataSourceRef
from grafana_foundation_sdk.models.dashboard import GridPos
from grafana_foundation_sdk.models.dashboard import Threshold
from grafana_foundation_sdk.models.dashboard import ThresholdsMode
from grafana_foundation_sdk.models.dashboard import VariableRefresh
from grafana_foundation_sdk.models.dashboard import VariableSort

from bot.templating import markdown_code
from bot.templating import markdown_text
from generators.monitoring.model import SERVICE_LABEL
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Service
from generators.monitoring.model import Slo
from generators.monitoring.model import error_ratio
from generators.monitoring.model import latency_quantile
from generators.monitoring.model import request_rate
from generators.monitoring.slugs import slug
from generators.monitoring.model import slo_error_budget_remaining

FOLDER = "grafana/dashboards"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
GRAFANA_ANNOTATIONS = DataSourceRef(type_val="grafana", uid="-- Grafana --")
TAG = "devops-bot-monitoring"
OVERVIEW_UID = "monitoring-overview"
INFRASTRUCTURE_UID = "monitoring-infrastructure"
INTERVAL_ONLY = ("auto", "auto_count", "auto_min")
# Burn rates of the multi-window method for a 30-day budget: 2 % in 1 h pages (14.4), 5 % in 6 h pages (6).
BURN_RATES = (("1h", 14.4), ("6h", 6.0))
# The recorded series the dashboards read; the rules must record these windows.
RECORDED_SERIES = tuple(sorted({request_rate("5m"), error_ratio("5m"), error_ratio("1h"), error_ratio("6h"),
                                error_ratio("30d"), latency_quantile("p50", "5m"), latency_quantile("p90", "5m"),
                                latency_quantile("p99", "5m"), slo_error_budget_remaining("30d")}))


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal (Go escaping, which JSON's matches for these characters)."""
    return json.dumps(value, ensure_ascii=False)


def service_uid(name: str) -> str:
    """Dashboard uid for a service (Grafana allows 40 characters; long names keep a hash suffix)."""
    return f"service-{slug(name, 32)}"


class _Grid:
    """Places panels left to right in rows of 24 columns and numbers them."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0
        self.next_id = 1

    def place(self, builder: Any, width: int, height: int = 8) -> Any:
        if self.x + width > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        builder = builder.id(self.next_id).grid_pos(GridPos(h=height, w=width, x=self.x, y=self.y))
        self.next_id += 1
        self.x += width
        self.row_height = max(self.row_height, height)
        return builder


def _query(expr: str, legend: str = "", ref: str = "A") -> Any:
    target = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    return target.legend_format(legend) if legend else target


def _thresholds(*steps: tuple[float | None, str]) -> Any:
    return grafana.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(value=value, color=color) for value, color in steps])


def _series(title: str, description: str, unit: str, *targets: Any) -> Any:
    builder = timeseries.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit)
    for target in targets:
        builder = builder.with_target(target)
    return builder


def _stat(title: str, description: str, unit: str, target: Any, thresholds: Any | None = None) -> Any:
    builder = stat.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit).with_target(target)
    return builder.thresholds(thresholds) if thresholds is not None else builder


def _datasource_variable() -> Any:
    return grafana.DatasourceVariable("datasource").label("Data source").type("prometheus")


def _query_variable(name: str, label: str, query: str) -> Any:
    return (grafana.QueryVariable(name).label(label).datasource(DATASOURCE).query(query).multi(True)
            .include_all(True).all_value(".*").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(VariableSort.ALPHABETICAL_ASC))


def _annotations(matcher: str, tags: list[str], kubernetes: bool) -> list[Any]:
    """Deployments: Grafana annotations carrying all `tags`, and Kubernetes Deployment generation changes."""
    tagged = (grafana.AnnotationQuery().name("Deployments").datasource(GRAFANA_ANNOTATIONS).enable(True)
              .icon_color("purple").target(grafana.AnnotationTarget().type("tags").tags(tags).limit(100)
                                           .match_any(False)))
    annotations = [tagged]
    if kubernetes:
        expr = f"changes(kube_deployment_status_observed_generation{{deployment=~{matcher}}}[5m]) > 0"
        annotations.append(grafana.AnnotationQuery().name("Kubernetes rollouts").datasource(DATASOURCE)
                           .enable(True).icon_color("blue").expr(expr))
    return annotations


def _links() -> list[Any]:
    """A dropdown of every generated dashboard (by tag), keeping the time range."""
    return [grafana.DashboardLink("Monitoring dashboards").type(DashboardLinkType.DASHBOARDS).tags([TAG])
            .as_dropdown(True).include_vars(False).keep_time(True)]


def _finish(builder: Any) -> str:
    data = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    for variable in data["templating"]["list"]:
        # The SDK writes interval-variable fields on every variable; Grafana's schema has them only there.
        if variable["type"] != "interval":
            for key in INTERVAL_ONLY:
                variable.pop(key, None)
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _base(title: str, uid: str, description: str, tags: list[str]) -> Any:
    return (grafana.Dashboard(title).uid(uid).tags([TAG, *tags]).description(description).time("now-24h", "now")
            .timezone("utc").refresh("1m").editable().with_variable(_datasource_variable()))


def overview(plan: MonitoringPlan) -> str:
    """Executive overview: availability, error budget, traffic and latency of every service, and firing alerts."""
    selector = f"{{{SERVICE_LABEL}=~\"$service\"}}"
    grid = _Grid()
    builder = _base("Executive overview", OVERVIEW_UID, "Availability, error budgets, traffic and latency of every "
                    "service; open a service's health dashboard from the links.", ["overview"])
    builder = builder.with_variable(_query_variable(
        "service", "Service", f"label_values({request_rate('5m')}, {SERVICE_LABEL})"))
    legend = f"{{{{{SERVICE_LABEL}}}}}"
    panels = [
        (_stat("Availability (30 days)", "1 - error ratio over the 30-day SLO window.", "percentunit",
               _query(f"1 - {error_ratio('30d')}{selector}", legend),
               _thresholds((None, "red"), (0.99, "orange"), (0.999, "green"))), 8),
        (_stat("Error budget left (30 days)", "Share of the availability error budget not yet spent.",
               "percentunit", _query(f"{slo_error_budget_remaining('30d')}{selector}", legend),
               _thresholds((None, "red"), (0.25, "orange"), (0.5, "green"))), 8),
        (_stat("Firing alerts", "Alerts firing now, by severity.", "short",
               _query('sum by (severity) (ALERTS{alertstate="firing"})', "{{severity}}"),
               _thresholds((None, "green"), (1, "red"))), 8),
        (_series("Requests per second", "Request rate per service.", "reqps",
                 _query(f"{request_rate('5m')}{selector}", legend)), 12),
        (_series("Error ratio", "Share of 5xx responses per service.", "percentunit",
                 _query(f"{error_ratio('5m')}{selector}", legend)), 12),
        (_series("p99 latency", "99th percentile response time per service.", "s",
                 _query(f"{latency_quantile('p99', '5m')}{selector}", legend)), 24),
    ]
    for panel, width in panels:
        builder = builder.with_panel(grid.place(panel, width))
    rows = [f"| [{markdown_text(s.name)}](/d/{service_uid(s.name)}) | {s.tier} | {markdown_text(s.team)} |"
            for s in sorted(plan.services, key=lambda s: s.name)]
    content = "\n".join(["| Service | Tier | Team |", "| --- | --- | --- |", *rows,
                         "", f"[Infrastructure status](/d/{INFRASTRUCTURE_UID})"])
    builder = builder.with_panel(grid.place(text.Panel().title("Service dashboards").content(content), 24, 6))
    for annotation in _annotations('"$service"', ["deploy"], plan.on_kubernetes):
        builder = builder.annotation(annotation)
    return _finish(builder.links(_links()))


def _slo_text(service: Service, slo: Slo | None) -> str:
    lines = [f"**Tier:** {service.tier}: {markdown_text(service.tier_reason)}",
             f"**Team:** {markdown_text(service.team)}"]
    if slo is not None:
        lines.append(f"**SLO:** {slo.availability}% availability, p99 under {slo.latency_p99_ms:g} ms, "
                     f"errors under {slo.error_rate}% (error budget {slo.error_budget:.4%} of requests over 30 days)")
    if service.depends_on:
        lines.append("**Depends on:** " + ", ".join(markdown_code(d) for d in sorted(service.depends_on)))
    lines.append(f"[Executive overview](/d/{OVERVIEW_UID}) · [Infrastructure status](/d/{INFRASTRUCTURE_UID})")
    return "\n\n".join(lines)


def service_health(plan: MonitoringPlan, service: Service) -> str:
    """RED metrics, SLO attainment, error budget and burn rate of one service."""
    slo = plan.slo_for(service.name)
    selector = f"{{{SERVICE_LABEL}={promql_string(service.name)}}}"
    grid = _Grid()
    builder = _base(f"Service health: {service.name}", service_uid(service.name),
                    f"Rate, errors and duration of {service.name}, its SLO and error budget burn.",
                    ["service-health", service.tier])
    budget = slo.error_budget if slo is not None else None
    panels: list[tuple[Any, int, int]] = [
        (text.Panel().title("About this service").content(_slo_text(service, slo)), 24, 5),
        (_series("Rate", "Requests per second.", "reqps", _query(f"{request_rate('5m')}{selector}", "requests/s")),
         8, 8),
        (_series("Errors", "Share of 5xx responses.", "percentunit",
                 _query(f"{error_ratio('5m')}{selector}", "5xx ratio")), 8, 8),
        (_series("Duration", "Response time percentiles.", "s",
                 *[_query(f"{latency_quantile(q, '5m')}{selector}", q, ref) for q, ref in
                   (("p50", "A"), ("p90", "B"), ("p99", "C"))]), 8, 8),
    ]
    if slo is not None and budget:
        slo_ratio = slo.availability / 100
        panels += [
            (_stat("Availability (30 days)", f"Target {slo.availability}%.", "percentunit",
                   _query(f"1 - {error_ratio('30d')}{selector}", "availability"),
                   _thresholds((None, "red"), (slo_ratio, "green"))), 8, 6),
            (_stat("Error budget left (30 days)", "Share of the error budget not yet spent; the freeze conditions "
                   "in the operational guide apply below zero.", "percentunit",
                   _query(f"{slo_error_budget_remaining('30d')}{selector}", "budget left"),
                   _thresholds((None, "red"), (0.25, "orange"), (0.5, "green"))), 8, 6),
            (_stat("p99 latency vs. SLO", f"SLO: p99 under {slo.latency_p99_ms:g} ms.", "s",
                   _query(f"{latency_quantile('p99', '5m')}{selector}", "p99"),
                   _thresholds((None, "green"), (slo.latency_p99_ms / 1000, "red"))), 8, 6),
            (_series("Error budget burn rate", "Error ratio divided by the budget; 14.4 over 1 h or 6 over 6 h pages.",
                     "short", *[_query(f"{error_ratio(window)}{selector} / {budget:g}", f"burn {window}", ref)
                                for (window, _), ref in zip(BURN_RATES, "AB")])
             .thresholds(_thresholds((None, "green"), (BURN_RATES[1][1], "orange"), (BURN_RATES[0][1], "red"))),
             24, 8),
        ]
    for panel, width, height in panels:
        builder = builder.with_panel(grid.place(panel, width, height))
    for annotation in _annotations(promql_string(service.name), ["deploy", service.name],
                                   service.runtime == "kubernetes"):
        builder = builder.annotation(annotation)
    return _finish(builder.links(_links()))


def infrastructure(plan: MonitoringPlan) -> str:
    """node_exporter CPU, memory, disk and network per instance, and blackbox probe results."""
    instance = 'instance=~"$instance"'
    grid = _Grid()
    builder = _base("Infrastructure status", INFRASTRUCTURE_UID, "Hosts (node_exporter) and public endpoints "
                    "(blackbox_exporter probes).", ["infrastructure"])
    builder = builder.with_variable(_query_variable("instance", "Instance", "label_values(node_uname_info, instance)"))
    panels = [
        _series("CPU busy", "Share of CPU time not idle.", "percentunit", _query(
            f'1 - avg by (instance) (rate(node_cpu_seconds_total{{mode="idle",{instance}}}[$__rate_interval]))',
            "{{instance}}")),
        _series("Memory used", "Share of memory not available.", "percentunit", _query(
            f"1 - node_memory_MemAvailable_bytes{{{instance}}} / node_memory_MemTotal_bytes{{{instance}}}",
            "{{instance}}")),
        _series("Disk used", "Share of each filesystem in use.", "percentunit", _query(
            f'1 - node_filesystem_avail_bytes{{fstype!~"tmpfs|overlay",{instance}}} / '
            f'node_filesystem_size_bytes{{fstype!~"tmpfs|overlay",{instance}}}', "{{instance}} {{mountpoint}}")),
        _series("Network traffic", "Bytes per second received and sent (loopback excluded).", "Bps",
                _query(f'sum by (instance) (rate(node_network_receive_bytes_total{{device!="lo",{instance}}}'
                       f'[$__rate_interval]))', "{{instance}} in", "A"),
                _query(f'sum by (instance) (rate(node_network_transmit_bytes_total{{device!="lo",{instance}}}'
                       f'[$__rate_interval]))', "{{instance}} out", "B")),
        _stat("Probe success", "blackbox_exporter: 1 when the public endpoint answered as expected.", "short",
              _query("probe_success", "{{instance}}"), _thresholds((None, "red"), (1, "green"))),
        _series("Probe duration", "blackbox_exporter: time the probe took.", "s",
                _query("probe_duration_seconds", "{{instance}}")),
    ]
    for panel in panels:
        builder = builder.with_panel(grid.place(panel, 12))
    builder = builder.with_panel(grid.place(_stat("Targets up", "Scrape targets answering, by job.", "short",
                                                  _query("sum by (job) (up)", "{{job}}")), 24, 6))
    for annotation in _annotations('".*"', ["deploy"], plan.on_kubernetes):
        builder = builder.annotation(annotation)
    return _finish(builder.links(_links()))


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """Every dashboard of the plan as {path: JSON text}: overview, one per service, infrastructure."""
    files = {f"{FOLDER}/overview.json": overview(plan), f"{FOLDER}/infrastructure.json": infrastructure(plan)}
    for service in sorted(plan.services, key=lambda s: s.name):
        files[f"{FOLDER}/{service_uid(service.name)}.json"] = service_health(plan, service)
    return dict(sorted(files.items()))
