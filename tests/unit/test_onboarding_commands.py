"""Bot pull requests kept alive on push, and `/devops refresh|status|onboard|help`, against the fake GitHub."""

from __future__ import annotations

from typing import Any

import pytest
import redis as redis_lib

from bot import messages
from bot.engine import RedisRunStore
from bot.engine import run_pipeline
from bot.jobs import BRANCH
from bot.jobs import run_github_command
from bot.onboarding import BRANCH as ONBOARDING_BRANCH
from bot.publishers import TRAILER
from bot.refresh import STALE_MARKER
from bot.refresh import run_push_refresh
from bot.settings import Settings
from handlers.github_webhook import Delivery
from handlers.github_webhook import router
from tests.conftest import github_payload
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import command_request
from tests.fakes.job_kit import deps_for
from tests.fakes.job_kit import seed



@pytest.fixture
def comment() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


def run(fake: FakeGitHub, redis: redis_lib.Redis, payload: dict[str, Any], kind: str) -> dict[str, Any]:
    deps = deps_for(fake, run_store=RedisRunStore(redis), runner=run_pipeline, job_id=f"github-{kind}")
    return run_github_command(command_request(payload, kind), deps=deps)


def push(fake: FakeGitHub, redis: redis_lib.Redis, paths: list[str]) -> dict[str, Any] | None:
    """Deliver the real push payload, with its commit listing `paths` as modified, and run what it queues."""
    import handlers.bot_prs  # noqa: F401  registers the handler

    payload = github_payload("push", "with-new-branch.payload.json")
    payload["commits"][0].update(added=[], modified=paths, removed=[])
    requests = [(handler(payload, Delivery("push", "d-1", Settings())), job) for handler, job in
                router.find_all("push", payload)]
    [request] = [request for request, job in requests if request and job == "bot.refresh.run_push_refresh"] or [None]
    if request is None:
        return None
    return run_push_refresh(request, deps=deps_for(fake, runner=run_pipeline, job_id="github-push"), redis=redis)


def bot_comments(repo: FakeRepo, number: int) -> list[str]:
    return [item["body"] for item in repo.comments_on(number) if item["user"].endswith("[bot]")]


@pytest.fixture
def with_setup_pr(fake_github: FakeGitHub, redis: redis_lib.Redis, comment: dict[str, Any]) -> FakeRepo:
    repo = seed(fake_github, comment)
    assert run(fake_github, redis, comment, "setup_ci")["outcome"] == "opened"
    return repo


def test_a_push_that_changes_a_version_file_refreshes_the_bot_pull_request(
        fake_github: FakeGitHub, redis: redis_lib.Redis, with_setup_pr: FakeRepo) -> None:
    repo = with_setup_pr
    before = repo.files_on(BRANCH)
    repo.commit_on("master", {".python-version": "3.11\n"}, message="Pin Python")

    summary = push(fake_github, redis, [".python-version"])

    assert summary is not None and [pull["outcome"] for pull in summary["pulls"]] == ["updated"]
    commits = repo.commits_on(BRANCH)
    assert len(commits) == 2 and all(TRAILER in repo.git.commits[sha].message for sha in commits)
    changed = {path: text for path, text in repo.files_on(BRANCH).items() if before.get(path) != text}
    assert changed and all("3.11" in text for path, text in changed.items() if path != ".python-version")
    assert len(repo.open_pulls()) == 1


def test_a_push_that_changes_no_manifest_is_not_queued(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                       with_setup_pr: FakeRepo) -> None:
    assert push(fake_github, redis, ["README.md", "app.py"]) is None


def test_once_a_person_pushed_to_the_branch_the_bot_says_it_is_stale_once_and_leaves_it(
        fake_github: FakeGitHub, redis: redis_lib.Redis, with_setup_pr: FakeRepo) -> None:
    repo = with_setup_pr
    [pull] = repo.open_pulls()
    number = next(key for key, value in repo.pulls.items() if value is pull)
    human = repo.commit_on(BRANCH, {".github/workflows/ci.yml": "name: mine\n"})
    repo.commit_on("master", {".python-version": "3.11\n"})

    first = push(fake_github, redis, [".python-version"])
    second = push(fake_github, redis, ["requirements.txt"])

    assert first is not None and second is not None
    assert [item["outcome"] for item in first["pulls"] + second["pulls"]] == ["branch_not_ours"] * 2
    [stale] = bot_comments(repo, number)
    assert stale.startswith(STALE_MARKER) and "`/devops refresh`" in stale
    assert repo.branch_head(BRANCH) == human


