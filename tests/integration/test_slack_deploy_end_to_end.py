"""Slack `/deploy` end to end: signed slash command → real web app (granian) → Redis → real worker with its
scheduler → real HAProxy + Prometheus + two app versions under load, reported to a fake Slack Web API (and,
as for any app with a repository, to GitHub's Deployments API on the fake GitHub).

Nothing here calls the engine directly: the test only speaks HTTP to the bot as Slack would, reads what
the bot told the fake Slack, and asks HAProxy (runtime API) and the load generator what is served.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.platforms.haproxy import server_stats
from bot.platforms.local_stack import LoadGenerator
from bot.platforms.local_stack import LocalStack
from bot.platforms.local_stack import free_port
from bot.platforms.local_stack import start_stack
from bot.rollouts.contract import Rollout
from bot.rollouts.store import RolloutStore
from bot.slack_blocks import APPROVE
from bot.slack_blocks import REJECT
from tests.fakes.github_deployment_routes import deployments
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_server import ServerThread
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import STRANGER
from tests.fakes.slack_kit import click_body
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import response_url_at
from tests.fakes.slack_kit import sign
from tests.fakes.slack_server import SlackServer
from tests.fakes.slack_server import SlackState

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (shutil.which("haproxy") and shutil.which("prometheus") and shutil.which("redis-server")),
                       reason="haproxy, prometheus or redis-server is not installed (scripts/setup installs them)"),
]

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = {"succeeded", "rolled_back", "aborted", "failed"}
# The machine is shared and small: every wait polls, with room to spare.
TIMEOUT = 120


def apps_yaml(stack: LocalStack) -> str:
    """App `demo` on the running stack: 5% and 25% for 3 s each, a gate at 25%, then 100%."""
    local = json.dumps(stack.platform_config())
    return f"""
apps:
  demo:
    repository: acme/demo
    platform: {{type: local, local: {local}}}
    artifact: {{type: git, location: examples/demo-app}}
    environments: [staging]
    strategy: canary
    version: v2
    stable_version: v1
    stages: [{{percentage: 5, duration: 3}}, {{percentage: 25, duration: 3}}, {{percentage: 100}}]
    manual_approval_points: ["25%"]
    analysis_interval: 1.5
    success_criteria: {{error_rate: 0.01, latency_p99: 500}}
    approvers:
      staging: [{APPROVER}]
    gate: {{timeout_minutes: 30, on_timeout: rollback}}
"""


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with start_stack("v1", "v2") as running:
        load = LoadGenerator(running.url).start()
        running.load = load  # type: ignore[attr-defined]
        try:
            yield running
        finally:
            load.stop()


@pytest.fixture
def slack() -> Iterator[SlackState]:
    with SlackServer() as state:
        yield state


APP_ID = "4242"


@pytest.fixture
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(app_key: rsa.RSAPrivateKey) -> Iterator[FakeGitHub]:
    """acme/demo with a v2 tag; only the App's own JWT and the tokens it was given are accepted."""
    with ServerThread() as fake:
        fake.strict_tokens, fake.app_id = True, APP_ID
        fake.app_public_key = app_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        repo = fake.add_repo("acme/demo", {"README.md": "demo\n"})
        repo.git.refs["tags/v2"] = repo.branch_head("main")
        yield fake


@pytest.fixture
def bot_env(redis_url: str, redis: Any, stack: LocalStack, slack: SlackState, github: FakeGitHub,
            app_key: rsa.RSAPrivateKey, tmp_path: Path) -> dict[str, str]:
    """What the web and worker processes read: private Redis, the fakes, the apps file, the App's key."""
    apps_file = tmp_path / "apps.yml"
    apps_file.write_text(apps_yaml(stack), encoding="utf-8")
    key = app_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("GITHUB_", "SLACK_", "REDIS_", "DEVOPS_BOT_"))}
    env.update(REDIS_URL=redis_url, PYTHONPATH=str(ROOT), GITHUB_APP_ID=APP_ID, GITHUB_PRIVATE_KEY=key,
               GITHUB_WEBHOOK_SECRET="unused", GITHUB_API_URL=github.base_url,
               SLACK_BOT_TOKEN="xoxb-end-to-end", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url,
               DEVOPS_BOT_APPS_FILE=str(apps_file), DEVOPS_BOT_ENV_FILE=str(tmp_path / "absent.env"))
    return env


class Processes:
    """Child processes of the test, each with a log file; stopped by PID."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self.directory / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        self.running[name] = process
        return process

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{self.log(name)}")

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")[-6000:]

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.running)

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def bot(bot_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Processes]]:
    """`devops-bot serve` (granian, as with REDIS_URL in production) and `devops-bot worker` (Procfile)."""
    processes = Processes(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        processes.start("web", [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], bot_env)
        processes.start("worker", [sys.executable, "-m", "bot.cli", "worker"], bot_env)

        def web_up() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(web_up, "the web app to answer /healthz", processes, timeout=60)
        yield base, processes
    finally:
        processes.stop()


def wait_until(ready: Callable[[], Any], what: str, processes: Processes, timeout: float = TIMEOUT) -> Any:
    """Poll `ready` until it returns something truthy; fail with the processes' logs after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        value = ready()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{processes.logs()}")


