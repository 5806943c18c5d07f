"""A Slack /deploy of an app with a repository is recorded with GitHub's Deployments API, with no extra setup.

The deploy job runs as a worker would: settings from the environment, reporters built from the rollout's
factory names (Slack thread + GitHub Deployments), the fake Slack and fake GitHub on loopback.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.deploy_apps import load_apps
from bot.queue import get_queue
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.testing import MemoryPlatform
from bot.slack_jobs import GITHUB_REPORTER_FACTORY
from bot.slack_jobs import REPORTER_FACTORY
from bot.slack_jobs import start_deploy
from handlers.slack import parse_deploy
from handlers.slack import pipeline_inputs
from tests.fakes.github_deployment_routes import deployments
from tests.fakes.github_server import ServerThread
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import apps_yaml
from tests.fakes.slack_kit import healthy_server
from tests.fakes.slack_server import SlackServer


@pytest.fixture
def world(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    healthy = healthy_server()
    apps_file = tmp_path / "apps.yml"
    apps_file.write_text(apps_yaml(f"http://127.0.0.1:{healthy.server_port}"), encoding="utf-8")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with SlackServer() as slack, ServerThread() as github:
        repo = github.add_repo("acme/checkout", {"README.md": "checkout\n"})
        repo.git.refs["tags/v2"] = repo.branch_head("main")
        for name, value in {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                            "SLACK_API_URL": slack.base_url, "GITHUB_APP_ID": "77", "GITHUB_PRIVATE_KEY": key,
                            "GITHUB_API_URL": github.base_url, "REDIS_URL": redis_url,
                            "DEVOPS_BOT_APPS_FILE": str(apps_file),
                            "DEVOPS_BOT_ENV_FILE": str(tmp_path / "absent.env")}.items():
            monkeypatch.setenv(name, value)
        clock = [time.time()]
        platform = MemoryPlatform()
        # reporters exactly as a worker builds them: from the names the rollout carries
        deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=lambda _: platform,
                           reporters=engine.reporters_from_factories, now=lambda: clock[0])
        yield deps, clock, slack, github, apps_file
    healthy.shutdown()
    healthy.server_close()
    conn.flushdb()
    conn.close()


def deploy_through_the_gate(deps: engine.Deps, clock: list[float], apps_file: Path) -> Any:
    apps = load_apps(apps_file)
    inputs = pipeline_inputs(apps["checkout"], parse_deploy("checkout to production", apps), DEPLOYER)
    assert start_deploy({"rollout_id": "slackgh1", "channel_id": CHANNEL, "user_id": DEPLOYER, "inputs": inputs},
                        deps=deps)["status"] == "succeeded"
    for _ in range(20):
        rollout = engine.get("slackgh1", deps=deps)
        if rollout.state == WAITING_APPROVAL:
            break
        driver.step(deps, set_clock=lambda t: clock.__setitem__(0, t))
    assert engine.approve("slackgh1", rollout.stage_index, rollout.gate_token, APPROVER, deps=deps).ok
    return engine.get("slackgh1", deps=deps)


def test_a_slack_deploy_of_an_app_with_a_repository_is_recorded_as_a_github_deployment(world: Any) -> None:
    deps, clock, slack, github, apps_file = world
    final = deploy_through_the_gate(deps, clock, apps_file)
    assert final.state == SUCCEEDED
    assert final.reporter_factories == [REPORTER_FACTORY, GITHUB_REPORTER_FACTORY]
    [deployment] = deployments(github)
    assert deployment["ref"] == "v2" and deployment["environment"] == "production"
    assert deployment["payload"]["rollout_id"] == "slackgh1"
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "success"]
    parent_ts = next(ts for ts, m in slack.messages.items() if not m["thread_ts"])
    permalink = f"https://devops-bot-tests.slack.com/archives/{CHANNEL}/p{parent_ts.replace('.', '')}"
    assert final.github == {"repository": "acme/checkout", "deployment_id": deployment["id"], "state": "success",
                            "log_url": permalink}
    # GitHub's Environments view links each status to the rollout's Slack thread
    assert [(s["log_url"], s["target_url"]) for s in deployment["statuses"]] == [(permalink, permalink)] * 2
    assert slack.named("chat.postMessage")  # the Slack thread went on beside it


def test_github_down_during_a_slack_deploy_is_one_note_in_the_thread(world: Any) -> None:
    deps, clock, slack, github, apps_file = world
    github.fail("POST", r"/deployments$", 500)
    final = deploy_through_the_gate(deps, clock, apps_file)
    assert final.state == SUCCEEDED
    notes = [m["text"] for m in slack.named("chat.postMessage") if "GitHub Deployments" in m["text"]]
    assert notes == ["GitHub Deployments for acme/checkout are not recorded for this rollout (HTTP 500: Server "
                     "Error); the rollout itself goes on."]
    assert all(m.get("thread_ts") for m in slack.named("chat.postMessage") if "GitHub" in m["text"])
