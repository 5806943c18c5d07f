"""A refreshed setup-ci pull request keeps the `/devops setup ci` options it was opened with, against the fake GitHub.

Commands go through the real comment handler (the fixture payload with its body set) and the real
pipeline; refreshes come from the real push payload.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
import redis as redis_lib

from bot.engine import RedisRunStore
from bot.engine import run_pipeline
from bot.jobs import BRANCH
from bot.jobs import run_github_command
from bot.settings import Settings
from handlers.github_webhook import Delivery
from handlers.github_webhook import router
from tests.conftest import github_payload
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import deps_for
from tests.fakes.job_kit import seed
from tests.unit.test_onboarding_commands import bot_comments
from tests.unit.test_onboarding_commands import push

GITLAB = ".gitlab-ci.yml"
ACTIONS = ".github/workflows/ci.yml"


@pytest.fixture
def payload() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


def comment(fake: FakeGitHub, redis: redis_lib.Redis, payload: dict[str, Any], body: str) -> dict[str, Any]:
    """Deliver `body` as the fixture's comment through the real handler, and run the job it queues."""
    delivered = copy.deepcopy(payload)
    delivered["comment"]["body"] = body
    [(handler, _)] = router.find_all("issue_comment", delivered)
    request = handler(delivered, Delivery("issue_comment", f"d-{len(fake.calls)}", Settings()))
    assert request is not None
    deps = deps_for(fake, run_store=RedisRunStore(redis), runner=run_pipeline, job_id=f"github-{len(fake.calls)}")
    return run_github_command(request, deps=deps)


def setup_pull(repo: FakeRepo) -> dict[str, Any]:
    [pull] = [pull for pull in repo.open_pulls() if pull["head"] == BRANCH]
    return pull


def pull_number(repo: FakeRepo) -> int:
    return next(number for number, pull in repo.pulls.items() if pull is setup_pull(repo))


def pin_python(fake: FakeGitHub, redis: redis_lib.Redis, repo: FakeRepo) -> list[str]:
    """Pin Python 3.11 on the default branch, deliver the push, and return each bot PR's outcome."""
    repo.commit_on("master", {".python-version": "3.11\n"}, message="Pin Python")
    summary = push(fake, redis, [".python-version"])
    assert summary is not None
    return [pull["outcome"] for pull in summary["pulls"]]


def changed_by_last_commit(repo: FakeRepo, before: dict[str, str]) -> dict[str, str]:
    return {path: text for path, text in repo.files_on(BRANCH).items() if before.get(path) != text}


@pytest.fixture
def gitlab_sharded(fake_github: FakeGitHub, redis: redis_lib.Redis, payload: dict[str, Any]) -> FakeRepo:
    repo = seed(fake_github, payload)
    assert comment(fake_github, redis, payload, "/devops setup ci gitlab_ci --shards 4")["outcome"] == "opened"
    return repo


def test_a_push_refresh_keeps_the_platform_and_shards_the_pull_request_was_opened_with(
        fake_github: FakeGitHub, redis: redis_lib.Redis, gitlab_sharded: FakeRepo) -> None:
    repo = gitlab_sharded
    before = repo.files_on(BRANCH)

    assert pin_python(fake_github, redis, repo) == ["updated"]

    files = repo.files_on(BRANCH)
    assert ACTIONS not in files  # the default platform would have added a GitHub Actions workflow
    assert GITLAB in changed_by_last_commit(repo, before)
    assert "image: python:3.11-slim" in files[GITLAB] and "parallel: 4" in files[GITLAB]
    assert '"arguments": ["gitlab_ci", "--shards", "4"]' in setup_pull(repo)["body"]


def test_refresh_when_asked_keeps_the_options_too(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                  gitlab_sharded: FakeRepo, payload: dict[str, Any]) -> None:
    repo = gitlab_sharded
    repo.commit_on("master", {".python-version": "3.11\n"}, message="Pin Python")

    summary = comment(fake_github, redis, payload, "/devops refresh")

    assert [pull["outcome"] for pull in summary["pulls"]] == ["updated"]
    files = repo.files_on(BRANCH)
    assert ACTIONS not in files and "image: python:3.11-slim" in files[GITLAB] and "parallel: 4" in files[GITLAB]