def slash(base: str, slack: SlackState, text: str, user: str = DEPLOYER) -> requests.Response:
    body = command_body(text, user=user, response_url=response_url_at(slack))
    return requests.post(f"{base}/slack/events", data=body, headers=sign(body), timeout=10)


def click(base: str, value: str, user: str, approve: bool = True) -> requests.Response:
    body = click_body(value, user, approve=approve)
    return requests.post(f"{base}/slack/events", data=body, headers=sign(body), timeout=10)


def latest(redis: Any) -> Rollout | None:
    found = RolloutStore(redis).latest_for_app("demo")
    return found[0] if found else None


def in_state(redis: Any, states: set[str]) -> Callable[[], Rollout | None]:
    def check() -> Rollout | None:
        current = latest(redis)
        return current if current is not None and current.state in states else None

    return check


def actions_of(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [element for block in blocks or [] if block["type"] == "actions" for element in block["elements"]]


def weights(stack: LocalStack) -> dict[str, int]:
    """The weights HAProxy applies now, read over its runtime API."""
    stats = server_stats(str(stack.root / "haproxy.sock"), "be_app")
    return {server: int(stats[server]["weight"]) for server in ("stable", "canary")}


def served_now(stack: LocalStack, seconds: float = 2) -> Counter[tuple[str, int]]:
    """What HAProxy answered the load over the next few seconds (after in-flight requests settle)."""
    time.sleep(1)
    stack.load.reset()  # type: ignore[attr-defined]
    time.sleep(seconds)
    return stack.load.reset()  # type: ignore[attr-defined]


def ephemerals(slack: SlackState, user: str) -> list[str]:
    return [m["text"] for m in slack.named("chat.postEphemeral") if m["user"] == user]


def reported(slack: SlackState, processes: Processes) -> None:
    """Wait for the final report in the thread: the worker's on_finish job, which runs (one worker) only
    after every reporter has been told of the rollout's last transition."""
    wait_until(lambda: any(m["text"].startswith("deployment report:") for m in slack.named("chat.postMessage")),
               "the deployment report in the thread", processes)


def thread_of(slack: SlackState) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """The one parent message, its ts and the replies in its thread; asserts there is exactly one parent."""
    posts = slack.named("chat.postMessage")
    parents = [p for p in posts if not p.get("thread_ts")]
    assert len(parents) == 1, [p["text"] for p in parents]
    [parent_ts] = [ts for ts, m in slack.messages.items() if not m["thread_ts"]]
    assert parents[0]["channel"] == CHANNEL
    replies = [p for p in posts if p.get("thread_ts")]
    assert replies and all(p["thread_ts"] == parent_ts and p["channel"] == CHANNEL for p in replies)
    return parents[0], parent_ts, replies


def test_a_slack_deploy_runs_the_canary_waits_for_an_approver_and_serves_the_new_version(
        bot: tuple[str, Processes], stack: LocalStack, slack: SlackState, github: FakeGitHub, redis: Any) -> None:
    base, processes = bot
    started = time.monotonic()
    ack = slash(base, slack, "demo canary")
    assert ack.status_code == 200
    assert "*demo* v2 to *staging* (canary)" in ack.text  # defaults from the apps file

    at_gate = wait_until(in_state(redis, {"waiting_approval"} | TERMINAL), "the 25% gate", processes)
    assert at_gate.state == "waiting_approval", (at_gate.reason, processes.logs())
    assert at_gate.stage_index == 1 and weights(stack) == {"stable": 75, "canary": 25}
    split = served_now(stack, 1)
    assert split[("v1", 200)] and split[("v2", 200)] and set(split) == {("v1", 200), ("v2", 200)}
    [gate] = wait_until(lambda: [(ts, m) for ts, m in slack.messages.items() if actions_of(m["blocks"])],
                        "the gate reply with buttons", processes)
    gate_ts, gate_message = gate
    buttons = actions_of(gate_message["blocks"])
    assert [(b["action_id"], b["text"]["text"]) for b in buttons] == [(APPROVE, "Approve"), (REJECT, "Reject")]
    value = buttons[0]["value"]

    # Neither a stranger nor the deployer can pass the gate; each is told why, privately.
    for user, why in ((STRANGER, "you are not an approver of demo in staging"), (DEPLOYER, "you started this deploy")):
        assert click(base, value, user).status_code == 200
        [text] = wait_until(lambda user=user: ephemerals(slack, user), f"the answer to {user}", processes)
        assert text.startswith("You can't approve this, because " + why), text
    assert latest(redis).state == "waiting_approval"

    assert click(base, value, APPROVER).status_code == 200
    final = wait_until(in_state(redis, TERMINAL), "the rollout to end", processes)
    assert final.state == "succeeded", (final.reason, processes.logs())
    took = time.monotonic() - started
    reported(slack, processes)
    assert final.traffic == {"stable": 0, "canary": 100}
    assert weights(stack) == {"stable": 0, "canary": 100}
    served = served_now(stack)
    assert set(served) == {("v2", 200)} and served[("v2", 200)] > 50

    # A click on the closed gate changes nothing and says so. (The same click again is not even queued:
    # its job id is the same, so the worker sees it once.)
    click(base, value, APPROVER, approve=False)
    [late] = wait_until(lambda: ephemerals(slack, APPROVER), "the answer to the late click", processes)
    assert late == "Nothing changed: that gate is no longer waiting.", late
    assert latest(redis).state == "succeeded" and weights(stack) == {"stable": 0, "canary": 100}

    parent, parent_ts, replies = thread_of(slack)
    assert "demo" in parent["text"] and "v2" in parent["text"]
    updates = [u for u in slack.named("chat.update") if u["ts"] == parent_ts]
    assert len(updates) >= 4, [u["text"] for u in updates]
    assert "succeeded" in updates[-1]["text"]
    summary = json.dumps(slack.messages[parent_ts]["blocks"], ensure_ascii=False)
    for piece in ("■ 5%", "■ 25%", "■ 100%", "canary 100%", "stable 0%", "limit 1.00%", "limit 500 ms"):
        assert piece in summary, summary
    # The stages advanced in that one message: its updates showed each stage as the current one, in order.
    progress = [re.search(r"\*Progress\*  ([^\\]*)", json.dumps(u["blocks"], ensure_ascii=False)).group(1)
                for u in updates]
    shown = [p for i, p in enumerate(progress) if i == 0 or p != progress[i - 1]]
    assert shown == ["▶ 5%  □ 25%  □ 100%", "■ 5%  ▶ 25%  □ 100%", "■ 5%  ■ 25%  ■ 100%"], shown
    assert any("waiting for approval" in u["text"] for u in updates)
    texts = [r["text"] for r in replies]
    for piece in ("stage 1/3: 5% of traffic", "stage 2/3: 25% of traffic", "passed its analysis",
                  f"the 25% gate was approved by <@{APPROVER}>", "stage 3/3: 100% of traffic", "serves 100%"):
        assert any(piece in t for t in texts), (piece, texts)
    # The gate reply was edited in place: the buttons are gone, who approved stays.
    gate_updates = [u for u in slack.named("chat.update") if u["ts"] == gate_ts]
    assert len(gate_updates) == 1 and not actions_of(gate_updates[0]["blocks"])
    assert f"approved by <@{APPROVER}>" in gate_updates[0]["text"]
    assert not actions_of(slack.messages[gate_ts]["blocks"])
    assert not [t for t in texts if "GitHub" in t]  # GitHub answered, so the thread says nothing about it
    [deployment] = deployments(github)
    assert deployment["ref"] == "v2" and deployment["environment"] == "staging"
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "success"]

    status = slash(base, slack, "status demo").text
    assert "*demo* v2 → staging, canary: ✅ succeeded" in status, status
    # After success the old version is still there: a rollback is instant, and HAProxy serves v1 again.
    assert "Asking for rollback of *demo*" in slash(base, slack, "rollback demo").text
    back = wait_until(in_state(redis, {"rolled_back"}), "the rollback after success", processes)
    assert back.reason.startswith(f"rolled back by <@{DEPLOYER}> after it had succeeded"), back.reason
    assert weights(stack) == {"stable": 100, "canary": 0}
    assert set(served_now(stack)) == {("v1", 200)}
    print(f"\nSlack /deploy canary end to end: {took:.1f}s from the command to 100%; "
          f"{len(slack.calls)} Slack calls ({Counter(slack.methods())})")


