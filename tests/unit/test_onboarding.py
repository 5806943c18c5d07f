"""The onboarding pull request, its skip rules and the closed-PR rule, against the fake GitHub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from bot import lifecycle
from bot import messages
from bot.engine import RedisRunStore
from bot.engine import run_pipeline
from bot.onboarding import BRANCH
from bot.onboarding import TITLE
from bot.onboarding import OnboardingDeps
from bot.onboarding import run_onboarding
from bot.onboarding import run_pull_closed
from bot.publishers import TRAILER
from tests.conftest import REPOS
from tests.conftest import github_payload
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import deps_for

INSTALLATION = 957387


def add(fake: FakeGitHub, name: str, files: dict[str, str] | Path, repo_id: int, **extra: Any) -> FakeRepo:
    repo = fake.add_repo(name, files, repo_id=repo_id)
    repo.extra.update(extra)
    return repo


def request(repo: FakeRepo, trigger: str = "install") -> dict[str, Any]:
    return {"kind": "onboard", "installation_id": INSTALLATION, "repository": repo.full_name,
            "repository_id": repo.repo_id, "trigger": trigger}


def deps(fake: FakeGitHub, redis: redis_lib.Redis, *, real_pipeline: bool = False, **extra: Any) -> OnboardingDeps:
    job_deps = deps_for(fake, run_store=RedisRunStore(redis), job_id="onboard-test",
                        schema_url="https://bot.example.test/schemas/devops.schema.json",
                        **({"runner": run_pipeline} if real_pipeline else {}))
    return OnboardingDeps(jobs=job_deps, redis=redis, **extra)


def test_a_repository_without_ci_gets_one_pull_request_with_its_config_and_generated_ci(
        fake_github: FakeGitHub, redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002)

    summary = run_onboarding(request(repo), deps=deps(fake_github, redis, real_pipeline=True))

    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert (pull["title"], pull["head"], pull["base"]) == (TITLE, BRANCH, "main")
    files = repo.files_on(BRANCH)
    assert files[".devops.yml"].startswith(
        "# yaml-language-server: $schema=https://bot.example.test/schemas/devops.schema.json\n")
    assert ".github/workflows/ci.yml" in files
    body = pull["body"]
    assert "| `root` (`.`) | python" in body and "`requirements.txt`" in body  # the stack, with evidence
    assert "`.devops.yml`" in body and "`.github/workflows/ci.yml`" in body  # the files, and why
    for line in messages.command_lines():
        assert line in body
    assert "`enabled: false`" in body and "uninstall" in body
    assert lifecycle.state_of(redis, INSTALLATION, repo.repo_id)["state"] == "opened"
    [commit] = repo.commits_on(BRANCH)
    assert TRAILER in repo.git.commits[commit].message


def test_a_repository_with_ci_gets_only_the_config(fake_github: FakeGitHub, redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "existing-ci", 186853002)

    run_onboarding(request(repo), deps=deps(fake_github, redis))

    added = set(repo.files_on(BRANCH)) - set(repo.files_on("main"))
    assert added == {".devops.yml"}
    assert "CI already present: `.github/workflows/test.yml`" in repo.open_pulls()[0]["body"]


@pytest.mark.parametrize(("extra", "reason"), [
    ({"archived": True}, "archived"),
    ({"disabled": True}, "disabled"),
    ({"size": 0}, "empty"),
    ({"fork": True}, "fork"),
])
def test_archived_disabled_empty_and_forked_repositories_are_skipped(
        fake_github: FakeGitHub, redis: redis_lib.Redis, extra: dict[str, Any], reason: str) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002, **extra)

    summary = run_onboarding(request(repo), deps=deps(fake_github, redis))

    assert summary["outcome"] == reason
    assert repo.pulls == {} and repo.branch_head(BRANCH) is None
    assert not [call for call in fake_github.calls if call.method != "GET"]
    assert lifecycle.state_of(redis, INSTALLATION, repo.repo_id) == {
        "state": "skipped", "reason": reason, "repository": repo.full_name, "pull_request": None}


def test_a_fork_is_onboarded_when_someone_asks(fake_github: FakeGitHub, redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002, fork=True)

    assert run_onboarding(request(repo, "command"), deps=deps(fake_github, redis))["outcome"] == "opened"


def test_a_repository_that_has_a_config_gets_no_pull_request(fake_github: FakeGitHub,
                                                            redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", {"requirements.txt": "flask\n", ".devops.yml": "enabled: true\n"},
               186853002)

    assert run_onboarding(request(repo), deps=deps(fake_github, redis))["outcome"] == "has_config"
    assert repo.pulls == {}


def test_onboarding_twice_updates_the_one_pull_request_in_place(fake_github: FakeGitHub,
                                                               redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002)
    run_onboarding(request(repo), deps=deps(fake_github, redis))

    again = run_onboarding(request(repo, "command"), deps=deps(fake_github, redis))

    assert again["outcome"] == "unchanged"
    assert len(repo.pulls) == 1 and len(repo.commits_on(BRANCH)) == 1


def test_a_pull_request_closed_without_merging_is_not_reopened_on_its_own(fake_github: FakeGitHub,
                                                                        redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002)
    run_onboarding(request(repo), deps=deps(fake_github, redis))
    repo.pulls[1].update(state="closed", closed_at="2026-01-01T00:00:00Z")  # no Redis marker: GitHub tells
    lifecycle.set_state(redis, INSTALLATION, repo.repo_id, "queued", repository=repo.full_name)

    summary = run_onboarding(request(repo), deps=deps(fake_github, redis))

    assert summary["outcome"] == "closed_by_person"
    assert repo.open_pulls() == []


def test_the_closed_event_marker_alone_keeps_the_pull_request_closed(fake_github: FakeGitHub,
                                                                     redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002)
    payload = github_payload("pull_request", "closed.payload.json")
    run_pull_closed({"repository_id": repo.repo_id, "repository": repo.full_name,
                     "pull_request": payload["number"]}, redis=redis)

    assert run_onboarding(request(repo), deps=deps(fake_github, redis))["outcome"] == "closed_by_person"
    assert not [call for call in fake_github.calls if call.method != "GET"]


def test_a_merged_onboarding_pull_request_is_not_a_refusal(fake_github: FakeGitHub, redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002)
    run_onboarding(request(repo), deps=deps(fake_github, redis))
    repo.pulls[1].update(state="closed", merged_at="2026-01-01T00:00:00Z")
    repo.git.refs.pop(f"heads/{BRANCH}")  # merged and its branch deleted; the config was later removed
    lifecycle.set_state(redis, INSTALLATION, repo.repo_id, "queued", repository=repo.full_name)

    assert run_onboarding(request(repo), deps=deps(fake_github, redis))["outcome"] == "opened"


def test_a_stopped_installation_does_nothing(fake_github: FakeGitHub, redis: redis_lib.Redis) -> None:
    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002)
    redis.set(lifecycle.stopped_key(INSTALLATION), "suspend")

    assert run_onboarding(request(repo), deps=deps(fake_github, redis))["outcome"] == "installation_stopped"
    assert fake_github.calls == []


def test_a_job_over_the_write_budget_is_scheduled_for_its_reserved_time(fake_github: FakeGitHub,
                                                                        redis: redis_lib.Redis) -> None:
    from bot.pacing import BURST_WRITES
    from bot.pacing import WriteBudget

    repo = add(fake_github, "Codertocat/Hello-World", REPOS / "python-pip", 186853002)
    WriteBudget(redis, clock=lambda: 1000.0).reserve(INSTALLATION, BURST_WRITES)  # the burst is spent
    scheduled: list[tuple[float, dict[str, Any]]] = []

    summary = run_onboarding(request(repo), deps=deps(fake_github, redis, clock=lambda: 1000.0,
                                                      schedule=lambda at, req: scheduled.append((at, req))))

    assert summary["outcome"] == "deferred" and repo.pulls == {}
    [(at, again)] = scheduled
    assert at > 1000.0 and again["reserved_at"] == at
    assert lifecycle.state_of(redis, INSTALLATION, repo.repo_id) is None  # still as planned: queued
    later = run_onboarding(again, deps=deps(fake_github, redis, clock=lambda: at, schedule=None))
    assert later["outcome"] == "opened"
