"""A representative MonitoringPlan for the monitoring extras (dashboards, collectors, playbooks, docs, other stacks)
and the golden-file comparison they share."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from generators.monitoring.model import Channel
from generators.monitoring.model import Datastore
from generators.monitoring.model import Endpoint
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Server
from generators.monitoring.model import Service
from generators.monitoring.model import Slo

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "monitoring_extras"
# A team and service name a user could type: quotes, template and shell syntax, a newline.
HOSTILE = 'pay"ments ${x} $(id) `id`\nteam'


def sample_plan(stack: str = "prometheus_grafana") -> MonitoringPlan:
    """Three services: a public tier_1 API on Kubernetes, an internal tier_2 worker, a tier_3 static admin; one
    database; Slack and PagerDuty channels."""
    services = (
        Service(name="checkout", tier="tier_1", tier_reason="public endpoint on the critical path of payments",
                runtime="kubernetes", language="python", team="payments",
                endpoints=(Endpoint(port=8080, path="/", public=True, health_path="/healthz"),),
                depends_on=("orders-db", "worker"), evidence=("k8s/checkout.yaml",)),
        Service(name="worker", tier="tier_2", tier_reason="internal dependency of checkout", runtime="kubernetes",
                language="go", team="payments", endpoints=(Endpoint(port=9090, path="/metrics"),),
                depends_on=("orders-db",), evidence=("k8s/worker.yaml",)),
        Service(name="admin", tier="tier_3", tier_reason="internal tool, no dependants", runtime="static",
                language="javascript", team="backoffice", endpoints=(Endpoint(port=3000),),
                evidence=("docker-compose.yml",)),
    )
    slos = (Slo("checkout", 99.95, 300, 0.05), Slo("worker", 99.9, 1000, 0.1), Slo("admin", 99.0, 2000, 1.0))
    channels = (
        Channel(type="slack", name="slack-payments", config={"channel": "#payments-alerts",
                                                             "webhook_url_secret": "SLACK_WEBHOOK_URL"}),
        Channel(type="pagerduty", name="pagerduty-oncall", config={"routing_key_secret": "PAGERDUTY_ROUTING_KEY"},
                severities=("page",)),
    )
    return MonitoringPlan(
        stack=stack, services=services, slos=slos, channels=channels,
        datastores=(Datastore(name="orders-db", kind="postgresql", used_by=("checkout", "worker"),
                              evidence=("k8s/postgres.yaml",)),),
        servers=(Server(name="node-1", address="10.0.0.11:9100"),),
        repository="acme/shop",
    )


def hostile_plan(stack: str = "prometheus_grafana") -> MonitoringPlan:
    """The sample plan with user-typed team and tier reason full of quoting, template and shell syntax."""
    plan = sample_plan(stack)
    services = tuple(dataclasses.replace(s, team=HOSTILE, tier_reason=HOSTILE) for s in plan.services)
    return dataclasses.replace(plan, services=services, repository='acme/sh"op')


def compare_golden(files: dict[str, str], case: str, update: bool) -> None:
    """Assert the files equal tests/golden/monitoring_extras/<case>/expected/ (rewritten with --update-golden)."""
    root = GOLDEN / case / "expected"
    if update:
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    expected = {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
                for path in sorted(root.rglob("*")) if path.is_file()}
    assert files == expected


def write(files: dict[str, str], root: Path) -> Path:
    """Write generated files under root and return it."""
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root