def test_a_fault_in_the_canary_rolls_back_by_itself_and_says_why_in_slack(
        bot: tuple[str, Processes], stack: LocalStack, slack: SlackState, github: FakeGitHub, redis: Any) -> None:
    base, processes = bot
    stack.set_fault("canary", error_rate=0.3)
    assert slash(base, slack, "demo canary to staging @v2").status_code == 200

    final = wait_until(in_state(redis, TERMINAL), "the rollout to end", processes)
    assert final.state == "rolled_back", (final.reason, processes.logs())
    reported(slack, processes)
    assert final.stage_index == 0
    # The reason names the metric, its value and the limit.
    assert final.reason.startswith("automatic rollback at 5%: error rate "), final.reason
    assert "is above the limit 1.00%" in final.reason
    assert final.traffic == {"stable": 100, "canary": 0} and weights(stack) == {"stable": 100, "canary": 0}
    served = served_now(stack)
    assert set(served) == {("v1", 200)} and served[("v1", 200)] > 50

    parent, parent_ts, replies = thread_of(slack)
    assert not any(actions_of(m["blocks"]) for m in slack.messages.values())  # no gate was ever offered
    assert any(final.reason in r["text"] for r in replies), [r["text"] for r in replies]
    last = slack.messages[parent_ts]
    assert "rolled back" in last["text"]
    assert "error rate" in json.dumps(last["blocks"]) and "❌" in json.dumps(last["blocks"], ensure_ascii=False)
    [deployment] = deployments(github)
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "failure"]
    status = slash(base, slack, "status").text  # every app, with the reason of one that ended
    assert status == f"• *demo* v2 → staging, canary: ↩️ rolled back at 5% ({final.reason})", status
