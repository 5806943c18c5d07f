"""Datadog as Terraform: a metric SLO per service, multi-window burn-rate `slo alert` monitors, p99 latency and
host monitors. Metrics arrive through the Agent's OpenMetrics check (namespace `app`, histograms as
distributions), so `http_requests_total` is `app.http_requests.count`."""

from __future__ import annotations

from typing import Any

from bot.templating import render
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Service
from generators.monitoring.model import Slo
from generators.monitoring.stacks.common import BURN_ALERTS
from generators.monitoring.stacks.common import describe
from generators.monitoring.stacks.common import handles
from generators.monitoring.stacks.common import hcl_list
from generators.monitoring.stacks.common import resource_id
from generators.monitoring.stacks.common import tag_value

FOLDER = "datadog"
NAMESPACE = "app"
REQUESTS = f"{NAMESPACE}.http_requests.count"
DURATION = f"{NAMESPACE}.http_request_duration_seconds"


def datadog_text(text: str) -> str:
    """User text inside a monitor message: no @-mentions and no {{ }} template variables."""
    return text.replace("@", "(at)").replace("{{", "{ {").replace("}}", "} }")


def _view(plan: MonitoringPlan, service: Service, slo: Slo) -> dict[str, Any]:
    scope = f"service:{tag_value(service.name)}"
    who = datadog_text(describe(service))
    guide = f"Runbooks: {plan.runbook_base_url}/ and docs/monitoring/operations.md"
    burn = []
    for alert in BURN_ALERTS:
        mentions = " ".join(handles(plan, alert.severity))
        burn.append({
            "id": alert.id, "long": alert.long, "short": alert.short, "burn_text": f"{alert.burn:g}",
            "priority": 1 if alert.severity == "page" else 3,
            "name": f"{service.name}: error budget burn {alert.burn:g}x over {alert.long} ({alert.severity})",
            "message": f"{who} spends its {slo.availability:g} % availability budget {alert.burn:g} times too fast "
                       f"over {alert.long} and {alert.short}. {guide}\n{mentions}".strip(),
        })
    threshold = round(slo.latency_p99_ms / 1000, 6)
    return {
        "name": service.name, "id": resource_id(service.name), "tier": service.tier,
        "description": f"Share of non-5xx responses of {who}; tier reason: {datadog_text(service.tier_reason)}",
        "tags": hcl_list(sorted({scope, f"team:{tag_value(service.team)}", f"tier:{service.tier}",
                                 "managed-by:devops-bot"})),
        "good": f"sum:{REQUESTS}{{{scope},!code:5*}}.as_count()",
        "total": f"sum:{REQUESTS}{{{scope}}}.as_count()",
        "target": f"{slo.availability:g}",
        "burn_alerts": burn,
        "latency_query": f"percentile(last_10m):p99:{DURATION}{{{scope}}} > {threshold:g}",
        "latency_threshold": f"{threshold:g}",
        "latency_message": f"{who}: p99 latency above {slo.latency_p99_ms:g} ms for 10 minutes. {guide}\n"
                           + " ".join(handles(plan, "ticket")),
    }


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """datadog/main.tf and datadog/README.md."""
    services = [_view(plan, s, slo) for s in sorted(plan.services, key=lambda s: s.name)
                if (slo := plan.slo_for(s.name)) is not None]
    host_message = "Resource saturation on {{host.name}}: see docs/monitoring/operations.md. " + " ".join(
        handles(plan, "ticket"))
    main = render("monitoring/stacks/datadog_main.tf.j2", services=services, hosts=bool(plan.servers),
                  disk_message=host_message, memory_message=host_message)
    readme = render("monitoring/stacks/datadog_README.md.j2", namespace=NAMESPACE,
                    mentions=sorted({m for severity in ("page", "ticket") for m in handles(plan, severity)}))
    return {f"{FOLDER}/README.md": readme, f"{FOLDER}/main.tf": main}