def test_a_later_setup_ci_comment_records_its_options_for_the_next_refresh(
        fake_github: FakeGitHub, redis: redis_lib.Redis, gitlab_sharded: FakeRepo, payload: dict[str, Any]) -> None:
    repo = gitlab_sharded
    assert comment(fake_github, redis, payload, "/devops setup ci gitlab_ci --coverage 90")["outcome"] == "updated"

    assert pin_python(fake_github, redis, repo) == ["updated"]

    gitlab = repo.files_on(BRANCH)[GITLAB]
    assert "image: python:3.11-slim" in gitlab and "--cov-fail-under=90" in gitlab and "parallel:" not in gitlab
    assert '"arguments": ["gitlab_ci", "--coverage", "90"]' in setup_pull(repo)["body"]


def test_the_recorded_options_win_over_devops_yml_which_fills_what_they_leave_out(
        fake_github: FakeGitHub, redis: redis_lib.Redis, gitlab_sharded: FakeRepo) -> None:
    repo = gitlab_sharded
    repo.commit_on("master", {".devops.yml": "ci:\n  platform: circleci\n  test_shards: 2\n"
                                             "  quality_gates:\n    test_coverage_threshold: 65\n"})

    push(fake_github, redis, [".devops.yml"])

    files = repo.files_on(BRANCH)
    assert ".circleci/config.yml" not in files  # the command's platform and shards beat the file's
    assert "parallel: 4" in files[GITLAB] and "--fail-under=65" in files[GITLAB]  # the file's coverage applies


@pytest.mark.parametrize(("body", "said"), [
    ("A person rewrote the description.", "holds no record"),
    ("Mine.\n\n<!-- devops-bot:options {\"arguments\": [\"gitlab_ci\", -->", "cannot be read"),
    ("<!-- devops-bot:options {\"command\": \"setup ci\", \"arguments\": \"gitlab_ci\"} -->", "cannot be read"),
], ids=["no record", "broken json", "arguments not a list"])
def test_without_a_readable_record_the_refresh_uses_the_defaults_and_says_so(
        fake_github: FakeGitHub, redis: redis_lib.Redis, gitlab_sharded: FakeRepo, caplog: pytest.LogCaptureFixture,
        body: str, said: str) -> None:
    repo = gitlab_sharded
    setup_pull(repo)["body"] = body

    with caplog.at_level(logging.WARNING, logger="bot.refresh_packages"):
        assert pin_python(fake_github, redis, repo) == ["updated"]

    assert ACTIONS in repo.files_on(BRANCH)  # the default platform
    refreshed = setup_pull(repo)["body"]
    assert "**Refreshed with the default options**" in refreshed and said in refreshed
    assert "devops-bot:options" not in refreshed  # nothing recorded: the next refresh says so again
    assert any(said in record.getMessage() and "default options" in record.getMessage() for record in caplog.records)


def invalid_record() -> str:
    record = {"command": "setup ci", "arguments": ["travis_ci", "--shards", "99"]}
    return f"Set up CI.\n\n<!-- devops-bot:options {json.dumps(record)} -->\n"


def test_recorded_options_no_longer_valid_are_answered_once_on_the_pull_request_which_is_left_alone(
        fake_github: FakeGitHub, redis: redis_lib.Redis, gitlab_sharded: FakeRepo) -> None:
    repo = gitlab_sharded
    setup_pull(repo)["body"] = invalid_record()
    head = repo.branch_head(BRANCH)

    assert pin_python(fake_github, redis, repo) == ["invalid_options"]
    assert push(fake_github, redis, [".python-version"]) is not None  # a second push: no second answer

    assert repo.branch_head(BRANCH) == head
    [answer] = bot_comments(repo, pull_number(repo))
    assert "options it was opened with are no longer valid" in answer
    assert "`travis_ci`" in answer and "`gitlab_ci`" in answer  # the bad value and the valid ones
    assert "`--shards` must be a whole number from 1 to 50 (got `99`)" in answer  # every problem at once


def test_refresh_when_asked_answers_recorded_options_no_longer_valid_in_its_reply(
        fake_github: FakeGitHub, redis: redis_lib.Redis, gitlab_sharded: FakeRepo, payload: dict[str, Any]) -> None:
    repo = gitlab_sharded
    setup_pull(repo)["body"] = invalid_record()
    head = repo.branch_head(BRANCH)

    summary = comment(fake_github, redis, payload, "/devops refresh")

    assert [pull["outcome"] for pull in summary["pulls"]] == ["invalid_options"]
    assert repo.branch_head(BRANCH) == head and bot_comments(repo, pull_number(repo)) == []
    reply = bot_comments(repo, 1)[-1]
    assert "options it was opened with are no longer valid" in reply and "got `99`" in reply
