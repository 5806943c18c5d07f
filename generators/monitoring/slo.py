"""Per-service SLO rules: error budgets and multi-window, multi-burn-rate alerts (Google SRE workbook).

The windows and factors are the ones Sloth and Pyrra generate for a 30-day SLO:
page when 2 % of the budget burns in 1 h (14.4x over 1h and 5m) or 5 % in 6 h (6x over 6h and 30m);
ticket when 10 % burns in 1 day (3x over 1d and 2h) or 10 % in 3 days (1x over 3d and 6h).
The short window stops the alert soon after the burn stops.
"""

from __future__ import annotations

from dataclasses import dataclass

from generators.monitoring.model import REQUEST_DURATION
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Service
from generators.monitoring.model import Slo
from generators.monitoring.model import error_ratio
from generators.monitoring.model import latency_slow_ratio
from generators.monitoring.model import slo_error_budget_remaining
from generators.monitoring.recording import BURN_WINDOWS
from generators.monitoring.ruleset import Group
from generators.monitoring.ruleset import Rule
from generators.monitoring.ruleset import RuleFile
from generators.monitoring.ruleset import le_matcher
from generators.monitoring.ruleset import quote

LATENCY_OBJECTIVE = 99.0  # "p99 under X ms" is "99 % of requests faster than X ms"


@dataclass(frozen=True)
class Burn:
    severity: str
    duration: str
    conditions: tuple[tuple[float, str, str], ...]  # (factor, long window, short window)
    exhausts: str                                   # how fast the budget goes at the larger factor


BURNS = (
    Burn("page", "2m", ((14.4, "1h", "5m"), (6.0, "6h", "30m")), "about 2 days"),
    Burn("ticket", "15m", ((3.0, "1d", "2h"), (1.0, "3d", "6h")), "about 10 days"),
)


def number(value: float) -> str:
    """A float as PromQL and YAML show it: 0.001, 14.4, 6."""
    return f"{value:.10g}"


def burn_expr(ratio: str, selector: str, budget: float, burn: Burn) -> str:
    """(long > f*b and short > f*b) or (...) for each window pair of the burn."""
    parts = [f"(\n  {ratio}{window}{selector} > ({number(factor)} * {number(budget)})\nand\n"
             f"  {ratio}{short}{selector} > ({number(factor)} * {number(budget)})\n)"
             for factor, window, short in burn.conditions]
    return "\nor\n".join(parts)


def slo_file(plan: MonitoringPlan, service: Service, slo: Slo) -> RuleFile:
    """prometheus/rules/slo-<service>.yml: latency SLI, budget remaining and the SLO alerts of one service."""
    selector = "{service=" + quote(service.name) + "}"
    threshold = slo.latency_p99_ms / 1000
    bucket = f'{REQUEST_DURATION}_bucket{{service={quote(service.name)},le=~"{le_matcher(threshold)}"}}'
    count = f"{REQUEST_DURATION}_count{selector}"
    latency_sli = tuple(Rule(
        record=latency_slow_ratio(w),
        expr=f"1 - (\n  sum by (service) (rate({bucket}[{w}]))\n/\n  sum by (service) (rate({count}[{w}]))\n)")
        for w in BURN_WINDOWS)
    budget = Rule(record=slo_error_budget_remaining(), labels=(("slo", "availability"),),
                  expr=f"1 - ({error_ratio('30d')}{selector} / {number(slo.error_budget)})")
    alerts = _burn_alerts(plan, service, slo, selector) + _objective_alerts(plan, service, slo, selector, bucket, count)
    return RuleFile(f"prometheus/rules/slo-{service.name}.yml", (
        Group(f"slo-{service.name}-sli", latency_sli + (budget,)),
        Group(f"slo-{service.name}-alerts", alerts),
    ))


def labels(owner: Service, severity: str, **extra: str) -> tuple[tuple[str, str], ...]:
    """severity, team and tier on every service alert (Alertmanager routes on them)."""
    return tuple(sorted({"severity": severity, "team": owner.team, "tier": owner.tier, **extra}.items()))


def runbook(plan: MonitoringPlan, alert: str) -> str:
    """Where the runbook of `alert` is: the PR adds docs/runbooks/<alert>.md."""
    return f"{plan.runbook_base_url.rstrip('/')}/{alert}.md"


