"""Prometheus metrics shared by the web app and the workers.

With several web or worker processes, set PROMETHEUS_MULTIPROC_DIR to an empty directory
writable by all of them: prometheus_client then keeps the values in files there, and
`/metrics` adds up every process.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import REGISTRY
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import disable_created_metrics
from prometheus_client import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# The *_created series double the output and nobody graphs them.
disable_created_metrics()

WEBHOOK_DELIVERIES = Counter(
    "devops_bot_webhook_deliveries",
    "Webhook deliveries received, by event and what the bot did with them.",
    ["source", "event", "outcome"],
)
JOBS = Counter(
    "devops_bot_jobs",
    "Jobs run by workers, by kind (setup_ci, help, reply, …) and final status (succeeded, failed, refused, retried).",
    ["kind", "status"],
)
STEP_DURATION = Histogram(
    "devops_bot_step_duration_seconds",
    "Time spent in each pipeline step.",
    ["pipeline", "step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def count_delivery(source: str, event: str, outcome: str) -> None:
    """Count one webhook delivery (source "github" or "slack")."""
    WEBHOOK_DELIVERIES.labels(source=source, event=event, outcome=outcome).inc()


def render(multiproc_dir: str | None = None) -> tuple[bytes, str]:
    """The metrics in Prometheus text format and their content type."""
    if multiproc_dir:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=multiproc_dir)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
