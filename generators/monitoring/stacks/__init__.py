"""Other monitoring stacks (elk, datadog, new_relic): their own files where the format is public and checkable,
and plain sentences for the pull request about what is not generated.

Each stack module is named after the stack (`stacks.elk`, `stacks.datadog`, `stacks.new_relic`) and has its own
`generate(plan)`; `generate` here picks the plan's."""

from __future__ import annotations

from generators.monitoring.model import MonitoringPlan
from generators.monitoring.stacks import datadog
from generators.monitoring.stacks import elk
from generators.monitoring.stacks import new_relic

GENERATORS = {"elk": elk.generate, "datadog": datadog.generate, "new_relic": new_relic.generate}
NOT_GENERATED = {
    "prometheus_grafana": [
        "Loki and Tempo server configurations are not generated: Vector and the OpenTelemetry Collector point at "
        "them through LOKI_ENDPOINT and TEMPO_ENDPOINT.",
    ],
    "elk": [
        "Kibana dashboards and saved searches are not generated (Kibana's saved-object format is not checkable "
        "offline), and the Grafana dashboards come only with the prometheus_grafana stack.",
        "Elasticsearch alerting rules are not generated: SLO and saturation alerts stay in Prometheus and "
        "Alertmanager.",
        "filebeat.yml and the Logstash pipeline were checked for structure, not by Filebeat or Logstash "
        "themselves (neither is installable offline).",
    ],
    "datadog": [
        "Datadog dashboards are not generated; the monitors and SLOs are.",
        "Datadog notification integrations (Slack, PagerDuty, webhooks) are not generated: the monitors mention "
        "@-handles that must exist in Datadog (listed in datadog/README.md).",
        "The Datadog Agent's OpenMetrics check is described in datadog/README.md, not generated as Agent "
        "configuration.",
    ],
    "new_relic": [
        "New Relic dashboards and service levels are not generated; the alert policy and NRQL conditions are.",
        "New Relic notification destinations and workflows are not generated: connect the policy to them in "
        "New Relic.",
        "The 1-day ticket burn-rate alert has no New Relic equivalent (NRQL aggregation windows stop at 6 hours), "
        "and each condition uses its long window only, without the short confirmation window.",
    ],
    "custom": ["A custom stack gets only the Prometheus-compatible files; nothing vendor-specific is generated."],
}


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """The stack's own files as {path: text}; empty for prometheus_grafana and custom."""
    generator = GENERATORS.get(plan.stack)
    return dict(sorted(generator(plan).items())) if generator else {}


def not_generated(plan: MonitoringPlan) -> list[str]:
    """Sentences for the pull request body: what this stack does not get."""
    return list(NOT_GENERATED.get(plan.stack, []))
