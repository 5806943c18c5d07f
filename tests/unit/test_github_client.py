"""The PyGithub client: counted calls, bounded retries on transient answers, transient-error test."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException
from github.Repository import Repository

from bot.github_client import CallCounter
from bot.github_client import RetryPolicy
from bot.github_client import is_transient
from bot.github_client import make_github
from tests.fakes.github_server import FakeGitHub

QUICK = RetryPolicy(total=2, backoff_factor=0.0, max_wait_seconds=0.3, secondary_rate_wait=0.0)


def client(fake: FakeGitHub, counter: CallCounter, policy: RetryPolicy = QUICK) -> Repository:
    fake.add_repo("octo/svc", {"app.py": "print(1)\n"})
    return make_github("ghs_test", fake.base_url, counter=counter, policy=policy).get_repo("octo/svc")


def test_every_request_is_counted_and_building_objects_from_ids_costs_nothing(fake_github: FakeGitHub) -> None:
    counter = CallCounter()
    repo = client(fake_github, counter)
    comment = repo.get_issue(1).get_comment(5)
    assert counter.calls == 0 and comment is not None
    repo.get_git_ref("heads/main").object.sha
    assert counter.calls == 1 == len(fake_github.calls)


def test_429_with_retry_after_is_retried_and_a_long_retry_after_is_capped(fake_github: FakeGitHub) -> None:
    counter = CallCounter()
    repo = client(fake_github, counter)
    fake_github.fail("GET", r"/git/ref/", 429, retry_after=3600)
    started = time.monotonic()
    assert repo.get_git_ref("heads/main").object.sha
    assert time.monotonic() - started < 5
    assert counter.retries == 1 and counter.statuses == [429]


def test_retries_are_bounded_and_the_last_answer_becomes_a_github_exception(fake_github: FakeGitHub) -> None:
    counter = CallCounter()
    repo = client(fake_github, counter)
    fake_github.fail("GET", r"/git/ref/", 503, times=10)
    with pytest.raises(GithubException) as raised:
        repo.get_git_ref("heads/main").object.sha
    assert raised.value.status == 503 and is_transient(raised.value)
    assert len(fake_github.calls) == 1 + QUICK.total


def test_a_404_is_not_retried_and_not_transient(fake_github: FakeGitHub) -> None:
    counter = CallCounter()
    repo = client(fake_github, counter)
    with pytest.raises(GithubException) as raised:
        repo.get_git_ref("heads/nope").object.sha
    assert raised.value.status == 404 and not is_transient(raised.value)
    assert counter.retries == 0


def test_transient_means_5xx_rate_limits_and_network_trouble() -> None:
    assert is_transient(GithubException(502, {"message": "Bad Gateway"}, {}))
    assert is_transient(GithubException(403, {"message": "You have exceeded a secondary rate limit"}, {}))
    assert is_transient(GithubException(403, {"message": "x"}, {"Retry-After": "30"}))
    assert not is_transient(GithubException(403, {"message": "Resource not accessible by integration"}, {}))
    assert not is_transient(GithubException(422, {"message": "Validation Failed"}, {}))
    assert is_transient(requests.ConnectionError("refused"))
    assert not is_transient(ValueError("bug"))
