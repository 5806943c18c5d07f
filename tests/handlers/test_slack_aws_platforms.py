"""`/deploy` of an app on ecs or lambda: the thread says plainly that nothing ran and where the CloudFormation is."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from bot.cli import main
from bot.errors import UserError
from bot.platforms import platform_for
from bot.queue import get_queue
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import Rollout
from bot.rollouts.testing import MemoryPlatform
from bot.settings import Settings
from bot.slack_reporter import SlackReporter
from bot.slack_reporter import slack_client
from bot.web import create_app
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import post
from tests.fakes.slack_server import SlackServer
from tests.validators import check_cloudformation

APPS = f"""
apps:
  payments:
    repository: acme/payments
    platform: {{type: ecs, ecs: {{port: 8080, cpu: 512, memory: 1024}}}}
    artifact: {{type: container_registry, location: ghcr.io/acme/payments}}
    environments: [staging, production]
    version: v3
    stable_version: v2
    approvers: {{production: [{APPROVER}]}}
  thumbnails:
    repository: acme/thumbnails
    platform: {{type: lambda, lambda: {{runtime: python3.12, handler: thumbs.handler}}}}
    artifact: {{type: s3, location: "s3://acme-artifacts/thumbnails"}}
    environments: [staging]
    version: v7
"""


@pytest.fixture
def apps_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "apps.yml"
    path.write_text(APPS, encoding="utf-8")
    monkeypatch.setenv("DEVOPS_BOT_APPS_FILE", str(path))
    return path


@pytest.fixture
def slack_world(redis_url: str, apps_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    with SlackServer() as slack:
        for key, value in {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                           "SLACK_API_URL": slack.base_url, "DEVOPS_BOT_ENV_FILE": str(tmp_path / "absent.env")}.items():
            monkeypatch.setenv(key, value)
        settings = Settings(github_app_id="1", github_webhook_secret="unused", slack_bot_token="xoxb-test",
                            slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
                            deploy_apps_file=str(apps_file))
        platform = MemoryPlatform()
        deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=lambda _: platform,
                           reporters=lambda _: [SlackReporter(slack_client(settings), conn)], now=time.time)
        yield create_app(settings, redis=conn).test_client(), slack, deps, platform
    conn.flushdb()
    conn.close()


@pytest.mark.parametrize(("text", "platform", "template", "command"), [
    ("payments to staging", "ecs", "ecs/payments-staging.cfn.yaml", "devops-bot manifests payments --environment "
                                                                   "staging --out DIR"),
    ("thumbnails", "lambda", "lambda/thumbnails-staging.cfn.yaml", "devops-bot manifests thumbnails --environment "
                                                                   "staging --out DIR")])
def test_a_deploy_on_ecs_or_lambda_says_nothing_ran_and_where_its_cloudformation_is(
        slack_world: Any, text: str, platform: str, template: str, command: str) -> None:
    client, slack, deps, memory = slack_world
    assert post(client, command_body(text)).status_code == 200
    driver.run_queued(deps)
    replies = [m["text"] for m in slack.named("chat.postMessage")]
    refusal = next(t for t in replies if "The deploy did not start" in t)
    assert f"executing deployments on {platform} is not available yet, so nothing was deployed" in refusal
    assert template in refusal and command in refusal and "cloudformation deploy" in refusal
    assert engine.status(deps=deps) == [] and memory.calls == []  # no rollout, no platform call


@pytest.mark.validators
@pytest.mark.parametrize(("app", "expected"), [
    ("payments", ["ecs/payments-staging.cfn.yaml", "ecs/payments-staging.stages.json"]),
    ("thumbnails", ["lambda/thumbnails-staging.cfn.yaml", "lambda/thumbnails-staging.stages.json"])])
def test_the_manifests_command_writes_what_the_answer_names_and_cfn_lint_passes_it(
        apps_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], app: str, expected: list[str]) -> None:
    out = tmp_path / "out"
    assert main(["manifests", app, "--environment", "staging", "--out", str(out)]) == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == expected
    assert capsys.readouterr().out.split() == [str(out / path) for path in expected]
    assert check_cloudformation([out / expected[0]]) == []


def test_the_manifests_command_names_an_unknown_app_or_environment(apps_file: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifests", "billing", "--out", str(tmp_path)]) == 2
    assert "unknown app 'billing'; the apps file has: payments, thumbnails" in capsys.readouterr().err
    assert main(["manifests", "thumbnails", "--environment", "production", "--out", str(tmp_path)]) == 2
    assert "thumbnails deploys to staging, not 'production'" in capsys.readouterr().err


def test_the_worker_refuses_an_ecs_rollout_with_the_same_plain_answer() -> None:
    rollout = Rollout(rollout_id="r1", app="payments", environment="production", strategy="canary", version="v3",
                      stable_version="v2", platform="ecs", requested_by="U1")
    with pytest.raises(UserError, match=r"ecs is not available yet, so nothing was deployed.*ecs/payments-production"):
        platform_for(rollout)
