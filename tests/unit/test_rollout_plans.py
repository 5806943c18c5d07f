"""Traffic plans per strategy and the analysis verdicts."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.rollouts.analysis import describe
from bot.rollouts.analysis import evaluate
from bot.rollouts.contract import Criteria
from bot.rollouts.contract import Rollout
from bot.rollouts.strategies import plan_stages


def test_the_spec_canary_plan_has_gates_at_25_and_50_percent() -> None:
    stages = plan_stages("canary", {})
    assert [(s.weight, s.duration_seconds, s.manual_approval) for s in stages] == [
        (5, 300, False), (25, 600, True), (50, 900, True), (100, 0, False)]
    assert stages[1].criteria == Criteria(max_error_rate=0.005, max_p99_ms=400)
    assert stages[2].criteria == Criteria()  # no criteria in the SPEC stage: the defaults


def test_a_canary_plan_takes_stages_points_and_interval_from_config() -> None:
    config = {"canary_stages": [{"percentage": 10, "duration": 4}, {"percentage": 100, "duration": 0}],
              "manual_approval_points": ["10%"], "analysis_interval": 1}
    stages = plan_stages("canary", config)
    assert [(s.weight, s.analysis_interval_seconds, s.manual_approval) for s in stages] == [
        (10, 1, True), (100, 1, False)]


def test_a_canary_plan_that_never_reaches_100_percent_is_refused_with_every_problem() -> None:
    with pytest.raises(UserError) as caught:
        plan_stages("canary", {"canary_stages": [{"percentage": 50}, {"percentage": 20}]})
    assert "must not go down" in str(caught.value) and "last stage must send 100%" in str(caught.value)


def test_bad_approval_points_are_named() -> None:
    with pytest.raises(UserError, match="'half'"):
        plan_stages("canary", {"manual_approval_points": ["half", "25%"]})


def test_blue_green_previews_without_traffic_then_switches_everything() -> None:
    preview, switch = plan_stages("blue_green", {"smoke_duration": 3, "bake_duration": 6})
    assert (preview.weight, preview.criteria.require_data) == (0, False)
    assert (switch.weight, switch.duration_seconds, switch.criteria.require_data) == (100, 6, True)


def test_rolling_moves_in_batches_and_recreate_in_one_step() -> None:
    assert [s.weight for s in plan_stages("rolling", {"batch_size": 30})] == [30, 60, 90, 100]
    assert [s.weight for s in plan_stages("recreate", {})] == [100]
    with pytest.raises(UserError, match="unknown deployment strategy 'yolo'"):
        plan_stages("yolo", {})


def test_analysis_names_each_failed_metric_with_value_and_limit() -> None:
    failures = evaluate(Criteria(0.01, 500), {"error_rate": 0.05, "p99_ms": 995.0})
    assert failures == ["error rate 5.00% is above the limit 1.00%", "p99 latency 995 ms is above the limit 500 ms"]
    assert evaluate(Criteria(0.01, 500), {"error_rate": 0.0, "p99_ms": 12.0}) == []
    assert evaluate(Criteria(require_data=False), {"error_rate": None, "p99_ms": float("nan")}) == []
    assert len(evaluate(Criteria(), {"error_rate": None, "p99_ms": None})) == 2
    assert describe({"error_rate": 0.004, "p99_ms": None}) == "error rate 0.40%, p99 no data"


def test_a_rollout_survives_a_round_trip_through_plain_data() -> None:
    rollout = Rollout("r1", "a", "production", "canary", "v2", "v1", "local", "U1",
                      stages=plan_stages("canary", {}), platform_config={"haproxy_socket": "/x"})
    assert Rollout.from_dict(rollout.to_dict()) == rollout
