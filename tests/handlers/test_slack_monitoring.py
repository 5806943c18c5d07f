"""Slack `/devops setup monitoring OWNER/REPO [STACK]`: acknowledged and queued once, then the same pull request
as on GitHub, announced in the channel."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
import redis as redis_lib

from bot.engine import run_pipeline
from bot.github_client import make_github
from bot.monitoring_job import BRANCH
from bot.queue import get_queue
from bot.settings import Settings
from bot.slack_monitoring import setup_monitoring_from_slack
from bot.slack_reporter import slack_client
from bot.web import create_app
from handlers.slack_devops import JOB
from tests.fakes.git_objects import read_directory
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import FAST
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import post
from tests.fakes.slack_server import SlackServer
from tests.unit.monitoring_support import SHOP


def devops_body(text: str, trigger_id: str = "222.333.mon") -> bytes:
    fields = dict(urllib.parse.parse_qsl(command_body(text, trigger_id=trigger_id).decode()))
    fields["command"] = "/devops"
    return urllib.parse.urlencode(fields).encode()


@pytest.fixture
def web(redis_url: str) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    with SlackServer() as slack:  # no apps file: /deploy knows no app, /devops needs none
        settings = Settings(github_app_id="1", github_webhook_secret="unused", slack_bot_token="xoxb-test",
                            slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url)
        yield create_app(settings, redis=conn).test_client(), conn, slack, settings
    conn.flushdb()
    conn.close()


def test_a_setup_monitoring_command_is_queued_once_and_opens_the_pull_request(web: Any, fake_github: FakeGitHub) -> None:
    client, conn, slack, settings = web
    response = post(client, devops_body("setup monitoring acme/shop"))
    assert response.status_code == 200
    assert "Setting up monitoring (the repository's stack) for acme/shop" in response.get_data(as_text=True)
    post(client, devops_body("setup monitoring acme/shop"))  # Slack's retry of the same command
    [job] = get_queue(conn).get_jobs()
    assert job.func_name == JOB
    request = job.args[0]
    assert request == {"repository": "acme/shop", "stack": None, "user_id": DEPLOYER, "channel_id": CHANNEL,
                       "response_url": request["response_url"]}

    repo = fake_github.add_repo("acme/shop", read_directory(SHOP))
    summary = setup_monitoring_from_slack(
        request, repository_for=lambda name: make_github("ghs_test", fake_github.base_url, policy=FAST).get_repo(name),
        client=slack_client(settings), runner=run_pipeline)
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["head"] == BRANCH and "prometheus/rules/slo-checkout.yml" in repo.files_on(BRANCH)
    assert pull["body"].endswith('<!-- devops-bot:options {"arguments": [], "command": "setup monitoring"} -->\n')
    [message] = slack.named("chat.postMessage")
    assert message["channel"] == CHANNEL
    assert message["text"].startswith(f"<@{DEPLOYER}> Opened pull request #{summary['pull_request']} with the monitoring "
                                       "setup")


def test_a_bad_repository_or_stack_is_answered_at_once_and_nothing_is_queued(web: Any) -> None:
    client, conn, _, _ = web
    response = post(client, devops_body("setup monitoring shop nagios", trigger_id="9.9.bad"))
    text = response.get_data(as_text=True)
    assert "name the repository as OWNER/REPO (got `shop`)" in text
    assert "`nagios` is not a monitoring stack; use one of prometheus_grafana, elk, datadog, new_relic, custom" in text
    assert get_queue(conn).get_jobs() == []
    assert "Usage: `/devops setup monitoring OWNER/REPO [STACK]`" in post(
        client, devops_body("help", trigger_id="9.9.help")).get_data(as_text=True)


def test_the_pull_request_records_the_stack_asked_for_in_slack_so_a_refresh_keeps_it(
        web: Any, fake_github: FakeGitHub) -> None:
    client, conn, _, settings = web
    post(client, devops_body("setup monitoring acme/shop datadog", trigger_id="7.7.dd"))
    [job] = get_queue(conn).get_jobs()
    repo = fake_github.add_repo("acme/shop", read_directory(SHOP))

    summary = setup_monitoring_from_slack(
        job.args[0], client=slack_client(settings), runner=run_pipeline,
        repository_for=lambda name: make_github("ghs_test", fake_github.base_url, policy=FAST).get_repo(name))

    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["title"].startswith("Monitoring (datadog):")
    assert pull["body"].endswith(
        '<!-- devops-bot:options {"arguments": ["datadog"], "command": "setup monitoring"} -->\n')
