"""The apps file behind /deploy, the command grammar, who may approve, and the Block Kit a rollout shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.deploy_apps import AppsFileError
from bot.deploy_apps import approval_refusal
from bot.deploy_apps import load_apps
from bot.deploy_apps import parse_apps
from bot.errors import UserError
from bot.rollouts.contract import Criteria
from bot.rollouts.contract import Rollout
from bot.rollouts.contract import Stage
from bot.slack_blocks import gate_blocks
from bot.slack_blocks import parse_gate_value
from bot.slack_blocks import summary_blocks
from handlers.slack import parse_deploy
from handlers.slack import rollout_id_for

GOOD = {"apps": {"checkout": {
    "repository": "acme/checkout", "artifact": {"location": "ghcr.io/acme/checkout"},
    "environments": ["staging", "production"], "strategy": "canary", "version": "v2",
    "stages": [{"percentage": 10, "duration": 60}, {"percentage": 100}],
    "success_criteria": {"error_rate": 0.02},
    "approvers": {"production": ["U0APPROVER", "S0RELEASES"]}, "gate": {"timeout_minutes": 5, "on_timeout": "abort"}}}}


def test_a_valid_apps_file_gives_defaults_and_rollout_settings(tmp_path: Path) -> None:
    path = tmp_path / "apps.yml"
    path.write_text(json.dumps(GOOD), encoding="utf-8")  # JSON is YAML
    app = load_apps(path)["checkout"]
    assert app.default_environment == "staging" and app.approvers_for("production") == ("U0APPROVER", "S0RELEASES")
    assert app.rollout_settings["gate_timeout_seconds"] == 300 and app.rollout_settings["on_gate_timeout"] == "abort"
    assert [s["success_criteria"] for s in app.rollout_settings["canary_stages"]] == [{"error_rate": 0.02}] * 2


def test_every_problem_in_the_apps_file_is_listed_at_once() -> None:
    bad = {"apps": {"checkout": {"repository": "nope", "environments": ["prod"], "strategy": "yolo",
                                 "approvers": {"staging": ["bob"]}, "colour": "red",
                                 "manual_approval_points": ["half"], "gate": {"on_timeout": "panic"}}}}
    with pytest.raises(AppsFileError) as caught:
        parse_apps(bad)
    text = str(caught.value)
    for piece in ("repository: give", "artifact:", "'prod' is not one of", "'yolo' is not one of",
                  "approvers.staging: not one of", "'bob' is not a Slack user id", "colour: unknown setting",
                  "manual_approval_points", "gate.on_timeout"):
        assert piece in text


def test_a_missing_apps_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AppsFileError, match="there is no such file"):
        load_apps(tmp_path / "absent.yml")


def test_the_grammar_takes_optional_parts_in_any_order_and_defaults_the_rest() -> None:
    apps = parse_apps(GOOD)
    assert parse_deploy("checkout", apps) == {"app": "checkout", "strategy": "canary", "environment": "staging",
                                              "version": "v2"}
    assert parse_deploy("checkout @v9 to production blue_green", apps) == {
        "app": "checkout", "strategy": "blue_green", "environment": "production", "version": "v9"}


def test_the_grammar_reports_every_problem_with_the_usage() -> None:
    with pytest.raises(UserError) as caught:
        parse_deploy("checkout canary rolling to", parse_apps(GOOD))
    text = str(caught.value)
    assert "give the strategy once" in text and "`to` needs an environment" in text and "*Usage*" in text


def test_the_same_trigger_always_names_the_same_rollout() -> None:
    assert rollout_id_for("1.2.abc") == rollout_id_for("1.2.abc") != rollout_id_for("1.2.abd")


@pytest.mark.parametrize(("user", "requested_by", "allowed"), [
    ("U0APPROVER", "U0DEPLOYER", True), ("U0INGROUP1", "U0DEPLOYER", True), ("U0STRANGER", "U0DEPLOYER", False),
    ("U0APPROVER", "U0APPROVER", False)])
def test_approvers_are_listed_users_or_group_members_but_not_the_deployer(user: str, requested_by: str,
                                                                          allowed: bool) -> None:
    app = parse_apps(GOOD)["checkout"]
    refusal = approval_refusal(app, "production", user, requested_by, lambda group: {"U0INGROUP1"})
    assert (refusal is None) == allowed


def test_nobody_approves_where_no_approvers_are_configured() -> None:
    refusal = approval_refusal(parse_apps(GOOD)["checkout"], "staging", "U0APPROVER", "U0X", lambda g: set())
    assert refusal is not None and "nobody is configured" in refusal


def rollout() -> Rollout:
    return Rollout(rollout_id="r1", app="checkout", environment="production", strategy="canary", version="v2",
                   stable_version="v1", platform="local", requested_by="U0DEPLOYER",
                   stages=[Stage(5, 60, 10, Criteria(0.01, 500)), Stage(25, 60, 10, Criteria(0.01, 400), True),
                           Stage(100, 0, 0)],
                   stage_index=1, state="waiting_approval", traffic={"stable": 75, "canary": 25},
                   last_metrics={"error_rate": 0.002, "p99_ms": 450.0}, gate_token="tok123")


def test_the_summary_shows_progress_split_and_metrics_against_their_limits() -> None:
    text = json.dumps(summary_blocks(rollout()), ensure_ascii=False)
    for piece in ("■ 5%", "▶ 25%", "□ 100%", "canary 25%, stable 75%", "0.20% / limit 1.00% ✅",
                  "450 ms / limit 400 ms ❌", "waiting for approval"):
        assert piece in text


def test_gate_buttons_carry_exactly_which_gate_they_answer() -> None:
    actions = gate_blocks(rollout())[1]
    assert [e["action_id"] for e in actions["elements"]] == ["deploy_gate_approve", "deploy_gate_reject"]
    assert parse_gate_value(actions["elements"][0]["value"]) == ("r1", 1, "tok123")
    assert parse_gate_value("not json") is None and parse_gate_value('{"rollout_id": 1}') is None


def test_names_from_people_cannot_become_mentions_in_the_summary() -> None:
    r = rollout()
    r.version = "<!channel>"
    assert "<!channel>" not in json.dumps(summary_blocks(r)[1:])
