"""Secrets never leak: the App's private key, installation tokens, the webhook secret, Slack's signing secret and
bot token are absent from logs (DEBUG, every logger), worker output, RQ jobs and everything else in Redis, exception
messages, what the bot sends to GitHub and Slack, and the generated files.

The one deliberate exception is the installation-token cache (`github:installation-token:<id>`), which exists so
that every worker can reuse a token; it holds the token and nothing else, and is checked to be the only place.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.errors import SettingsError
from bot.rollouts import engine
from bot.rollouts.testing import MemoryPlatform
from bot.queue import get_queue
from bot.settings import Settings
from bot.slack_reporter import SlackReporter
from bot.slack_reporter import slack_client
from bot.web import create_app
from tests.conftest import github_payload
from tests.fakes.github_server import ServerThread
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import GROUP
from tests.fakes.slack_kit import GROUP_MEMBER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import World
from tests.fakes.slack_kit import apps_yaml
from tests.fakes.slack_kit import click_body
from tests.fakes.slack_kit import healthy_server
from tests.fakes.slack_kit import post
from tests.fakes.slack_server import SlackServer
from tests.handlers.test_slack import start_at_gate
from tests.security.conftest import github_signature

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec-7f3a-DISTINCT-webhook-secret-91c2"
BOT_TOKEN = "xoxb-1111-2222-DISTINCTbottoken3333"
APP_ID = "424242"
BRANCH = "devops-bot/setup-ci"


def _private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_key(private: str) -> str:
    key = serialization.load_pem_private_key(private.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def secret_needles(private_key: str, tokens: set[str] = frozenset()) -> dict[str, str]:
    """Each secret and a name for it; every base64 line of the key counts on its own."""
    needles = {WEBHOOK_SECRET: "webhook secret", BOT_TOKEN: "Slack bot token", SIGNING_SECRET: "Slack signing secret"}
    needles.update({line: "private key line" for line in private_key.splitlines() if len(line) >= 40})
    needles.update({token: "installation token" for token in tokens})
    return needles


def leaks(where: str, text: str | bytes, needles: dict[str, str]) -> list[str]:
    """`where: what` for each secret found in `text`."""
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return [f"{where}: {name}" for needle, name in needles.items() if needle.encode() in data]


def redis_dump(conn: Any) -> Iterator[tuple[str, bytes]]:
    """Every key's value as bytes, with RQ's zlib-compressed job data decompressed."""
    for key in conn.scan_iter(count=1000):
        name = key.decode()
        kind = conn.type(key).decode()
        if kind == "string":
            values = [conn.get(key)]
        elif kind == "hash":
            values = [k + b"=" + v for k, v in conn.hgetall(key).items()]
        elif kind == "list":
            values = conn.lrange(key, 0, -1)
        elif kind == "set":
            values = list(conn.smembers(key))
        elif kind == "zset":
            values = [member for member, _ in conn.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            values = [json.dumps([[i.decode(), {k.decode(): v.decode("latin-1") for k, v in f.items()}]
                                  for i, f in conn.xrange(key)]).encode()]
        else:
            values = []
        for value in values:
            value = value or b""
            for start in range(len(value)):  # a hash field holds `name=` then zlib data
                try:
                    value += zlib.decompress(value[start:])
                    break
                except zlib.error:
                    if start > 64:
                        break
            yield name, value


@pytest.fixture
def github_flow(redis_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    private = _private_key()
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    with ServerThread() as fake:
        fake.strict_tokens = True
        fake.app_id, fake.app_public_key = APP_ID, _public_key(private)
        payload = github_payload("issue_comment", "created.with-installation.payload.json")
        repo = fake.add_repo(payload["repository"]["full_name"], ROOT / "examples" / "sample-service",
                             default_branch=payload["repository"]["default_branch"],
                             repo_id=payload["repository"]["id"])
        repo.add_comment(1, payload["comment"]["id"], "/devops setup ci", payload["comment"]["user"]["login"])
        repo.grant(payload["comment"]["user"]["login"], "write")
        env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "SLACK_", "REDIS_"))}
        env.update(GITHUB_API_URL=fake.base_url, REDIS_URL=redis_url, GITHUB_APP_ID=APP_ID, GITHUB_PRIVATE_KEY=private,
                   GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                   DEVOPS_BOT_ENV_FILE=str(tmp_path / "absent.env"), PYTHONPATH=str(ROOT))
        yield {"fake": fake, "repo": repo, "env": env, "conn": conn, "private": private, "payload": payload}
    conn.flushdb()
    conn.close()


def _deliver(client: Any, payload: dict[str, Any], body_text: str) -> int:
    payload = {**payload, "comment": {**payload["comment"], "body": body_text}}
    raw = json.dumps(payload).encode()
    return client.post("/github/webhook", data=raw, headers={
        "X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": str(uuid.uuid4()), "Content-Type": "application/json",
        "X-Hub-Signature-256": github_signature(raw, WEBHOOK_SECRET)}).status_code


def _worker(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "bot.cli", "worker", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    return done.stdout + done.stderr


def test_a_webhook_to_pull_request_flow_and_a_failing_one_leak_no_secret(
        github_flow: dict[str, Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    fake, repo, env, conn = github_flow["fake"], github_flow["repo"], github_flow["env"], github_flow["conn"]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    client = create_app(Settings.from_env(), redis=conn).test_client()

    assert _deliver(client, github_flow["payload"], "/devops setup ci") == 202
    worker_output = _worker(env)
    [pull] = repo.open_pulls()  # the flow really ran
    # A failing run: GitHub refuses the token, so the job's exception and its retries are recorded.
    conn.delete("github:installation-token:1")
    fake.fail("POST", r"/access_tokens$", 401)
    assert _deliver(client, github_flow["payload"], "/devops setup ci --coverage 90") == 202
    failing_output = _worker(env)
    assert "401" in failing_output

    needles = secret_needles(github_flow["private"], set(fake.tokens))
    assert fake.tokens and len(needles) >= 3 + 20 + 1
    found = leaks("web log", caplog.text, needles) + leaks("worker output", worker_output + failing_output, needles)
    cached = 0
    dump = list(redis_dump(conn))
    assert any(b"Codertocat" in value and key.startswith("rq:job:") for key, value in dump)  # job args were read
    for key, value in dump:
        if key.startswith("github:installation-token:") and not key.endswith(":lock"):
            cached += 1
            assert set(json.loads(value)) == {"token", "expires_at"}
            continue
        found += leaks(f"redis {key}", value, needles)
    files = repo.files_on(BRANCH)
    for path, text in files.items():
        found += leaks(f"generated {path}", text, needles)
    found += leaks("pull request", json.dumps(pull), needles)
    found += leaks("comments", json.dumps(repo.comments_on(1)), needles)
    found += leaks("requests to GitHub", json.dumps([call for call in fake.requests()]), needles)

    assert found == []
    assert cached <= 1
    assert len(files) >= 3 and conn.dbsize() > 5  # there was something to scan


def test_a_slack_deploy_and_approval_leak_no_secret(redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    healthy = healthy_server()
    apps_file = tmp_path / "apps.yml"
    apps_file.write_text(apps_yaml(f"http://127.0.0.1:{healthy.server_port}"), encoding="utf-8")
    try:
        with SlackServer() as slack:
            slack.usergroups[GROUP] = [GROUP_MEMBER]
            for key, value in {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                               "SLACK_API_URL": slack.base_url, "DEVOPS_BOT_APPS_FILE": str(apps_file),
                               "DEVOPS_BOT_ENV_FILE": str(tmp_path / "absent.env")}.items():
                monkeypatch.setenv(key, value)
            settings = Settings(github_app_id="1", github_webhook_secret=WEBHOOK_SECRET, slack_bot_token=BOT_TOKEN,
                                slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
                                deploy_apps_file=str(apps_file))
            platform, clock = MemoryPlatform(), [time.time()]
            deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=lambda _: platform,
                               reporters=lambda _: [SlackReporter(slack_client(settings), conn)], now=lambda: clock[0])
            world = World(create_app(settings, redis=conn).test_client(), slack, deps, platform, clock, apps_file)
            value = start_at_gate(world)
            post(world.client, click_body(value, APPROVER))
            world.run_jobs()
            assert world.latest().state == "succeeded"
            sent_to_slack = json.dumps(slack.calls, default=str)
        needles = secret_needles(_private_key())
        found = leaks("log", caplog.text, needles) + leaks("sent to Slack", sent_to_slack, needles)
        found += [leak for key, value in redis_dump(conn) for leak in leaks(f"redis {key}", value, needles)]
        found += leaks("settings repr", repr(settings), needles)

        assert found == []
        assert len(slack.calls) >= 3 and "DEBUG" in caplog.text  # the flow talked to Slack and logged at DEBUG
    finally:
        healthy.shutdown()
        healthy.server_close()
        conn.flushdb()
        conn.close()


@pytest.mark.parametrize("broken", ["not-a-key DISTINCT-key-material-0000", "-----BEGIN PRIVATE KEY-----\n"
                                    "DISTINCTDISTINCTDISTINCTDISTINCTDISTINCTDISTINCT\n-----END PRIVATE KEY-----\n"])
def test_start_up_errors_about_the_key_do_not_repeat_it(broken: str) -> None:
    environ = {"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": broken, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
               "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "GITHUB_API_URL": "nonsense"}
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environ)

    message = str(raised.value)
    assert "GITHUB_PRIVATE_KEY" in message
    assert "DISTINCT" not in message and WEBHOOK_SECRET not in message and BOT_TOKEN not in message
