"""Slack answering 429 with Retry-After to chat.postMessage and chat.update: wait it out, then success;
rate limited past every retry, or told to wait longer than the cap: one clear warning, and the rollout goes on
without that message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.settings import Settings
from bot.slack_reporter import MAX_RETRY_AFTER_SECONDS
from bot.slack_reporter import SlackReporter
from bot.slack_reporter import slack_client
from tests.fakes.slack_server import SlackServer
from tests.fakes.slack_server import SlackState


@pytest.fixture
def slack() -> Iterator[SlackState]:
    with SlackServer() as state:
        yield state


@pytest.fixture
def reporter(slack: SlackState, redis_conn: Any) -> SlackReporter:
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack.base_url)
    return SlackReporter(slack_client(settings), redis_conn)


def test_a_rate_limited_post_waits_for_retry_after_then_succeeds(slack: SlackState, reporter: SlackReporter) -> None:
    slack.rate_limit("chat.postMessage", 2)
    started = time.monotonic()
    ts = reporter.open_thread("r1", "C123", "Deploying shop v2")
    waited = time.monotonic() - started
    assert ts is not None and slack.messages[ts]["text"] == "Deploying shop v2"
    assert waited >= 2 * slack.retry_after  # Retry-After: 1, twice
    assert slack.methods() == ["chat.postMessage"] * 3 and len(slack.messages) == 1
    print(f"\nSlack chat.postMessage 429 x2 (Retry-After 1): posted once after {waited:.2f}s")


def test_a_rate_limited_update_waits_then_updates(slack: SlackState, reporter: SlackReporter) -> None:
    reporter.open_thread("r1", "C123", "Deploying shop v2")
    slack.rate_limit("chat.update", 1)
    started = time.monotonic()
    reporter.retitle("r1", "Deploy of shop v2 finished")
    assert time.monotonic() - started >= slack.retry_after
    assert [m["text"] for m in slack.messages.values()] == ["Deploy of shop v2 finished"]
    assert reporter.last_error is None


def test_rate_limited_past_every_retry_gives_one_clear_warning(slack: SlackState, reporter: SlackReporter,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    slack.rate_limit("chat.postMessage", 10)
    with caplog.at_level(logging.WARNING):
        assert reporter.open_thread("r1", "C123", "Deploying shop v2") is None
    assert slack.methods() == ["chat.postMessage"] * 4  # one call and three retries, then it gives up
    assert reporter.last_error == "ratelimited"
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert warnings == ["Slack chat_postMessage failed: ratelimited"]


def test_a_retry_after_longer_than_the_cap_is_not_waited(slack: SlackState, reporter: SlackReporter) -> None:
    """A tick holds the rollout's lock while it reports: waiting a long Retry-After could outlive the lock."""
    slack.retry_after = MAX_RETRY_AFTER_SECONDS + 1
    slack.rate_limit("chat.postMessage", 1)
    started = time.monotonic()
    assert reporter.open_thread("r1", "C123", "Deploying shop v2") is None
    assert time.monotonic() - started < 1
    assert slack.methods() == ["chat.postMessage"] and reporter.last_error == "ratelimited"
