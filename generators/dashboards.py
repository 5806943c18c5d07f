"""CI quality dashboard (Grafana, built with grafana-foundation-sdk) and its Prometheus alert rules."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard as grafana
from grafana_foundation_sdk.builders import prometheus
from grafana_foundation_sdk.builders import stat
from grafana_foundation_sdk.builders import text
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef
from grafana_foundation_sdk.models.dashboard import GridPos
from grafana_foundation_sdk.models.dashboard import Threshold
from grafana_foundation_sdk.models.dashboard import ThresholdsMode
from grafana_foundation_sdk.models.dashboard import VariableRefresh
from grafana_foundation_sdk.models.dashboard import VariableSort

from generators.ci.yaml_out import dump
from generators.dashboard_queries import PROFILES
from generators.dashboard_queries import Exporter

DASHBOARD_PATH = "monitoring/dashboards/ci-quality.json"
RULES_PATH = "monitoring/prometheus/ci-quality-rules.yml"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")

# key, title, kind, unit, description; laid out four to a row, each 6 columns wide.
PANELS = [
    ("build_status", "Build success", "stat", "percentunit", "Share of successful pipeline runs."),
    ("build_duration", "Pipeline duration", "timeseries", "s", "Duration of the most recent pipeline runs."),
    ("test_coverage", "Test coverage", "timeseries", "percent", "Line coverage the test job reported."),
    ("deployment_frequency", "Deployment frequency", "timeseries", "short", "DORA: deployments per day."),
    ("lead_time", "Lead time for changes", "timeseries", "s",
     "DORA: how long the newest commit has waited to reach the environment."),
    ("change_failure_rate", "Change failure rate", "stat", "percentunit",
     "DORA: failed deployments over all deployments, last 30 days."),
    ("time_to_restore", "Time to restore service", "stat", "s",
     "DORA: mean time a failed deployment stayed failed, last 30 days."),
]
WIDTH = 6
INTERVAL_ONLY = ("auto", "auto_count", "auto_min")
HEIGHT = 8


def _panel(index: int, key: str, title: str, kind: str, unit: str, description: str, exporter: Exporter,
           threshold: float) -> Any:
    grid = GridPos(h=HEIGHT, w=WIDTH, x=(index % 4) * WIDTH, y=(index // 4) * HEIGHT)
    if key in exporter.missing:
        return (text.Panel().id(index + 1).title(title).description(description).grid_pos(grid)
                .content(f"Not available: {exporter.missing[key]}"))
    builder = (stat.Panel() if kind == "stat" else timeseries.Panel()).id(index + 1).title(title)
    builder = builder.description(description).datasource(DATASOURCE).grid_pos(grid).unit(unit)
    if key == "test_coverage":
        steps = [Threshold(color="red"), Threshold(value=threshold, color="green")]
        builder = builder.min(0).max(100).thresholds(
            grafana.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps))
    target = prometheus.Dataquery().expr(exporter.queries[key]).ref_id("A").datasource(DATASOURCE)
    return builder.with_target(target)


def _variable(name: str, query: str) -> Any:
    return (grafana.QueryVariable(name).label(name.replace("_", " ").capitalize()).datasource(DATASOURCE)
            .query(query).multi(True).include_all(True).all_value(".*").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC))


def dashboard_json(exporter: Exporter, threshold: float) -> str:
    """The Grafana dashboard JSON: a datasource variable, the exporter's label variables, seven panels."""
    builder = (grafana.Dashboard("CI quality and DORA metrics").uid("ci-quality").tags(["ci", "dora", exporter.name])
               .description(f"Build, coverage and DORA metrics from {exporter.name} ({exporter.url}).")
               .time("now-30d", "now").timezone("utc").refresh("5m").editable()
               .with_variable(grafana.DatasourceVariable("datasource").label("Data source").type("prometheus")))
    for name, query in exporter.variables.items():
        builder = builder.with_variable(_variable(name, query))
    for index, (key, title, kind, unit, description) in enumerate(PANELS):
        builder = builder.with_panel(_panel(index, key, title, kind, unit, description, exporter, threshold))
    data = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    for variable in data["templating"]["list"]:
        # The SDK writes interval-variable fields on every variable; Grafana's schema has them only there.
        if variable["type"] != "interval":
            for key in INTERVAL_ONLY:
                variable.pop(key, None)
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def alert_rules(exporter: Exporter) -> str:
    """Prometheus alerting rules (rule file YAML) for the exporter's metrics."""
    rules = [{"alert": a["alert"], "expr": a["expr"], "for": a["for"], "labels": {"severity": a["severity"]},
              "annotations": {"summary": a["summary"]}} for a in exporter.alerts]
    return dump({"groups": [{"name": "ci-quality", "rules": rules}]})


def quality_dashboards(design: dict[str, Any]) -> dict[str, Any]:
    """{"files", "metric_queries", "alert_rules", "notes"} for the design's CI platform; empty files when no
    widely used exporter publishes that platform's metrics."""
    platform = str(design["platform"])
    threshold = float(design["quality_gates"].get("test_coverage_threshold", 80))
    if platform not in PROFILES:
        note = (f"No CI quality dashboard for {platform}: none of the supported exporters "
                f"({', '.join(sorted(PROFILES))}) publishes its metrics.")
        return {"files": {}, "metric_queries": {"exporter": None, "queries": {}, "notes": [note]},
                "alert_rules": "", "notes": [note]}
    exporter = PROFILES[platform](str(design.get("default_branch") or "main"), threshold)
    notes = [f"The CI quality dashboard ({DASHBOARD_PATH}) reads metrics from {exporter.name} ({exporter.url}); "
             "deploy it and add it to Prometheus, then import the dashboard and load the alert rules."]
    notes += [f"Dashboard: {reason}" for _, reason in sorted(exporter.missing.items())]
    rules = alert_rules(exporter)
    return {
        "files": {DASHBOARD_PATH: dashboard_json(exporter, threshold), RULES_PATH: rules},
        "metric_queries": {"exporter": {"name": exporter.name, "url": exporter.url},
                           "queries": dict(sorted(exporter.queries.items())), "notes": notes},
        "alert_rules": rules,
        "notes": notes,
    }
