"""POST /slack/events: signed slash commands and gate clicks, a real Redis queue and rollout engine, a fake Slack."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from typing import Any

import pytest
import redis as redis_lib

from bot.pipelines import input_enum
from bot.queue import get_queue
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.testing import MemoryPlatform
from bot.settings import Settings
from bot.slack_reporter import SlackReporter
from bot.slack_reporter import slack_client
from bot.web import create_app
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import GROUP
from tests.fakes.slack_kit import GROUP_MEMBER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import STRANGER
from tests.fakes.slack_kit import World
from tests.fakes.slack_kit import apps_yaml
from tests.fakes.slack_kit import click_body
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import healthy_server
from tests.fakes.slack_kit import post
from tests.fakes.slack_kit import sign
from tests.fakes.private_redis import private_redis_url
from tests.fakes.slack_server import SlackServer

@pytest.fixture(scope="module")
def redis_url() -> Any:
    # Other suites running at once flush the shared test Redis; these queues must not meet theirs.
    with private_redis_url() as url:
        yield url


@pytest.fixture
def world(redis_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    healthy = healthy_server()
    apps_file = tmp_path / "apps.yml"
    apps_file.write_text(apps_yaml(f"http://127.0.0.1:{healthy.server_port}"), encoding="utf-8")
    with SlackServer() as slack:
        slack.usergroups[GROUP] = [GROUP_MEMBER, "W0OTHER001"]
        # The jobs read their settings like a worker does: from the environment.
        for key, value in {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                           "SLACK_API_URL": slack.base_url, "DEVOPS_BOT_APPS_FILE": str(apps_file),
                           "DEVOPS_BOT_ENV_FILE": str(tmp_path / "absent.env")}.items():
            monkeypatch.setenv(key, value)
        settings = Settings(github_app_id="1", github_webhook_secret="unused", slack_bot_token="xoxb-test",
                            slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
                            deploy_apps_file=str(apps_file))
        platform, clock = MemoryPlatform(), [time.time()]
        deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=lambda _: platform,
                           reporters=lambda _: [SlackReporter(slack_client(settings), conn)], now=lambda: clock[0])
        client = create_app(settings, redis=conn).test_client()
        yield World(client, slack, deps, platform, clock, apps_file)
    healthy.shutdown()
    healthy.server_close()
    conn.flushdb()
    conn.close()


def gate_value(world: World) -> str:
    """The Approve button's value in the gate reply the fake recorded."""
    gate = next(m for m in world.slack.named("chat.postMessage")
                if any(b["type"] == "actions" for b in m.get("blocks") or []))
    actions = next(b for b in gate["blocks"] if b["type"] == "actions")
    assert [e["text"]["text"] for e in actions["elements"]] == ["Approve", "Reject"]
    return actions["elements"][0]["value"]


def start_at_gate(world: World) -> str:
    assert post(world.client, command_body("checkout")).status_code == 200
    world.run_jobs()
    assert engine.status(deps=world.deps), world.slack.calls[-1]  # else: why it did not start
    assert world.advance_to_gate_or_end().state == "waiting_approval"
    return gate_value(world)


def ephemerals(world: World, user: str) -> list[str]:
    return [m["text"] for m in world.slack.named("chat.postEphemeral") if m["user"] == user]


