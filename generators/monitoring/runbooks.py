"""docs/runbooks/<alert>.md: one runbook per alert name, linked from every alert's runbook_url."""

from __future__ import annotations

from generators.monitoring.ruleset import Rule

SEVERITY_TEXT = {"page": "**page**: someone is woken up; act now.",
                 "ticket": "**ticket**: handle it in business hours; it waits for the morning."}


def runbooks(alerts: list[Rule]) -> dict[str, str]:
    """One Markdown runbook per alert name, covering every service the alert exists for."""
    by_name: dict[str, list[Rule]] = {}
    for rule in alerts:
        by_name.setdefault(rule.alert or "", []).append(rule)
    return {f"docs/runbooks/{name}.md": _runbook(name, rules) for name, rules in sorted(by_name.items())}


def _runbook(name: str, rules: list[Rule]) -> str:
    first = rules[0]
    severities = sorted({dict(r.labels).get("severity", "") for r in rules})
    lines = [f"# {name}", "", first.description.replace("{{ $labels.", "<").replace(" }}", ">"), "",
             "## Severity", ""]
    lines += [f"- {SEVERITY_TEXT.get(s, s)}" for s in severities]
    lines += ["", "## Where it fires", "", "| labels | expression |", "| --- | --- |"]
    for rule in rules:
        labels = ", ".join(f"`{k}={v}`" for k, v in rule.labels)
        expr = " ".join(rule.expr.split()).replace("|", "\\|")
        lines.append(f"| {labels} | `{expr}` |")
    lines += ["", "## First checks", "", "Run these in Prometheus (or open the service-health dashboard):", ""]
    for check in sorted({c for r in rules for c in r.checks}):
        lines.append(f"- `{check}`")
    lines += ["", "## Remedy", ""]
    seen: list[str] = []
    for step in (s for r in rules for s in r.remedy):
        if step not in seen:
            seen.append(step)
    lines += [f"{index}. {step}" for index, step in enumerate(seen, 1)]
    lines += ["", "Remediation playbooks (playbooks/) run in dry-run mode first and need an approver; the bot never "
              "runs them by itself.", "", "## Escalation", "",
              "If the first checks do not explain it within 15 minutes (pages) or one business day (tickets), hand "
              "over to the owning team named in the `team` label and say what you checked.", ""]
    return "\n".join(lines)
