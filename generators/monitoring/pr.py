"""The monitoring pull request's title and body: what was found, why each tier, what to set up, what is missing."""

from __future__ import annotations

from typing import Any

from generators.monitoring.alertmanager import DEFAULT_SECRETS
from generators.monitoring.alertmanager import SECRETS_DIR
from generators.monitoring.longterm import LONGTERM_RETENTION
from generators.monitoring.longterm import MAIN_PROMETHEUS
from generators.monitoring.longterm import PATH as LONGTERM_PATH
from generators.monitoring.longterm import command_line
from generators.monitoring.model import RAW_RETENTION
from generators.monitoring.model import SCRAPE_INTERVAL
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import error_ratio
from generators.monitoring.model import slo_error_budget_remaining
from generators.monitoring.ruleset import Rule
from generators.monitoring.slo import number

NOT_GENERATED = (
    "ML anomaly detection and seasonal baselines (the SPEC's `ml_models`): no offline-checkable format exists; "
    "the predictive alerts use `predict_linear` instead.",
    "Cost tracking and security posture dashboards: no metrics for them are known from the repository.",
)


def _code(value: object) -> str:
    text = str(value).replace("`", "'").replace("\n", " ")
    return f"`{text}`"


def secrets_needed(plan: MonitoringPlan) -> list[str]:
    """Every secret file or environment variable the generated files reference, as sentences."""
    needed = []
    for channel in plan.channels:
        config = channel.config
        if channel.type == "slack":
            needed.append(f"{SECRETS_DIR}/{config.get('webhook_url_secret', DEFAULT_SECRETS['slack'])}: the Slack "
                          f"incoming-webhook URL for {config['channel']}")
        elif channel.type == "pagerduty":
            needed.append(f"{SECRETS_DIR}/{config['routing_key_secret']}: the PagerDuty Events v2 routing key")
        elif channel.type == "email" and config.get("password_secret"):
            needed.append(f"{SECRETS_DIR}/{config['password_secret']}: the SMTP password")
        elif channel.type == "webhook" and config.get("url_secret"):
            needed.append(f"{SECRETS_DIR}/{config['url_secret']}: the webhook URL")
        elif channel.type == "sms":
            needed.append("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in Alertmanager's environment: SMS goes "
                          "through Amazon SNS")
    return needed


def pull_request(plan: MonitoringPlan, infrastructure: dict[str, Any], alerts: list[Rule],
                 files: dict[str, str], stack_not_generated: list[str] | None = None) -> dict[str, str]:
    """{"title", "body"} of the monitoring pull request; `stack_not_generated` adds the stack's own gaps."""
    prometheus = "prometheus/prometheus.yml" in files
    count = len(plan.services)
    title = f"Monitoring ({plan.stack}): SLOs, burn-rate alerts and routing for {count} service" + \
        ("s" if count != 1 else "")
    lines = [f"This pull request sets up monitoring with the `{plan.stack}` stack. The inventory came from "
             f"{_source(infrastructure.get('source', ''))}.", "", "## Services, tiers and SLOs", "",
             "| service | tier | why | scrape | availability | p99 | error rate | team |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for service in plan.services:
        slo = plan.slo_for(service.name)
        lines.append(f"| {_code(service.name)} | {service.tier} | {service.tier_reason} | "
                     f"{SCRAPE_INTERVAL[service.tier]} | {number(slo.availability) + ' %' if slo else '–'} | "
                     f"{number(slo.latency_p99_ms) + ' ms' if slo else '–'} | "
                     f"{number(slo.error_rate) + ' %' if slo else '–'} | {_code(service.team)} |")
    if plan.datastores:
        lines += ["", "Datastores: " + ", ".join(f"{_code(d.name)} ({d.kind}, used by "
                                                  f"{', '.join(d.used_by) or 'nobody found'})" for d in plan.datastores)
                  + "."]
    paths = infrastructure.get("critical_paths") or []
    spofs = infrastructure.get("single_points_of_failure") or []
    lines += ["", "## Critical paths and single points of failure", ""]
    lines += [f"- {' → '.join(path)}" for path in paths] or ["- No public service was found, so no critical path."]
    lines += [f"- **{_code(s['component'])}**: {s['reason']}" for s in spofs]
    lines += ["", "## Error budgets", "",
              "Each SLO is measured over 30 days. Pages fire when the budget burns 14.4× too fast over 1 h and 5 m, "
              "or 6× over 6 h and 30 m; tickets at 3× over 1 d and 2 h, or 1× over 3 d and 6 h (the SRE workbook's "
              f"multi-window, multi-burn-rate alerts). `{slo_error_budget_remaining()}` reports the budget left; "
              f"`{error_ratio('5m')}` is the 5-minute error ratio.",
              "",
              "**Freeze condition**: while `ErrorBudgetExhausted` fires for a service, only fixes and rollbacks are "
              "deployed to it.",
              "", "## Alerts", ""]
    lines += ["Every alert has `severity`, `team`, a summary, a description and a runbook:" if prometheus else
              f"The {plan.stack} monitors link these runbooks, one per alert of the Prometheus equivalent:", ""]
    for name in sorted({rule.alert or "" for rule in alerts}):
        lines.append(f"- [{name}](docs/runbooks/{name}.md)")
    lines += ["", "## Before merging", ""]
    if prometheus:
        secrets = secrets_needed(plan)
        lines += [f"- Create {item}." for item in secrets] or ["- No alerting channel was given: alerts reach no one "
                                                               "until you add one (`monitoring.alert_channels`)."]
        lines.append(f"- Run Prometheus with `--storage.tsdb.retention.time={RAW_RETENTION}`.")
        lines.append(f"- Run a second Prometheus for the 5m and 1h aggregates, {LONGTERM_RETENTION}: `{command_line()}` "
                     f"(`{LONGTERM_PATH}` federates only the recording-rule aggregates from `{MAIN_PROMETHEUS}`; "
                     "change that target if the main Prometheus has another address).")
    lines += ["- Instrument each service with `http_requests_total{code}` and the "
              "`http_request_duration_seconds` histogram (with a bucket at its p99 objective)."]
    if prometheus:
        lines += ["", "## Checked", "",
                  f"- `promtool check config prometheus/prometheus.yml {LONGTERM_PATH}`",
                  "- `promtool check rules --lint-fatal prometheus/rules/*.yml`",
                  "- `promtool test rules prometheus/tests/*.yml`: per SLO, a 20× burn pages, a 4× burn opens only a "
                  "ticket, half the budget fires nothing; a node down, a full or filling disk, low memory and a "
                  "datastore near its connection limit each fire their alert",
                  "- `amtool check-config alertmanager/alertmanager.yml`"]
    lines += ["", "## Not generated", ""]
    lines += [f"- {item}" for item in (NOT_GENERATED if prometheus else NOT_GENERATED[:1])]
    lines += [f"- {item}" for item in stack_not_generated or []]
    notes = infrastructure.get("notes") or []
    if notes:
        lines += ["", "## Notes on the inventory", ""] + [f"- {note}" for note in notes]
    lines += ["", f"<details><summary>{len(files)} files</summary>", ""]
    lines += [f"- `{path}`" for path in sorted(files)]
    lines += ["", "</details>", ""]
    return {"title": title, "body": "\n".join(lines)}


def _source(source: str) -> str:
    return {"repository": "the repository (project analysis, Kubernetes manifests, compose files, Terraform)",
            "infrastructure_inventory": "the `infrastructure_inventory` input",
            ".devops.yml": "`monitoring.inventory` in `.devops.yml`"}.get(source, source or "the input")
