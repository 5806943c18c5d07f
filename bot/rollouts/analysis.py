"""Stage analysis: compare one reading of the new version's metrics with a stage's success criteria."""

from __future__ import annotations

import math

from bot.rollouts.contract import Criteria


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def evaluate(criteria: Criteria, metrics: dict[str, float | None]) -> list[str]:
    """Every failed criterion as a sentence naming the metric, its value and the limit; [] when healthy."""
    failures: list[str] = []
    error_rate = metrics.get("error_rate")
    p99 = metrics.get("p99_ms")
    if _missing(error_rate):
        if criteria.require_data:
            failures.append("error rate: no data (no requests reached the new version), and data is required")
    elif criteria.slo_error_budget:
        failures += _burn_failures(criteria, float(error_rate))  # type: ignore[arg-type]
    elif error_rate > criteria.max_error_rate:  # type: ignore[operator]
        failures.append(f"error rate {error_rate:.2%} is above the limit {criteria.max_error_rate:.2%}")
    if _missing(p99):
        if criteria.require_data:
            failures.append("p99 latency: no data (no requests reached the new version), and data is required")
    elif p99 > criteria.max_p99_ms:  # type: ignore[operator]
        failures.append(f"p99 latency {p99:.0f} ms is above the limit {criteria.max_p99_ms:.0f} ms")
    return failures


def _burn_failures(criteria: Criteria, error_rate: float) -> list[str]:
    """The SLO criterion: how many times too fast the new version burns the service's error budget."""
    from generators.monitoring.model import error_ratio

    budget = float(criteria.slo_error_budget or 0)
    burn = error_rate / budget
    if burn <= criteria.max_burn_rate:
        return []
    whose = f" of {criteria.slo_service}'s SLO" if criteria.slo_service else ""
    series = f'{error_ratio("5m")}{{service="{criteria.slo_service}"}}' if criteria.slo_service else error_ratio("5m")
    return [f"error budget burn {burn:.1f}x (error rate {error_rate:.2%} against the {budget:.2%} error budget{whose}) "
            f"is above {criteria.max_burn_rate:g}x; the service's own burn is {series}"]


def describe(metrics: dict[str, float | None]) -> str:
    """A reading as text: "error rate 0.40%, p99 120 ms"."""
    error_rate = metrics.get("error_rate")
    p99 = metrics.get("p99_ms")
    rate_text = "no data" if _missing(error_rate) else f"{error_rate:.2%}"
    p99_text = "no data" if _missing(p99) else f"{p99:.0f} ms"
    return f"error rate {rate_text}, p99 {p99_text}"