def test_a_deploy_is_acknowledged_at_once_with_what_will_happen_and_queued_once(world: World) -> None:
    body = command_body("checkout canary to production @v3", trigger_id="111.222.abc")
    response = post(world.client, body)
    assert response.status_code == 200
    assert "*checkout* v3 to *production* (canary)" in response.get_data(as_text=True)
    # Slack's retry of the same command (same trigger_id) starts nothing new.
    retry = post(world.client, body, {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    assert len(world.deps.queue.get_job_ids()) == 1
    assert world.slack.calls == []  # the ack waited on nothing


def test_an_app_added_to_the_apps_file_is_deployable_without_a_restart_and_a_broken_edit_keeps_the_last_good(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    original = world.apps_file.read_text()
    assert "unknown app 'billing'" in post(world.client, command_body("billing")).get_data(as_text=True)
    with_billing = original + original.split("apps:\n", 1)[1].replace("  checkout:", "  billing:", 1).replace(
        "acme/checkout", "acme/billing")
    world.apps_file.write_text(with_billing)
    assert "*billing* v2 to *staging* (canary)" in post(world.client, command_body("billing")).get_data(as_text=True)
    world.apps_file.write_text(with_billing + "  broken: [\n")
    with caplog.at_level(logging.ERROR):
        answer = post(world.client, command_body("billing")).get_data(as_text=True)
    assert "*billing* v2 to *staging* (canary)" in answer
    assert any("the apps file changed but cannot be used" in r.getMessage() for r in caplog.records)


def test_defaults_come_from_the_apps_config(world: World) -> None:
    response = post(world.client, command_body("checkout"))
    assert "*checkout* v2 to *staging* (canary)" in response.get_data(as_text=True)


def test_bad_input_gets_every_problem_and_the_usage_in_the_ack_and_nothing_is_queued(world: World) -> None:
    response = post(world.client, command_body("checkout sideways to mars @"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "'sideways' is not a strategy" in text and "not 'mars'" in text and "'@'" in text
    for strategy in input_enum("deployment", "deployment_strategy"):
        assert f"`{strategy}`" in text
    assert "`checkout`" in text
    assert post(world.client, command_body("nosuch")).get_data(as_text=True).count("unknown app 'nosuch'") == 1
    assert world.deps.queue.get_job_ids() == []


def test_help_lists_every_command(world: World) -> None:
    text = post(world.client, command_body("help")).get_data(as_text=True)
    for word in ("status [APP]", "abort APP", "promote APP", "rollback APP", "[@VERSION]"):
        assert word in text


def test_a_stale_timestamp_is_refused_with_401_even_when_correctly_signed(world: World) -> None:
    body = command_body("checkout")
    response = post(world.client, body, sign(body, timestamp=int(time.time()) - 6 * 60))
    assert response.status_code == 401
    assert world.deps.queue.get_job_ids() == []


@pytest.mark.parametrize("headers", [
    {"X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Signature": None},
], ids=["wrong signature", "no signature"])
def test_a_bad_signature_is_refused_with_401(world: World, headers: dict[str, Any]) -> None:
    body = command_body("checkout")
    signed = {**sign(body), **headers}
    response = post(world.client, body, {k: v for k, v in signed.items() if v is not None})
    assert response.status_code == 401
    assert world.deps.queue.get_job_ids() == []


def test_a_tampered_body_is_refused(world: World) -> None:
    body = command_body("checkout")
    response = post(world.client, body.replace(b"text=checkout", b"text=checkout+recreate"), sign(body))
    assert response.status_code == 401


def test_the_rollout_lives_in_one_parent_message_and_its_thread_with_buttons_at_the_gate(world: World) -> None:
    value = start_at_gate(world)
    posts = world.slack.named("chat.postMessage")
    parent = posts[0]
    assert parent["channel"] == CHANNEL and "thread_ts" not in parent
    assert all(p.get("thread_ts") == world.slack.calls[0][1].get("ts", posts[1]["thread_ts"]) for p in posts[1:])
    parent_ts = posts[1]["thread_ts"]
    updates = [u for u in world.slack.named("chat.update") if u["ts"] == parent_ts]
    assert updates, "the parent message is kept up to date"
    summary = json.dumps(updates[-1]["blocks"], ensure_ascii=False)
    for piece in ("checkout", "v2", "staging", "canary", "▶ 10%", "□ 100%", "limit 1.00%", "limit 500 ms",
                  "waiting for approval"):
        assert piece in summary
    assert json.loads(value) == {"rollout_id": world.latest().rollout_id, "stage_index": 0,
                                 "gate_token": world.latest().gate_token}


def test_an_approver_click_moves_on_and_the_buttons_go_with_who_decided(world: World) -> None:
    value = start_at_gate(world)
    assert post(world.client, click_body(value, APPROVER)).status_code == 200
    world.run_jobs()
    assert world.latest().state == "succeeded"
    [gate] = [m for m in world.slack.messages.values() if m["text"].startswith("The 10% gate")]  # updated in place
    assert not any(b["type"] == "actions" for b in gate["blocks"])
    assert f"<@{APPROVER}>" in json.dumps(gate["blocks"]) and "approved" in gate["text"]
    replies = [m["text"] for m in world.slack.named("chat.postMessage") if m.get("thread_ts")]
    assert any("approved by" in r for r in replies) and any("serves 100%" in r for r in replies)


def test_a_member_of_an_approver_group_may_approve(world: World) -> None:
    value = start_at_gate(world)
    post(world.client, click_body(value, GROUP_MEMBER))
    world.run_jobs()
    assert world.slack.named("usergroups.users.list") == [{"usergroup": GROUP}]
    assert world.latest().state == "succeeded"


def test_someone_who_is_not_an_approver_is_told_why_and_nothing_changes(world: World) -> None:
    value = start_at_gate(world)
    post(world.client, click_body(value, STRANGER))
    world.run_jobs()
    assert world.latest().state == "waiting_approval"
    [text] = ephemerals(world, STRANGER)
    assert text.startswith("You can't approve this, because you are not an approver of checkout in staging")


def test_the_deployer_may_not_approve_their_own_deploy(world: World) -> None:
    value = start_at_gate(world)
    post(world.client, click_body(value, DEPLOYER))
    world.run_jobs()
    assert world.latest().state == "waiting_approval"
    assert "you started this deploy" in ephemerals(world, DEPLOYER)[0]


def test_the_deployer_may_approve_when_the_app_allows_self_approval(world: World) -> None:
    world.apps_file.write_text(world.apps_file.read_text() + "    allow_self_approval: true\n")
    value = start_at_gate(world)
    post(world.client, click_body(value, DEPLOYER))
    world.run_jobs()
    assert world.latest().state == "succeeded"


def test_a_second_click_changes_nothing_and_says_so(world: World) -> None:
    value = start_at_gate(world)
    post(world.client, click_body(value, APPROVER))
    post(world.client, click_body(value, GROUP_MEMBER, approve=False))
    world.run_jobs()
    assert world.latest().state == "succeeded"
    assert ephemerals(world, GROUP_MEMBER) == ["Nothing changed: that gate is no longer waiting."]
    assert world.platform.calls[-1][0] == "promote"


def test_a_replayed_click_is_queued_once(world: World) -> None:
    value = start_at_gate(world)
    body = click_body(value, APPROVER)
    headers = sign(body)
    post(world.client, body, headers)
    post(world.client, body, headers)
    assert len(world.deps.queue.get_job_ids()) == 1


@pytest.mark.parametrize("change", [{"gate_token": "0123456789ab"}, {"stage_index": 1},
                                    {"rollout_id": "another-rollout"}],
                         ids=["stale gate token", "another stage", "another rollout"])
def test_a_click_for_a_gate_that_is_not_the_open_one_changes_nothing(world: World, change: dict[str, Any]) -> None:
    value = json.loads(start_at_gate(world))
    post(world.client, click_body(json.dumps({**value, **change}), APPROVER))
    world.run_jobs()
    assert world.latest().state == "waiting_approval"
    assert ephemerals(world, APPROVER)[0].startswith("Nothing changed")


def test_a_click_after_the_rollout_finished_changes_nothing(world: World) -> None:
    value = start_at_gate(world)
    post(world.client, command_body("abort checkout"))
    world.run_jobs()
    assert world.latest().state == "aborted"
    post(world.client, click_body(value, APPROVER))
    world.run_jobs()
    assert world.latest().state == "aborted"
    assert world.platform.calls[-1][0] == "rollback"


def test_a_rejection_rolls_back(world: World) -> None:
    value = start_at_gate(world)
    post(world.client, click_body(value, APPROVER, approve=False))
    world.run_jobs()
    assert world.latest().state == "rolled_back"
    assert world.platform.live == "v1"


def test_status_answers_in_the_ack_for_all_apps_or_one(world: World) -> None:
    assert post(world.client, command_body("status")).get_data(as_text=True) == "No rollouts yet."
    start_at_gate(world)
    for text in ("status", "status checkout"):
        answer = post(world.client, command_body(text)).get_data(as_text=True)
        assert "*checkout* v2 → staging, canary: ✋ waiting for approval at 10%" in answer
    assert "unknown app 'nosuch'" in post(world.client, command_body("status nosuch")).get_data(as_text=True)


def test_promote_is_for_approvers_only(world: World) -> None:
    start_at_gate(world)
    post(world.client, command_body("promote checkout", user=STRANGER))
    world.run_jobs()
    assert world.latest().state == "waiting_approval"
    assert ephemerals(world, STRANGER)[0].startswith("You can't promote this, because you are not an approver")
    ack = post(world.client, command_body("promote checkout", user=APPROVER)).get_data(as_text=True)
    assert "promote of *checkout*" in ack
    world.run_jobs()
    assert world.latest().state == "succeeded"
    assert any("promoted by" in m["text"] for m in world.slack.named("chat.postMessage"))


def test_rollback_after_success_and_abort_with_nothing_running(world: World) -> None:
    start_at_gate(world)
    post(world.client, command_body("promote checkout", user=APPROVER))
    world.run_jobs()
    post(world.client, command_body("abort checkout"))
    world.run_jobs()
    assert ephemerals(world, DEPLOYER) == ["There is no running rollout of checkout to act on."]
    post(world.client, command_body("rollback checkout"))
    world.run_jobs()
    assert world.latest().state == "rolled_back" and world.platform.live == "v1"
    assert any("rolled back by" in m["text"] for m in world.slack.named("chat.postMessage"))


def test_commands_without_an_app_get_the_usage(world: World) -> None:
    text = post(world.client, command_body("abort")).get_data(as_text=True)
    assert "`abort` needs one known app" in text and "*Usage*" in text


def test_a_rate_limited_update_is_retried_after_retry_after(world: World) -> None:
    world.slack.rate_limit("chat.update", 1)
    post(world.client, command_body("checkout"))
    world.run_jobs()
    updates = world.slack.named("chat.update")
    assert len(updates) >= 2 and updates[0] == updates[1]  # the 429, then the same call again


def test_a_failing_slack_update_never_stops_the_rollout(world: World) -> None:
    world.slack.fail["chat.update"] = "cant_update_message"
    value = start_at_gate(world)
    post(world.client, click_body(value, APPROVER))
    world.run_jobs()
    assert world.latest().state == "succeeded"


def test_a_deploy_that_cannot_start_says_why_in_its_thread(world: World) -> None:
    post(world.client, command_body("checkout"))
    world.run_jobs()
    post(world.client, command_body("checkout"))  # a second one while the first runs
    world.run_jobs()
    texts = [m["text"] for m in world.slack.named("chat.postMessage")]
    assert any("The deploy did not start" in t for t in texts)


def test_slack_events_is_absent_without_slack_settings(redis_conn: Any) -> None:
    app = create_app(Settings(github_app_id="1", github_webhook_secret="x"), redis=redis_conn)
    assert app.test_client().post("/slack/events", data=urllib.parse.urlencode({"a": 1})).status_code == 404


def test_a_gate_nobody_answers_rolls_back_and_its_buttons_say_it_timed_out(world: World) -> None:
    start_at_gate(world)
    for _ in range(5):
        driver.step(world.deps, set_clock=lambda t: world.clock.__setitem__(0, t))
    assert world.latest().state == "rolled_back"
    [gate] = [m for m in world.slack.messages.values() if m["text"].startswith("The 10% gate")]
    assert "timed out" in gate["text"] and not any(b["type"] == "actions" for b in gate["blocks"])
    assert any("nobody answered the 10% gate within 3600s" in m["text"] for m in world.slack.named("chat.postMessage"))
