"""New Relic as Terraform: one alert policy, NRQL burn-rate and p99 latency conditions per service over the
services' Prometheus metrics (sent with Prometheus remote write, so histograms arrive as `_bucket` series)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.templating import render
from generators.monitoring.model import REQUEST_DURATION
from generators.monitoring.model import REQUESTS_TOTAL
from generators.monitoring.model import SERVICE_LABEL
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Service
from generators.monitoring.model import Slo
from generators.monitoring.stacks.common import BURN_ALERTS
from generators.monitoring.stacks.common import describe
from generators.monitoring.stacks.common import resource_id

FOLDER = "newrelic"
# NRQL aggregation windows stop at 6 hours, so the 1-day ticket alert has no New Relic equivalent.
MAX_WINDOW_SECONDS = 21600


def nrql_string(value: str) -> str:
    """An NRQL single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def runbook_url(plan: MonitoringPlan) -> str:
    """The runbooks folder on GitHub when the repository is known, else its path in the repository."""
    folder = plan.runbook_base_url.strip("/")
    if plan.repository and "://" not in folder:
        return f"https://github.com/{quote(plan.repository)}/tree/HEAD/{quote(folder)}"
    return folder


def _view(plan: MonitoringPlan, service: Service, slo: Slo) -> dict[str, Any]:
    where = f"WHERE {SERVICE_LABEL} = {nrql_string(service.name)}"
    who = describe(service)
    burn = [{"id": alert.id, "long": alert.long, "burn": alert.burn, "severity": alert.severity,
             "window_seconds": alert.window_seconds,
             "threshold": f"{round(alert.burn * slo.error_budget, 10):g}",
             "name": f"{service.name}: error budget burn {alert.burn:g}x over {alert.long} ({alert.severity})",
             "message": f"{who} spends its {slo.availability:g} % availability budget {alert.burn:g} times too "
                        f"fast over {alert.long}."}
            for alert in BURN_ALERTS if alert.window_seconds <= MAX_WINDOW_SECONDS]
    return {
        "name": service.name, "id": resource_id(service.name), "burn_alerts": burn,
        "error_ratio_query": f"SELECT filter(sum({REQUESTS_TOTAL}), WHERE code LIKE '5%') / sum({REQUESTS_TOTAL}) "
                             f"FROM Metric {where}",
        "latency_query": f"SELECT bucketPercentile({REQUEST_DURATION}_bucket, 99) FROM Metric {where}",
        "latency_ms": f"{slo.latency_p99_ms:g}", "latency_threshold": f"{round(slo.latency_p99_ms / 1000, 6):g}",
        "latency_message": f"{who}: p99 latency above {slo.latency_p99_ms:g} ms for 10 minutes.",
    }


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """newrelic/main.tf and newrelic/README.md."""
    services = [_view(plan, s, slo) for s in sorted(plan.services, key=lambda s: s.name)
                if (slo := plan.slo_for(s.name)) is not None]
    name = f"{plan.repository} services" if plan.repository else "services"
    runbook = runbook_url(plan)
    main = render("monitoring/stacks/newrelic_main.tf.j2", services=services, policy_name=name, runbook_url=runbook)
    readme = render("monitoring/stacks/newrelic_README.md.j2")
    return {f"{FOLDER}/README.md": readme, f"{FOLDER}/main.tf": main}
