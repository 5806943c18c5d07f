"""The rules of what a Slack user sees that tests/handlers/test_slack.py leaves out: forged or replayed clicks,
gate timeouts as the apps file says, rollback and abort of a running rollout, a failed criterion in the thread.

Same world as test_slack.py: signed payloads in the shared fixtures' shapes, the real engine and Redis queue,
a fake Slack Web API and an in-memory platform whose metrics the test sets.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.rollouts import driver
from bot.rollouts import engine
from bot.settings import Settings
from bot.web import create_app
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import STRANGER
from tests.fakes.slack_kit import World
from tests.fakes.slack_kit import click_body
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import post
from tests.fakes.slack_kit import response_url_at
from tests.fakes.slack_kit import sign
from tests.handlers.test_slack import ephemerals
from tests.handlers.test_slack import start_at_gate
from tests.handlers.test_slack import world  # noqa: F401  (the fixture)


def gate_message(world: World) -> dict[str, Any]:
    [gate] = [m for m in world.slack.messages.values() if m["text"].startswith(("✋", "The 10% gate"))]
    return gate


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] or [] if b["type"] == "actions" for e in b["elements"]]


def thread_texts(world: World) -> list[str]:
    return [m["text"] for m in world.slack.named("chat.postMessage") if m.get("thread_ts")]


def restart_with(world: World, apps_lines: str) -> None:
    """Add settings to checkout in the apps file and restart the web app, which reads the file once at start."""
    world.apps_file.write_text(world.apps_file.read_text() + apps_lines, encoding="utf-8")
    settings = Settings(github_app_id="1", github_webhook_secret="unused", slack_bot_token="xoxb-test",
                        slack_signing_secret=SIGNING_SECRET, slack_api_url=world.slack.base_url,
                        deploy_apps_file=str(world.apps_file))
    world.client = create_app(settings, redis=world.deps.redis).test_client()


def test_a_click_whose_body_was_changed_after_signing_is_refused_and_changes_nothing(world: World) -> None:
    value = start_at_gate(world)
    signed = click_body(value, STRANGER)
    # The stranger's own signed click, with the user swapped for an approver on the way.
    forged = signed.replace(STRANGER.encode(), APPROVER.encode())
    assert forged != signed
    assert post(world.client, forged, sign(signed)).status_code == 401
    assert world.deps.queue.get_job_ids() == []
    world.run_jobs()
    assert world.latest().state == "waiting_approval" and buttons_of(gate_message(world))


def test_a_click_replayed_after_five_minutes_is_refused_even_with_its_signature(world: World) -> None:
    value = start_at_gate(world)
    body = click_body(value, APPROVER)
    captured = sign(body, timestamp=int(time.time()) - 6 * 60)
    assert post(world.client, body, captured).status_code == 401
    assert world.deps.queue.get_job_ids() == []
    assert world.latest().state == "waiting_approval"


def test_a_button_value_that_is_not_ours_changes_nothing(world: World) -> None:
    start_at_gate(world)
    for value in ("not json", json.dumps({"rollout_id": "x"}), json.dumps(["a", 0, "b"])):
        assert post(world.client, click_body(value, APPROVER)).status_code == 200
    assert world.deps.queue.get_job_ids() == []
    assert world.latest().state == "waiting_approval"


@pytest.mark.parametrize(("on_timeout", "state", "said"), [
    ("rollback", "rolled_back", "nobody answered the 10% gate within 60s"),
    ("abort", "aborted", "nobody answered the 10% gate within 60s"),
    ("proceed", "succeeded", "going on as configured (on_timeout: proceed)"),
    ("pause", "waiting_approval", "the gate stays open until someone decides"),
])
def test_a_gate_timeout_does_what_the_apps_file_says(world: World, on_timeout: str, state: str,
                                                    said: str) -> None:
    restart_with(world, f"    gate: {{timeout_minutes: 1, on_timeout: {on_timeout}}}\n")
    start_at_gate(world)
    opened = world.clock[0]
    for _ in range(6):
        driver.step(world.deps, set_clock=lambda t: world.clock.__setitem__(0, t))
        if world.latest().state != "waiting_approval":
            break
    assert world.clock[0] - opened >= 60
    assert world.latest().state == state
    assert any(said in text for text in thread_texts(world)), thread_texts(world)
    gate = gate_message(world)
    if state == "waiting_approval":
        assert buttons_of(gate)  # still open: an approver can still decide
    else:
        assert not buttons_of(gate) and "timed out" in gate["text"]
    assert world.platform.live == {"rolled_back": "v1", "aborted": "v1", "succeeded": "v2"}.get(state, "stable")


@pytest.mark.parametrize(("verb", "state", "said"), [
    ("rollback", "rolled_back", f"rolled back by <@{DEPLOYER}>; all traffic is on the previous version"),
    ("abort", "aborted", f"aborted by <@{DEPLOYER}>; all traffic is back on the stable version"),
])
def test_rollback_or_abort_of_a_running_rollout_goes_back_to_stable_and_closes_the_gate(
        world: World, verb: str, state: str, said: str) -> None:
    start_at_gate(world)
    ack = post(world.client, command_body(f"{verb} checkout")).get_data(as_text=True)
    assert f"Asking for {verb} of *checkout*" in ack
    world.run_jobs()
    assert world.latest().state == state and world.platform.live == "v1"
    assert said in thread_texts(world)
    gate = gate_message(world)
    assert not buttons_of(gate) and f"by <@{DEPLOYER}>" in gate["text"]


def test_the_deployer_may_not_promote_their_own_deploy(world: World) -> None:
    start_at_gate(world)  # the deployer is one of checkout's staging approvers
    post(world.client, command_body("promote checkout", user=DEPLOYER))
    world.run_jobs()
    assert world.latest().state == "waiting_approval"
    [text] = ephemerals(world, DEPLOYER)
    assert text.startswith("You can't promote this, because you started this deploy")


def test_a_failed_criterion_rolls_back_and_the_thread_names_metric_value_and_limit(world: World) -> None:
    world.platform.readings = {"error_rate": 0.2, "p99_ms": 750.0}
    post(world.client, command_body("checkout"))
    world.run_jobs()
    final = world.advance_to_gate_or_end()
    assert final.state == "rolled_back" and world.platform.live == "v1"
    reason = ("automatic rollback at 10%: error rate 20.00% is above the limit 1.00%; "
              "p99 latency 750 ms is above the limit 500 ms")
    assert final.reason == reason
    assert f"rolled back: {reason}. v1 serves 100% of traffic" in thread_texts(world)
    [parent_ts] = [ts for ts, m in world.slack.messages.items() if not m["thread_ts"]]
    parent = world.slack.messages[parent_ts]
    summary = json.dumps(parent["blocks"], ensure_ascii=False)
    assert "rolled back" in parent["text"]
    assert "20.00% / limit 1.00% ❌" in summary and "750 ms / limit 500 ms ❌" in summary
    assert not any(buttons_of(m) for m in world.slack.messages.values())  # no gate was offered


@pytest.mark.parametrize(("error", "hint"), [("not_in_channel", "/invite @devops-bot"),
                                             ("internal_error", "Deploy again once Slack answers")])
def test_a_deploy_whose_thread_cannot_be_posted_does_not_start_and_the_deployer_is_told(
        world: World, error: str, hint: str) -> None:
    world.slack.fail["chat.postMessage"] = error
    post(world.client, command_body("checkout", response_url=response_url_at(world.slack)))
    world.run_jobs()
    assert engine.status(deps=world.deps) == [] and world.platform.calls == []  # nothing moved
    [answer] = world.slack.named("response_url")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(f"❌ The deploy did not start: I could not post its thread in <#{CHANNEL}> "
                                     f"(Slack said {error})") and hint in answer["text"]