def _burn_alerts(plan: MonitoringPlan, service: Service, slo: Slo, selector: str) -> tuple[Rule, ...]:
    latency_budget = round(1 - LATENCY_OBJECTIVE / 100, 10)
    rules = []
    for kind, ratio, budget, objective in (
            ("availability", error_ratio(""), slo.error_budget,
             f"{number(slo.availability)} % of requests without a 5xx"),
            ("latency", latency_slow_ratio(""), latency_budget,
             f"{number(LATENCY_OBJECTIVE)} % of requests faster than {number(slo.latency_p99_ms)} ms")):
        for burn in BURNS:
            name = f"{kind.capitalize()}BudgetBurn{burn.severity.capitalize()}"
            pairs = "; ".join(f"{number(f)}x over {w} and {s}" for f, w, s in burn.conditions)
            rules.append(Rule(
                alert=name, expr=burn_expr(ratio, selector, budget, burn), duration=burn.duration,
                labels=labels(service, burn.severity, service=service.name, slo=kind),
                summary=f"{service.name} is burning its {kind} error budget too fast ({burn.severity})",
                description=(f"The {kind} SLO of {service.name} is {objective} over 30 days (error budget "
                             f"{number(budget * 100)} % of requests). The budget burns faster than {pairs}; at "
                             f"that pace it is gone in {burn.exhausts}."),
                runbook_url=runbook(plan, name),
                checks=(f"{ratio}5m{selector}", f"{ratio}1h{selector}", f"{slo_error_budget_remaining()}{selector}"),
                remedy=("If a deploy started the burn, roll it back (`/deploy rollback` or the CI rollback job).",
                        "Find the failing route or dependency on the service-health dashboard.",
                        "Scale out if the service is saturated (playbooks/scale-service.sh)."),
            ))
    return tuple(rules)


def _objective_alerts(plan: MonitoringPlan, service: Service, slo: Slo, selector: str, bucket: str,
                      count: str) -> tuple[Rule, ...]:
    limit = number(slo.error_rate / 100)
    return (
        Rule(alert="ErrorRateAboveSla", duration="10m", expr=f"{error_ratio('5m')}{selector} > {limit}",
             labels=labels(service, "ticket", service=service.name, slo="error_rate"),
             summary=f"{service.name} answers more than {number(slo.error_rate)} % of requests with a 5xx",
             description=f"The 5xx ratio of {service.name} over 5 minutes has stayed above the SLA error rate "
                         f"{number(slo.error_rate)} % for 10 minutes.",
             runbook_url=runbook(plan, "ErrorRateAboveSla"),
             checks=(f"{error_ratio('5m')}{selector}",),
             remedy=("Look for the failing route in the logs of the last deploy.",)),
        Rule(alert="ErrorBudgetExhausted", duration="15m",
             expr=f"{slo_error_budget_remaining()}{selector} <= 0",
             labels=labels(service, "ticket", service=service.name, slo="availability"),
             summary=f"{service.name} has used its whole 30-day availability error budget",
             description=f"{service.name} failed more than {number(slo.error_budget * 100)} % of its requests over "
                         "30 days. Freeze condition: until the budget recovers, only fixes and rollbacks are "
                         "deployed to it.",
             runbook_url=runbook(plan, "ErrorBudgetExhausted"),
             checks=(f"{slo_error_budget_remaining()}{selector}",),
             remedy=("Announce the freeze to the team; review the incidents that spent the budget.",)),
        Rule(alert="LatencyBucketMissing", duration="30m",
             expr=f"count by (service) ({count}) unless on (service) count by (service) ({bucket})",
             labels=labels(service, "ticket", service=service.name, slo="latency"),
             summary=f"{service.name} has no histogram bucket at {number(slo.latency_p99_ms)} ms",
             description=f"The latency SLO of {service.name} counts requests under {number(slo.latency_p99_ms)} ms, "
                         f"but {REQUEST_DURATION} has no bucket with that bound, so the latency alerts cannot fire.",
             runbook_url=runbook(plan, "LatencyBucketMissing"),
             checks=(f"count by (le) ({REQUEST_DURATION}_bucket{selector})",),
             remedy=(f"Add {number(slo.latency_p99_ms / 1000)} to the histogram's buckets in the service.",)),
    )
