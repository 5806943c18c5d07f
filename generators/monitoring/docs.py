"""The operational guide and the compliance notes of the monitoring setup (SPEC section 3 outputs)."""

from __future__ import annotations

import re
from typing import Any

from bot.templating import render
from generators.monitoring import dashboards
from generators.monitoring import logs
from generators.monitoring import traces
from generators.monitoring.longterm import LONGTERM_RETENTION
from generators.monitoring.longterm import PATH as LONGTERM_PATH
from generators.monitoring.longterm import command_line
from generators.monitoring.model import RAW_RETENTION
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Slo
from generators.monitoring.slugs import slug

OPERATIONS = "docs/monitoring/operations.md"
COMPLIANCE = "docs/monitoring/compliance.md"
STACKS = {"prometheus_grafana": "Prometheus, Alertmanager, Grafana, Loki, Tempo", "elk": "Elastic (ELK)",
          "datadog": "Datadog", "new_relic": "New Relic", "custom": "Prometheus-compatible (custom)"}
# Where each stack keeps metrics, logs and traces, and what alerts.
STORES = {
    "prometheus_grafana": ("Prometheus", "Loki", "Tempo", "Alertmanager"),
    "elk": ("Prometheus (Metricbeat to Elasticsearch optional)", "Elasticsearch", "Elastic APM", "Alertmanager"),
    "datadog": ("Datadog", "Datadog Logs", "Datadog APM", "Datadog monitors"),
    "new_relic": ("New Relic", "New Relic Logs", "New Relic traces", "New Relic alert policies"),
}
BACKEND_SECRETS = {
    "prometheus_grafana": [],
    "elk": ["ELASTICSEARCH_PASSWORD", "ELASTIC_APM_SECRET_TOKEN"],
    "datadog": ["DD_API_KEY", "DD_APP_KEY (Terraform only)"],
    "new_relic": ["NEW_RELIC_LICENSE_KEY", "NEW_RELIC_API_KEY (Terraform only)"],
}
SECRET_KEY = re.compile(r"(secret|key|token|password|_file)$", re.IGNORECASE)
SETUP = {
    "prometheus_grafana": [
        "Check every file before applying it: `promtool check config`, `promtool check rules`, "
        "`amtool check-config` (the pull request's tests already ran them).",
        "Deploy node_exporter on every host and blackbox_exporter once; expose the services' metrics "
        "(`docs/monitoring/instrumentation.md`).",
        "Load `prometheus.yml` and the rule files into Prometheus, with "
        f"`--storage.tsdb.retention.time={RAW_RETENTION}`, and `alertmanager.yml` into Alertmanager with the "
        "channel secrets in its environment or secret files.",
        f"Start the long-term Prometheus, which federates only the 5m and 1h aggregates and keeps them "
        f"{LONGTERM_RETENTION}: `{command_line()}`.",
        "Run Loki and Tempo (or point `LOKI_ENDPOINT` and `TEMPO_ENDPOINT` at existing ones).",
        "Deploy Vector with `collectors/vector.yaml` (on Kubernetes as a DaemonSet, for example Vector's Helm "
        "chart in Agent role) and the OpenTelemetry Collector with `collectors/otel-collector.yaml`.",
        "Import the dashboards from `grafana/dashboards/` and check that every panel shows data.",
        "Fire a test alert (`amtool alert add alertname=Test severity=ticket`) and confirm it reaches each channel.",
    ],
    "elk": [
        "Create the index lifecycle policy and index template from `elk/` in Elasticsearch.",
        "Run the Beats/Logstash configs from `elk/` or Vector with `collectors/vector.yaml` (Elasticsearch sink).",
        "Deploy the OpenTelemetry Collector with `collectors/otel-collector.yaml` pointing at Elastic APM.",
        "Keep Prometheus and Alertmanager for metrics and SLO alerts.",
    ],
    "datadog": [
        "Run `terraform init` and `terraform plan` in `datadog/` with `DD_API_KEY` and `DD_APP_KEY` set; review "
        "the monitors and SLOs, then `terraform apply`.",
        "Install the Datadog Agent or ship with Vector (`collectors/vector.yaml`, Datadog sink) and the "
        "OpenTelemetry Collector (Datadog exporter).",
        "Make the services report `http_requests_total` and `http_request_duration_seconds` through the Agent's "
        "OpenMetrics check, which the monitors query.",
    ],
    "new_relic": [
        "Run `terraform init` and `terraform plan` in `newrelic/` with `NEW_RELIC_API_KEY` and "
        "`NEW_RELIC_ACCOUNT_ID` set; review the alert policy and conditions, then `terraform apply`.",
        "Ship logs with Vector (`collectors/vector.yaml`, New Relic sink) and traces with the OpenTelemetry "
        "Collector (OTLP to New Relic).",
        "Send the services' Prometheus metrics to New Relic (Prometheus remote write or the OpenMetrics "
        "integration) so the NRQL conditions find them.",
    ],
}
TROUBLESHOOTING = [
    ("a target is down", "Prometheus → Status → Targets; `up == 0` for that job",
     "check the service's metrics port and path, network policy and the scrape interval"),
    ("a dashboard panel shows no data", "query the recorded series it reads (for example "
     "`service:http_requests:rate5m`) in Prometheus",
     "load the recording rules; check the service exposes `http_requests_total` with a `service` label"),
    ("alerts fire but nobody is notified", "`amtool config routes test --config.file=alertmanager.yml "
     "severity=page team=TEAM`", "fix the route or the receiver's secret; check Alertmanager's logs"),
    ("too many alerts", "the burn-rate panels and the inhibitions", "tune the SLO target, not the alert windows"),
    ("logs are missing", "`vector top` and `vector tap redact`", "check the source's selector or path and the "
     "sink's endpoint and credentials"),
    ("a secret showed up in logs", "`vector tap redact` with a sample line", "add a redaction pattern to "
     "`collectors/vector.yaml` and purge the affected log stream"),
    ("traces are missing", "the collector's health check on port 13133 and its logs",
     "check `OTEL_EXPORTER_OTLP_ENDPOINT` in the service and the exporter credentials"),
    ("Prometheus uses too much memory", "`prometheus_tsdb_head_series` and the top series by label",
     "drop high-cardinality labels (user ids, URLs) at the source or with relabelling"),
]
MAINTENANCE = [
    ("every week", "review fired alerts: each page should have needed a human; retire or retune the others"),
    ("every month", "read the error budget reports; apply the freeze conditions; run one playbook as a dry run"),
    ("every quarter", "review SLO targets with the service owners; rotate channel and backend secrets; update "
     "exporters, Vector and the collector"),
    ("after each architecture change", "re-run `/devops setup monitoring` so new services get scrape configs, "
     "SLOs, dashboards and runbooks"),
    ("when the disk alert predicts full", "check retention settings and the top series before adding storage"),
]


