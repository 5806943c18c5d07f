"""What the vendor stacks share: the burn-rate alerts of the SRE workbook, notification handles, tags."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.templating import hcl_string
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Service
from generators.monitoring.slugs import slug


@dataclass(frozen=True)
class BurnAlert:
    """A multi-window burn-rate alert: page or ticket when `burn` times the budget rate holds over both windows."""

    id: str
    long: str
    short: str
    burn: float
    severity: str
    window_seconds: int


# Google SRE workbook, table 5-8 (the 3-day ticket window as Datadog allows: at most 48 h, so 1 day at 3x).
BURN_ALERTS = (
    BurnAlert("burn_fast", "1h", "5m", 14.4, "page", 3600),
    BurnAlert("burn_slow", "6h", "30m", 6.0, "page", 21600),
    BurnAlert("burn_ticket", "1d", "2h", 3.0, "ticket", 86400),
)


def resource_id(name: str) -> str:
    """A Terraform resource name from a service name (letters, digits, underscores; starts with a letter)."""
    text = slug(name).replace("-", "_")
    return text if text[0].isalpha() else f"s_{text}"


def tag_value(text: str) -> str:
    """A Datadog/New Relic tag value: lowercase letters, digits and `_-./`, at most 200 characters."""
    return re.sub(r"[^a-z0-9_\-./]+", "_", text.lower()).strip("_")[:200] or "none"


def hcl_list(values: list[str]) -> str:
    """An HCL list of string literals."""
    return "[" + ", ".join(hcl_string(value) for value in values) + "]"


def handles(plan: MonitoringPlan, severity: str) -> list[str]:
    """Datadog-style @-mentions of the channels that take this severity (integration handles the team creates)."""
    mentions = []
    for channel in sorted(plan.channels, key=lambda c: c.name):
        if severity not in channel.severities:
            continue
        if channel.type == "email" and "@" in str(channel.config.get("to", "")):
            mentions.append("@" + re.sub(r"[^A-Za-z0-9@._+-]", "", str(channel.config["to"])))
        elif channel.type == "slack" and str(channel.config.get("channel", "")).strip("#"):
            mentions.append(f"@slack-{slug(str(channel.config['channel']).strip('#'))}")
        else:
            mentions.append(f"@{channel.type}-{slug(channel.name.removeprefix(channel.type + '-'))}")
    return mentions


def describe(service: Service) -> str:
    """One line about a service for alert texts: tier and team (user text, escaped by the target's serializer)."""
    return f"{service.name} ({service.tier}, team {service.team})"
