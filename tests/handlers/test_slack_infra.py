"""Slack `/devops setup infra OWNER/REPO CLOUD ...`: acknowledged and queued once, then the same pull request as on
GitHub, announced in the channel."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
import redis as redis_lib

from bot.engine import run_pipeline
from bot.github_client import make_github
from bot.infra_job import BRANCH
from bot.queue import get_queue
from bot.settings import Settings
from bot.slack_infra import setup_infra_from_slack
from bot.slack_reporter import slack_client
from bot.web import create_app
from handlers.slack_infra import JOB
from tests.conftest import REPOS
from tests.fakes.git_objects import read_directory
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import FAST
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import post
from tests.fakes.slack_server import SlackServer


def devops_body(text: str, trigger_id: str = "222.333.infra") -> bytes:
    fields = dict(urllib.parse.parse_qsl(command_body(text, trigger_id=trigger_id).decode()))
    fields["command"] = "/devops"
    return urllib.parse.urlencode(fields).encode()


@pytest.fixture
def web(redis_url: str) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    with SlackServer() as slack:
        settings = Settings(github_app_id="1", github_webhook_secret="unused", slack_bot_token="xoxb-test",
                            slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url)
        yield create_app(settings, redis=conn).test_client(), conn, slack, settings
    conn.flushdb()
    conn.close()


def run_the_queued_job(web: Any, fake_github: FakeGitHub, fixture: str = "needs-database") -> tuple[Any, ...]:
    """Run the one queued setup-infra job on a fake acme/blog holding the fixture: (request, summary, repository)."""
    _, conn, _, settings = web
    [job] = get_queue(conn).get_jobs()
    repo = fake_github.add_repo("acme/blog", read_directory(REPOS / fixture))
    summary = setup_infra_from_slack(
        job.args[0], client=slack_client(settings), runner=run_pipeline,
        repository_for=lambda name: make_github("ghs_test", fake_github.base_url, policy=FAST).get_repo(name))
    return job.args[0], summary, repo


@pytest.fixture(autouse=True)
def no_checkov(monkeypatch: pytest.MonkeyPatch) -> None:
    """checkov takes about 20 s a run here; tests/unit/test_infra_terraform.py runs it on the same code."""
    monkeypatch.setattr("bot.iac_checks.checkov_binary", lambda: None)


def test_a_setup_infra_command_is_queued_once_and_opens_the_pull_request(web: Any, fake_github: FakeGitHub) -> None:
    client, conn, slack, settings = web
    response = post(client, devops_body("setup infra acme/blog aws staging --compliance gdpr --budget 900"))
    assert response.status_code == 200
    assert "Setting up aws infrastructure (staging) for acme/blog" in response.get_data(as_text=True)
    post(client, devops_body("setup infra acme/blog aws staging --compliance gdpr --budget 900"))  # Slack's retry
    [job] = get_queue(conn).get_jobs()
    assert job.func_name == JOB
    request = job.args[0]
    assert request["options"] == {"cloud_provider": "aws", "environment_type": "staging", "compliance": ["gdpr"],
                                  "budget": 900, "priority": None, "region": None, "iac_tool": None}

    repo = fake_github.add_repo("acme/blog", read_directory(REPOS / "needs-database"))
    summary = setup_infra_from_slack(
        request, repository_for=lambda name: make_github("ghs_test", fake_github.base_url, policy=FAST).get_repo(name),
        client=slack_client(settings), runner=run_pipeline)
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["head"] == BRANCH and "## GDPR" in repo.files_on(BRANCH)["docs/compliance.md"]
    assert "requested for **staging**" in pull["body"]
    assert pull["body"].endswith('<!-- devops-bot:options {"arguments": ["aws", "staging", "--compliance=gdpr", '
                                 '"--budget", "900"], "command": "setup infra"} -->\n')  # a refresh keeps them
    [message] = slack.named("chat.postMessage")
    assert message["channel"] == CHANNEL
    assert message["text"].startswith(f"<@{DEPLOYER}> Opened pull request #{summary['pull_request']} with the "
                                       "infrastructure code")


def test_bad_setup_infra_arguments_are_answered_at_once_and_nothing_is_queued(web: Any) -> None:
    client, conn, _, _ = web
    text = post(client, devops_body("setup infra blog oracle --budget -1", trigger_id="9.9.bad")).get_data(
        as_text=True)
    assert "name the repository as OWNER/REPO (got `blog`)" in text
    assert "`oracle` is not a valid cloud" in text and "`--budget` must be a monthly amount" in text
    assert get_queue(conn).get_jobs() == []
    assert "/devops setup infra OWNER/REPO CLOUD" in post(client, devops_body("help", trigger_id="9.9.h")).get_data(
        as_text=True)
