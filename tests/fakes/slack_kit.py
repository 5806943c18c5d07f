"""Shared pieces of the Slack tests: signed slash commands and button clicks in the fixtures' shapes, a world."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import Rollout
from bot.rollouts.testing import MemoryPlatform
from tests.conftest import FIXTURES
from tests.fakes.slack_server import SlackState

SIGNING_SECRET = "slack-signing-secret-used-only-in-tests"
SLACK = FIXTURES / "slack" / "java-slack-sdk" / "app-backend"
DEPLOYER, APPROVER, GROUP_MEMBER, STRANGER = "U0DEPLOYER", "U0APPROVER", "U0GROUPMEM", "U0STRANGER"
GROUP = "S0RELEASES"
CHANNEL = "C0DEPLOYS1"


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 signature headers for `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


_trigger = [0]


def command_body(text: str, user: str = DEPLOYER, trigger_id: str | None = None,
                 response_url: str = "https://hooks.slack.com/commands/T0ACME0001/1/abc") -> bytes:
    """SlashCommandPayload.json's fields, filled in and form-encoded as Slack sends them."""
    fields = json.loads((SLACK / "slash-commands" / "SlashCommandPayload.json").read_text(encoding="utf-8"))
    _trigger[0] += 1
    fields.update(token="legacy-verification-token", api_app_id="A0DEVOPSBOT", team_id="T0ACME0001",
                  team_domain="acme", channel_id=CHANNEL, channel_name="deploys", user_id=user,
                  user_name=user.lower(), command="/deploy", text=text,
                  response_url=response_url,
                  trigger_id=trigger_id or f"13345224609.738474920.{_trigger[0]:08x}")
    fields.pop("enterprise_id")
    fields.pop("enterprise_name")
    fields["is_enterprise_install"] = "false"
    return urllib.parse.urlencode(fields).encode()


def response_url_at(slack: SlackState) -> str:
    """A command's response_url on the fake Slack (recorded there as the method "response_url")."""
    return slack.base_url.replace("/api/", "/response/commands/T0ACME0001/1/abc")


def click_body(value: str, user: str, approve: bool = True) -> bytes:
    """BlockActionPayload.json's shape for a button in a channel message, form-encoded as `payload=`."""
    payload = json.loads((SLACK / "interactive-components" / "BlockActionPayload.json").read_text(encoding="utf-8"))
    payload = copy.deepcopy(payload)
    # A click on a message button carries no view, unfurl or workflow-function data.
    for key in ("view", "app_unfurl", "function_data", "interactivity", "bot_access_token", "enterprise", "state"):
        payload.pop(key, None)
    payload.update(team={"id": "T0ACME0001", "domain": "acme"}, api_app_id="A0DEVOPSBOT",
                   token="legacy-verification-token", trigger_id=f"{time.time():.0f}.1.{user}",
                   response_url="https://hooks.slack.com/actions/T0ACME0001/1/abc", is_enterprise_install=False)
    payload["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0ACME0001"}
    payload["container"] = {"type": "message", "message_ts": "1503435956.000009", "channel_id": CHANNEL,
                            "is_ephemeral": False, "thread_ts": "1503435956.000001"}
    payload["channel"] = {"id": CHANNEL, "name": "deploys"}
    payload["message"] = {"type": "message", "text": "gate", "ts": "1503435956.000009", "blocks": []}
    action = payload["actions"][0]
    payload["actions"] = [{"action_id": "deploy_gate_approve" if approve else "deploy_gate_reject",
                           "block_id": "gate", "text": {"type": "plain_text", "text": "Approve", "emoji": True},
                           "value": value, "type": "button", "style": "primary",
                           "action_ts": f"{time.time():.6f}"}]
    assert set(payload["actions"][0]) <= set(action)  # still the fixture's shape
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def post(client: FlaskClient, body: bytes, headers: dict[str, str] | None = None) -> TestResponse:
    """A signed POST /slack/events."""
    return client.post("/slack/events", data=body, headers=headers or sign(body))


class Healthy(BaseHTTPRequestHandler):
    """Prometheus' /-/ready and the apps' /healthz, both fine: the pipeline's checks pass."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def healthy_server() -> ThreadingHTTPServer:
    """A started Healthy server on a free port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def apps_yaml(healthy_url: str) -> str:
    """An apps file with checkout: a 10% gated stage, then 100%."""
    return f"""
apps:
  checkout:
    repository: acme/checkout
    platform:
      type: local
      local: {{haproxy_socket: /nonexistent, prometheus_url: "{healthy_url}",
              slots: {{stable: "{healthy_url}", canary: "{healthy_url}"}}}}
    artifact: {{type: container_registry, location: ghcr.io/acme/checkout}}
    environments: [staging, production]
    strategy: canary
    version: v2
    stable_version: v1
    stages: [{{percentage: 10, duration: 4}}, {{percentage: 100}}]
    manual_approval_points: ["10%"]
    analysis_interval: 2
    success_criteria: {{error_rate: 0.01, latency_p99: 500}}
    approvers:
      staging: [{APPROVER}, {DEPLOYER}, {GROUP}]
      production: [{APPROVER}]
"""


@dataclass
class World:
    """The web app, the fake Slack, the engine's dependencies with a fake platform and clock."""

    client: FlaskClient
    slack: SlackState
    deps: engine.Deps
    platform: MemoryPlatform
    clock: list[float]
    apps_file: Path

    def run_jobs(self) -> None:
        """What a worker would do now: the queued jobs (commands, clicks), not the scheduled ticks."""
        driver.run_queued(self.deps)

    def advance_to_gate_or_end(self, limit: int = 20) -> Rollout:
        """Run scheduled ticks (jumping the clock) until the rollout waits at a gate or ends."""
        for _ in range(limit):
            rollout = self.latest()
            if rollout.state in ("waiting_approval", "succeeded", "rolled_back", "aborted", "failed"):
                return rollout
            driver.step(self.deps, set_clock=lambda t: self.clock.__setitem__(0, t))
        return self.latest()

    def latest(self) -> Rollout:
        """The newest rollout."""
        return engine.status(deps=self.deps)[0]
