"""What people see about `/devops setup monitoring` on GitHub and Slack."""

from __future__ import annotations

from bot.templating import markdown_code

DEFAULT_STACK = "prometheus_grafana"


def no_options(option: str) -> str:
    """A problem line: `setup monitoring` takes only a stack."""
    return (f"{markdown_code(option)} is not an option of `setup monitoring`; it takes only a stack, and reads "
            "channels, SLA and inventory from `monitoring` in `.devops.yml`.")


def heading(stack: str) -> str:
    """Heading of the status comment of a `setup monitoring` run."""
    return f"Setting up monitoring with {markdown_code(stack)}."


def started(stack: str) -> str:
    """First text of the status comment."""
    return f"Setting up monitoring with {markdown_code(stack)}: reading the repository…"


def outcome(kind: str, number: int | None, url: str | None, branch: str) -> str:
    """Final status: the pull request opened, updated or unchanged, or nothing to propose."""
    from bot import messages

    return messages.publish_outcome(kind, number, url, branch, what="the monitoring setup")


def slack_queued(repository: str, stack: str) -> str:
    """Slack ack of `/devops setup monitoring owner/repo`."""
    return f"Setting up monitoring ({stack}) for {repository}; I will post the pull request here."


def slack_usage() -> str:
    """Slack help for /devops."""
    return ("Usage: `/devops setup monitoring OWNER/REPO [STACK]` opens a pull request with Prometheus, SLO burn-rate "
            "alerts, Alertmanager routing, dashboards and runbooks for that repository. STACK: prometheus_grafana "
            "(default), elk, datadog, new_relic.")
