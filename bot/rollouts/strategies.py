"""Traffic plans: the stages of a canary, blue/green, rolling or recreate rollout, from step config."""

from __future__ import annotations

from typing import Any

from bot.errors import UserError
from bot.rollouts.contract import Criteria
from bot.rollouts.contract import Stage

STRATEGIES = ("canary", "blue_green", "rolling", "recreate")
# SPEC section 2, progressive_rollout: the canary plan when the config names none.
DEFAULT_CANARY_STAGES: list[dict[str, Any]] = [
    {"percentage": 5, "duration": 300, "success_criteria": {"error_rate": 0.01, "latency_p99": 500}},
    {"percentage": 25, "duration": 600, "success_criteria": {"error_rate": 0.005, "latency_p99": 400}},
    {"percentage": 50, "duration": 900},
    {"percentage": 100, "duration": 0},
]
DEFAULT_APPROVAL_POINTS = ["25%", "50%"]


def criteria_from(raw: dict[str, Any] | None, default: Criteria, require_data: bool) -> Criteria:
    """SPEC success_criteria ({error_rate, latency_p99}) over the defaults."""
    raw = raw or {}
    slo = raw.get("error_budget_burn") or {}  # {availability, max_burn_rate, service}: judge the SLO's burn
    if slo and not 0 < float(slo.get("availability", 0)) < 100:
        raise UserError(f"error_budget_burn.availability must be a percentage above 0 and below 100, such as 99.9; "
                        f"not {slo.get('availability')!r}")
    return Criteria(max_error_rate=float(raw.get("error_rate", default.max_error_rate)),
                    max_p99_ms=float(raw.get("latency_p99", default.max_p99_ms)),
                    require_data=bool(raw.get("require_data", require_data)),
                    slo_error_budget=round(1 - float(slo["availability"]) / 100, 10) if slo else
                    default.slo_error_budget,
                    max_burn_rate=float(slo.get("max_burn_rate", default.max_burn_rate)),
                    slo_service=slo.get("service", default.slo_service))


def approval_weights(points: list[Any]) -> set[int]:
    """manual_approval_points ("25%", 50) as weights; UserError lists every bad one."""
    weights: set[int] = set()
    bad: list[str] = []
    for point in points:
        text = str(point).strip().removesuffix("%")
        if text.isdigit() and 0 <= int(text) <= 100:
            weights.add(int(text))
        else:
            bad.append(repr(point))
    if bad:
        raise UserError(f"manual_approval_points must be percentages such as \"25%\"; not {', '.join(bad)}")
    return weights


def plan_stages(strategy: str, config: dict[str, Any], default: Criteria | None = None) -> list[Stage]:
    """The stages for `strategy` from the progressive_rollout step config (durations in seconds)."""
    default = default or Criteria()
    require_data = bool(config.get("require_data", True))
    gates = approval_weights(list(config.get("manual_approval_points", DEFAULT_APPROVAL_POINTS)))
    interval = config.get("analysis_interval")
    if strategy == "canary":
        raw_stages = config.get("canary_stages") or DEFAULT_CANARY_STAGES
        stages = []
        for raw in raw_stages:
            weight, duration = int(raw["percentage"]), float(raw.get("duration", 0))
            stages.append(Stage(weight=weight, duration_seconds=duration,
                                analysis_interval_seconds=_interval(interval, duration),
                                criteria=criteria_from(raw.get("success_criteria"), default, require_data),
                                manual_approval=weight in gates and weight < 100))
        _check_weights([s.weight for s in stages])
        return stages
    criteria = criteria_from(config.get("success_criteria"), default, require_data)
    if strategy == "blue_green":
        smoke = float(config.get("smoke_duration", 30))
        bake = float(config.get("bake_duration", 300))
        # The preview takes no traffic, so there is nothing to measure: the smoke tests judge it.
        preview = Stage(0, smoke, _interval(interval, smoke), Criteria(default.max_error_rate, default.max_p99_ms,
                                                                        require_data=False),
                        manual_approval=0 in gates)
        return [preview, Stage(100, bake, _interval(interval, bake), criteria)]
    if strategy == "rolling":
        batch = int(config.get("batch_size", 25))
        if not 1 <= batch <= 100:
            raise UserError(f"batch_size must be a percentage from 1 to 100, not {batch}")
        pause = float(config.get("batch_interval", 60))
        weights = list(range(batch, 100, batch)) + [100]
        return [Stage(w, pause, _interval(interval, pause), criteria, manual_approval=w in gates and w < 100)
                for w in weights]
    if strategy == "recreate":
        bake = float(config.get("bake_duration", 60))
        return [Stage(100, bake, _interval(interval, bake), criteria)]
    raise UserError(f"unknown deployment strategy {strategy!r}; use one of: {', '.join(STRATEGIES)}")


def _interval(configured: Any, duration: float) -> float:
    if configured is not None:
        return float(configured)
    # About five readings per stage, never more often than every 5 s unless the stage is shorter.
    return max(min(duration, 5.0), duration / 5) if duration > 0 else 0.0


def _check_weights(weights: list[int]) -> None:
    problems = []
    if any(not 0 <= w <= 100 for w in weights):
        problems.append("every percentage must be from 0 to 100")
    if weights != sorted(weights):
        problems.append("percentages must not go down")
    if not weights or weights[-1] != 100:
        problems.append("the last stage must send 100% to the new version")
    if problems:
        raise UserError(f"canary_stages {weights}: " + "; ".join(problems))
