"""Canary analysis judged by a service's SLO: error budget burn instead of a fixed error rate."""

from __future__ import annotations

import pytest

from bot.config import load_config
from bot.errors import UserError
from bot.rollouts.analysis import evaluate
from bot.rollouts.contract import Criteria
from bot.rollouts.slo_criteria import slo_success_criteria
from bot.rollouts.strategies import criteria_from
from bot.rollouts.strategies import plan_stages

CONFIG = """monitoring:
  sla: {availability: 99.5}
deploy:
  environments:
    production:
      slo: {max_burn_rate: 6}
  apps:
    checkout:
      production:
        slo: {service: checkout-api}
"""


def test_devops_yml_selects_the_slo_and_its_availability() -> None:
    config = load_config(CONFIG)
    assert slo_success_criteria(config, "checkout", "production") == {
        "error_budget_burn": {"service": "checkout-api", "availability": 99.5, "max_burn_rate": 6}}
    assert slo_success_criteria(config, "checkout", "staging") is None
    assert slo_success_criteria(load_config(""), "checkout", "production") is None


def test_burn_replaces_the_fixed_error_rate() -> None:
    criteria = criteria_from({"error_budget_burn": {"service": "checkout", "availability": 99.9}}, Criteria(), True)
    assert (criteria.slo_error_budget, criteria.max_burn_rate) == (0.001, 14.4)
    # 1 % errors: above a fixed 0.5 % limit, but only 10x the 0.1 % budget, under the page threshold of 14.4x.
    assert evaluate(criteria, {"error_rate": 0.01, "p99_ms": 100}) == []
    assert evaluate(Criteria(max_error_rate=0.005), {"error_rate": 0.01, "p99_ms": 100}) != []
    [failure] = evaluate(criteria, {"error_rate": 0.02, "p99_ms": 100})
    assert failure == ("error budget burn 20.0x (error rate 2.00% against the 0.10% error budget of checkout's SLO) "
                       "is above 14.4x; the service's own burn is "
                       "service:http_requests_errors:ratio_rate5m{service=\"checkout\"}")


def test_a_canary_plan_carries_the_slo_criterion_to_every_stage() -> None:
    config = load_config(CONFIG)
    stages = plan_stages("canary", {"success_criteria": slo_success_criteria(config, "checkout", "production"),
                                    "canary_stages": [{"percentage": 10, "duration": 60,
                                                       "success_criteria": slo_success_criteria(
                                                           config, "checkout", "production")},
                                                      {"percentage": 100, "duration": 0}]})
    assert stages[0].criteria.slo_error_budget == 0.005 and stages[0].criteria.max_burn_rate == 6
    assert evaluate(stages[0].criteria, {"error_rate": 0.04, "p99_ms": 10})  # 8x the budget > 6x
    assert not evaluate(stages[0].criteria, {"error_rate": 0.02, "p99_ms": 10})  # 4x


def test_an_impossible_availability_is_refused() -> None:
    with pytest.raises(UserError, match="error_budget_burn.availability must be a percentage above 0 and below 100"):
        criteria_from({"error_budget_burn": {"availability": 100}}, Criteria(), True)


def test_the_apps_file_of_slack_deploy_can_select_the_slo_burn_for_every_canary_stage() -> None:
    from bot.deploy_apps import parse_apps

    apps = parse_apps({"apps": {"checkout": {
        "repository": "acme/checkout", "artifact": {"type": "container_registry", "location": "ghcr.io/acme/checkout"},
        "environments": ["production"], "stages": [{"percentage": 10, "duration": 60}, {"percentage": 100}],
        "success_criteria": {"error_budget_burn": {"service": "checkout", "availability": 99.9}}}}})
    stages = plan_stages("canary", apps["checkout"].rollout_settings)
    assert [s.criteria.slo_error_budget for s in stages] == [0.001, 0.001]
    assert evaluate(stages[0].criteria, {"error_rate": 0.02, "p99_ms": 10})  # 20x > 14.4x