def _slo_text(slo: Slo | None) -> str:
    if slo is None:
        return "none"
    return f"{slo.availability:g} % / {slo.latency_p99_ms:g} ms / {slo.error_rate:g} %"


def mermaid_label(text: str) -> str:
    """Mermaid quoted label text: quotes and markup characters as entity codes."""
    return "".join(f"#{ord(c)};" if c in '"<>#&;`' else c for c in text.replace("\n", " "))


def _services(plan: MonitoringPlan) -> list[dict[str, Any]]:
    ids = {s.name: "s_" + slug(s.name).replace("-", "_") for s in plan.services}
    ids.update({d.name: "d_" + slug(d.name).replace("-", "_") for d in plan.datastores})
    return [{"name": s.name, "id": ids[s.name], "label": mermaid_label(s.name), "tier": s.tier,
             "tier_reason": s.tier_reason, "team": s.team, "runtime": s.runtime,
             "slo": _slo_text(plan.slo_for(s.name)),
             "depends_on": [ids[d] for d in sorted(s.depends_on) if d in ids]}
            for s in sorted(plan.services, key=lambda s: (s.tier, s.name))]


def _dashboards(plan: MonitoringPlan) -> list[dict[str, str]]:
    rows = [{"title": "Executive overview", "path": f"{dashboards.FOLDER}/overview.json",
             "purpose": "availability and error budget of every service, firing alerts"},
            {"title": "Infrastructure status", "path": f"{dashboards.FOLDER}/infrastructure.json",
             "purpose": "CPU, memory, disk and network per host; probe results of public endpoints"}]
    rows += [{"title": f"Service health: {s.name}",
              "path": f"{dashboards.FOLDER}/{dashboards.service_uid(s.name)}.json",
              "purpose": "rate, errors, duration, SLO, error budget and burn rate"}
             for s in sorted(plan.services, key=lambda s: s.name)]
    return rows


def operations(plan: MonitoringPlan) -> str:
    """docs/monitoring/operations.md: architecture, setup, dashboards, alert response, troubleshooting."""
    stack = plan.stack if plan.stack in STORES else "prometheus_grafana"
    metrics_store, log_store, trace_store, alerting = STORES[stack]
    channels = [{"name": c.name, "type": c.type, "severities": ", ".join(c.severities)}
                for c in sorted(plan.channels, key=lambda c: c.name)]
    grafana = stack == "prometheus_grafana"
    return render("monitoring/operations.md.j2", stack_title=STACKS.get(plan.stack, plan.stack),
                  repository=plan.repository, services=_services(plan),
                  datastores=[{"id": "d_" + slug(d.name).replace("-", "_"),
                               "label": mermaid_label(f"{d.name} ({d.kind})")}
                              for d in sorted(plan.datastores, key=lambda d: d.name)],
                  metrics_store=metrics_store, log_store=log_store, trace_store=trace_store, alerting=alerting,
                  setup=SETUP[stack], dashboards=_dashboards(plan) if grafana else [],
                  dashboards_note=f"Dashboards live in {metrics_store}; the pull request lists what it generates "
                                  "for this stack and what it does not.",
                  on_kubernetes=plan.on_kubernetes, runbook_base_url=plan.runbook_base_url, channels=channels,
                  troubleshooting=TROUBLESHOOTING, maintenance=MAINTENANCE)