def test_refresh_when_asked_builds_on_top_of_the_persons_commit(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                                with_setup_pr: FakeRepo,
                                                                comment: dict[str, Any]) -> None:
    repo = with_setup_pr
    human = repo.commit_on(BRANCH, {"NOTES.md": "mine\n"})
    repo.commit_on("master", {".python-version": "3.11\n"})

    summary = run(fake_github, redis, comment, "refresh")

    assert [pull["outcome"] for pull in summary["pulls"]] == ["updated"]
    assert repo.git.commits[repo.branch_head(BRANCH)].parents == [human]  # a fast-forward, nothing lost
    assert repo.files_on(BRANCH)["NOTES.md"] == "mine\n"
    assert "Refreshed the open devops-bot pull requests" in bot_comments(repo, 1)[-1]


def test_status_lists_the_recent_runs_with_their_outcome_and_link(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                                 with_setup_pr: FakeRepo,
                                                                 comment: dict[str, Any]) -> None:
    run(fake_github, redis, comment, "status")

    answer = bot_comments(with_setup_pr, 1)[-1]
    assert "Recent devops-bot runs for `Codertocat/Hello-World`" in answer
    assert "| `setup_ci` | `opened` | [#2](https://github.com/Codertocat/Hello-World/pull/2) |" in answer


def test_help_lists_every_command_of_the_table(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                               comment: dict[str, Any]) -> None:
    repo = seed(fake_github, comment)
    run(fake_github, redis, comment, "help")

    answer = bot_comments(repo, 1)[-1]
    for name, _, description in messages.COMMANDS:
        assert f"`/devops {name}" in answer and description in answer


def test_an_unknown_command_is_answered_with_the_commands_there_are(comment: dict[str, Any]) -> None:
    comment["comment"]["body"] = "/devops deploy now"
    [(handler, _)] = router.find_all("issue_comment", comment)

    request = handler(comment, Delivery("issue_comment", "d-2", Settings()))

    assert request is not None and request["kind"] == "reply"
    assert ("`deploy` is not a command; the commands are `setup ci`, `setup monitoring`, `setup infra`, `status`, "
            "`onboard`, `refresh` "
            "and `help`."
            in request["message"])


@pytest.mark.parametrize("word", ["status", "onboard", "refresh"])
def test_the_new_commands_take_no_arguments(comment: dict[str, Any], word: str) -> None:
    from handlers.commands import parse_comment

    assert parse_comment(f"/devops {word}").kind == word  # type: ignore[union-attr]
    with pytest.raises(Exception, match="`now` is not expected here"):
        parse_comment(f"/devops {word} now")


def test_onboard_brings_back_an_onboarding_pull_request_a_person_closed(
        fake_github: FakeGitHub, redis: redis_lib.Redis, comment: dict[str, Any]) -> None:
    repo = seed(fake_github, comment)
    run(fake_github, redis, comment, "onboard")
    closed = next(pull for pull in repo.pulls.values() if pull["head"] == ONBOARDING_BRANCH)
    closed["state"] = "closed"

    summary = run(fake_github, redis, comment, "onboard")

    assert summary["outcome"] == "opened"
    assert [pull["head"] for pull in repo.open_pulls()] == [ONBOARDING_BRANCH]
    assert "The onboarding pull request is open" in bot_comments(repo, 1)[-1]


def test_someone_without_write_access_is_refused(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                 comment: dict[str, Any]) -> None:
    repo = seed(fake_github, comment, role="read")

    summary = run(fake_github, redis, comment, "refresh")

    assert summary["outcome"] == "not_allowed"
    assert "your access is `read`" in bot_comments(repo, 1)[-1]
    assert repo.pulls == {}


def test_refresh_with_an_invalid_config_answers_with_its_problems(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                                 with_setup_pr: FakeRepo, comment: dict[str, Any]) -> None:
    repo = with_setup_pr
    head = repo.branch_head(BRANCH)
    repo.commit_on("master", {".devops.yml": "ci:\n  platform: travis\n"})

    summary = run(fake_github, redis, comment, "refresh")

    assert summary["outcome"] == "not_allowed"
    answer = bot_comments(repo, 1)[-1]
    assert "travis" in answer and ".devops.yml:2:13" in answer
    assert repo.branch_head(BRANCH) == head


def test_a_repository_that_turned_the_bot_off_gets_no_refresh(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                              with_setup_pr: FakeRepo) -> None:
    repo = with_setup_pr
    head = repo.branch_head(BRANCH)
    repo.commit_on("master", {".devops.yml": "enabled: false\n", ".python-version": "3.11\n"})

    summary = push(fake_github, redis, [".devops.yml", ".python-version"])

    assert summary == {"outcome": "disabled", "repository": "Codertocat/Hello-World"}
    assert repo.branch_head(BRANCH) == head


def test_a_command_queued_before_the_installation_was_suspended_does_nothing(
        fake_github: FakeGitHub, redis: redis_lib.Redis, comment: dict[str, Any]) -> None:
    from bot import lifecycle

    seed(fake_github, comment)
    redis.set(lifecycle.stopped_key(comment["installation"]["id"]), "suspend")

    assert run(fake_github, redis, comment, "setup_ci")["outcome"] == "installation_stopped"
    assert fake_github.calls == []
