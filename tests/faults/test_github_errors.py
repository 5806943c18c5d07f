"""GitHub failing under a `/devops setup ci` job: 500/502, secondary rate limits, a repository gone (404).

Each ends in backoff then success, or in one clear failure message. The job runs against the fake
GitHub with the production retry policy's rules (shortened waits where the test says so).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from github import GithubException

from bot import messages
from bot.jobs import run_github_command
from tests.conftest import github_payload
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import command_request
from tests.fakes.job_kit import deps_for
from tests.fakes.job_kit import seed


@pytest.fixture
def payload() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


def bot_comments(repo: Any, issue: int = 1) -> list[str]:
    return [comment["body"] for comment in repo.comments_on(issue) if comment["user"].endswith("[bot]")]


@pytest.mark.parametrize("status", [500, 502])
def test_a_5xx_on_reads_is_retried_in_place_until_github_answers(fake_github: FakeGitHub, payload: dict[str, Any],
                                                                  status: int) -> None:
    repo = seed(fake_github, payload)
    fake_github.fail("GET", r"/git/trees/", status, times=2)
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "opened" and summary["retries"] == 2
    assert [call.status for call in fake_github.calls if "/git/trees/" in call.path] == [status, status, 200]
    assert len(repo.open_pulls()) == 1 and len(bot_comments(repo)) == 1


def test_a_5xx_that_outlasts_every_retry_ends_in_one_failure_message(fake_github: FakeGitHub,
                                                                       payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    fake_github.fail("GET", r"/git/trees/", 502, times=100)
    with pytest.raises(GithubException):
        run_github_command(command_request(payload), deps=deps_for(fake_github, job_id="github-job-9"))
    assert bot_comments(repo) == [bot_comments(repo)[0]] and messages.job_failed("github-job-9") in bot_comments(repo)[0]
    assert sum("/git/trees/" in call.path for call in fake_github.calls) == 4  # one attempt, three retries
    assert not repo.open_pulls()


def test_a_secondary_rate_limit_waits_for_retry_after_then_succeeds(fake_github: FakeGitHub,
                                                                    payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    fake_github.fail("POST", r"/git/commits$", 403, times=1, retry_after=2)
    started = time.monotonic()
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    waited = time.monotonic() - started
    assert waited >= 2.0
    assert summary["outcome"] == "opened" and summary["retries"] == 1 and len(repo.open_pulls()) == 1
    commits = [call.status for call in fake_github.calls if call.path.endswith("/git/commits")]
    assert commits == [403, 201]
    print(f"\n403 secondary rate limit, Retry-After 2: waited {waited:.2f}s, then one pull request")


def test_a_repository_removed_from_the_installation_fails_once_clearly_without_retries(
        fake_github: FakeGitHub, payload: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    seed(fake_github, payload)
    name = payload["repository"]["full_name"]
    del fake_github.repos[name]  # removed after the command was queued: GitHub now answers 404
    stopped: list[bool] = []
    deps = deps_for(fake_github, retries_left=3, stop_retries=lambda: stopped.append(True))
    with caplog.at_level(logging.WARNING), pytest.raises(GithubException):
        run_github_command(command_request(payload), deps=deps)
    assert stopped == [True]  # no retry can help
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(records) == 1, [record.getMessage() for record in records]
    assert name in records[0].getMessage() and "removed from the installation" in records[0].getMessage()
    assert not [call for call in fake_github.calls if call.method != "GET" and call.status != 404]
    assert len(fake_github.calls) <= 3