def _secrets(plan: MonitoringPlan, stack: str) -> list[str]:
    # Key names only: a value is a reference by contract, but printing it would leak one typed in by mistake.
    names = [f"{c.name}: {key}" for c in sorted(plan.channels, key=lambda c: c.name)
             for key in sorted(c.config) if SECRET_KEY.search(str(key))]
    return names + BACKEND_SECRETS[stack]


def compliance(plan: MonitoringPlan) -> str:
    """docs/monitoring/compliance.md: retention, personal data, access, encryption, regulatory mappings."""
    stack = plan.stack if plan.stack in STORES else "prometheus_grafana"
    _, log_store, trace_store, _ = STORES[stack]
    prometheus = stack in ("prometheus_grafana", "elk")
    if prometheus:
        retention = [
            ("raw metric samples", "Prometheus", RAW_RETENTION, f"`--storage.tsdb.retention.time={RAW_RETENTION}`"),
            ("5-minute aggregates", "recording rules, long-term Prometheus (federated)", LONGTERM_RETENTION,
             f"`--storage.tsdb.retention.time={LONGTERM_RETENTION}` on `{LONGTERM_PATH}`'s Prometheus"),
            ("1-hour aggregates", "recording rules, long-term Prometheus (federated)", LONGTERM_RETENTION,
             f"`--storage.tsdb.retention.time={LONGTERM_RETENTION}` on `{LONGTERM_PATH}`'s Prometheus"),
        ]
    else:
        retention = [("metrics", STORES[stack][0], "the plan's metric retention", "account settings")]
    log_rule = {"elk": "the index lifecycle policy in `elk/` (delete phase)",
                "prometheus_grafana": "Loki `retention_period: 720h` with the compactor (Loki's config is not "
                                      "generated)"}.get(stack, "account log retention settings")
    retention += [
        ("logs", log_store, "30 days", log_rule),
        ("traces", trace_store, "7 days (sampled)", "backend retention; tail sampling keeps errors, slow traces and "
         f"{traces.BASELINE_PERCENT} % of the rest"),
        ("playbook audit log", "`$AUDIT_LOG` on the operator's host, Kubernetes audit log", "365 days",
         "ship the file with Vector; keep the API server audit policy"),
    ]
    access = [
        ("Grafana", "Viewer for all engineers; Editor for service teams; Admin for the platform team",
         "sign in through the company identity provider; no anonymous access"),
        ("Prometheus and Alertmanager", "platform team and on-call", "they have no user accounts: put them behind "
         "an authenticating proxy or keep them cluster-internal"),
        ("logs", "service teams for their services; security for all", "redacted before shipping"),
        ("playbooks", "on-call runs them; a second person approves", "Kubernetes: allow `patch` on Jobs only to "
         "approvers; scripts refuse the operator as approver"),
    ]
    shipping = {"prometheus_grafana": "Loki's default endpoint (`http://loki:3100`) is plain HTTP inside the "
                                      "cluster: set `LOKI_ENDPOINT` to an `https` URL for a remote Loki; OTLP to "
                                      "Tempo uses TLS (the exporter's default)",
                "elk": "HTTPS to Elasticsearch (default endpoint) and TLS gRPC to Elastic APM",
                "datadog": "HTTPS to Datadog's intake", "new_relic": "HTTPS and TLS gRPC to New Relic's endpoints"}
    encryption = [
        ("services → Prometheus scrapes" if prometheus else "services → agent", "not encrypted by the generated "
         "config: plain HTTP inside the cluster or private network; add a TLS web config or a service mesh where "
         "the network is shared"),
        ("Vector and the collector → backends", shipping[stack]),
        ("alert notifications", "TLS to Slack, PagerDuty, email relays and webhooks (`https` URLs)"),
        ("data at rest", "as the storage volumes and the vendor provide: enable volume encryption for the metric, "
         "log and trace stores' disks"),
    ]
    regulatory = [
        ("GDPR Art. 5(1)(c), 25 (data minimisation, privacy by design)", "log redaction of emails, card numbers "
         "and identifiers before shipping; metrics without personal labels", "review span attributes in traces"),
        ("GDPR Art. 5(1)(e) (storage limitation)", "retention limits above", "apply them in the log store"),
        ("PCI DSS v4 req. 3 and 10", "card numbers redacted from logs; audit lines for every remediation",
         "keep audit logs 12 months, 3 months online"),
        ("SOC 2 CC7.2 and CC7.3 (monitoring and incident response)", "SLO alerts, routing, runbooks and this "
         "guide's response procedure", "keep incident records and post-incident reviews"),
        ("ISO/IEC 27001:2022 A.8.15, A.8.16 (logging, monitoring)", "central logs and alerting",
         "protect logs from tampering (write-once storage)"),
    ]
    redactions = ", ".join(name for name, _ in logs.REDACTIONS) + ", US social security numbers"
    return render("monitoring/compliance.md.j2", retention=retention, redactions=redactions, access=access,
                  secrets=_secrets(plan, stack), encryption=encryption, regulatory=regulatory)


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """The operational guide and the compliance notes as {path: Markdown}."""
    return {COMPLIANCE: compliance(plan), OPERATIONS: operations(plan)}

