"""`/devops setup ci` jobs against the fake GitHub, with dependencies injected."""

from __future__ import annotations

import time
from typing import Any

import pytest
from github import GithubException

from bot import messages
from bot.errors import UserError
from bot.engine import run_pipeline
from bot.jobs import BRANCH
from bot.jobs import run_github_command
from bot.publishers import TRAILER
from tests.conftest import github_payload
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import command_request
from tests.fakes.job_kit import deps_for
from tests.fakes.job_kit import seed

REACTION = "POST /repos/Codertocat/Hello-World/issues/comments/492700400/reactions"
PERMISSION = "GET /repos/Codertocat/Hello-World/collaborators/Codertocat/permission"


@pytest.fixture
def payload() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


def bot_comments(repo: Any, issue: int = 1) -> list[str]:
    return [comment["body"] for comment in repo.comments_on(issue) if comment["user"].endswith("[bot]")]


def test_reaction_comes_first_then_permission_then_one_status_comment(fake_github: FakeGitHub,
                                                                      payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    run_github_command(command_request(payload), deps=deps_for(fake_github))
    calls = fake_github.requests()
    assert calls[:3] == [REACTION, PERMISSION, "POST /repos/Codertocat/Hello-World/issues/1/comments"]
    assert repo.comments[492700400]["reactions"] == ["eyes"]
    assert len(bot_comments(repo)) == 1  # progress edits the same comment in place
    assert calls.count("POST /repos/Codertocat/Hello-World/issues/1/comments") == 1


def test_setup_ci_opens_one_labelled_pull_request_with_the_generated_files(fake_github: FakeGitHub,
                                                                          payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    [pull] = repo.open_pulls()
    assert (pull["head"], pull["base"]) == (BRANCH, "master")
    assert "`requirements.txt`" in pull["body"] and "Coverage gate: 80%" in pull["body"]
    assert repo.issues[summary["pull_request"]]["labels"] == ["devops-bot"]
    files = repo.files_on(BRANCH)
    assert "coverage gate: 80" in files[".github/workflows/ci.yml"]
    assert files["app.py"] == repo.files_on("master")["app.py"]  # the rest of the repository is kept
    [commit] = repo.commits_on(BRANCH)
    assert TRAILER in repo.git.commits[commit].message
    status = bot_comments(repo)[0]
    assert messages.pull_request_opened(pull_number := summary["pull_request"], summary["url"]) in status
    assert f"/pull/{pull_number}" in summary["url"] and summary["outcome"] == "opened"


def test_the_pipeline_targets_the_repository_default_branch(fake_github: FakeGitHub,
                                                            payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)  # the fixture repository's default branch is master
    run_github_command(command_request(payload), deps=deps_for(fake_github, runner=run_pipeline))
    [pull] = repo.open_pulls()
    workflow = repo.files_on(BRANCH)[".github/workflows/ci.yml"]
    assert "- master" in workflow and "- main" not in workflow
    assert "Protect `master`" in pull["body"] and "`main`" not in pull["body"]


def test_the_same_command_twice_makes_no_new_commit_and_no_new_pull_request(fake_github: FakeGitHub,
                                                                            payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    run_github_command(command_request(payload), deps=deps_for(fake_github))
    head = repo.branch_head(BRANCH)
    fake_github.clear_calls()
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github, job_id="github-job-2"))
    assert summary["outcome"] == "unchanged"
    assert repo.branch_head(BRANCH) == head and len(repo.open_pulls()) == 1
    writes = [call for call in fake_github.requests() if not call.startswith("GET")]
    assert not any(call.endswith(("/git/commits", "/pulls")) or "/git/refs" in call for call in writes)


def test_other_options_update_the_same_pull_request_with_a_new_commit(fake_github: FakeGitHub,
                                                                     payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    first = run_github_command(command_request(payload), deps=deps_for(fake_github))
    old_head = repo.branch_head(BRANCH)
    second = run_github_command(command_request(payload, coverage=90),
                                deps=deps_for(fake_github, job_id="github-job-2"))
    assert second["outcome"] == "updated" and second["pull_request"] == first["pull_request"]
    [pull] = repo.open_pulls()
    assert "Coverage gate: 90%" in pull["body"]
    assert repo.git.commits[repo.branch_head(BRANCH)].parents == [old_head]  # fast-forward, nothing rewritten
    assert "coverage gate: 90" in repo.files_on(BRANCH)[".github/workflows/ci.yml"]


def test_a_human_commit_on_the_bot_branch_is_never_overwritten(fake_github: FakeGitHub,
                                                              payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    run_github_command(command_request(payload), deps=deps_for(fake_github))
    human = repo.commit_on(BRANCH, {".github/workflows/ci.yml": "name: CI tuned by hand\n"})
    fake_github.clear_calls()
    summary = run_github_command(command_request(payload, coverage=95),
                                 deps=deps_for(fake_github, job_id="github-job-2"))
    assert summary["outcome"] == "branch_not_ours"
    assert repo.branch_head(BRANCH) == human
    assert not [call for call in fake_github.requests() if call.startswith("PATCH") and "/git/refs/" in call]
    assert messages.branch_not_ours(BRANCH, human) in bot_comments(repo)[-1]


def test_a_read_only_commenter_is_told_why_and_nothing_is_read(fake_github: FakeGitHub,
                                                              payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload, role="read")
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "not_allowed"
    assert bot_comments(repo) == [messages.not_allowed("Codertocat", "read")]
    assert not [call for call in fake_github.requests() if "/git/" in call or "/pulls" in call]


@pytest.mark.parametrize("role", ["write", "maintain", "admin"])
def test_write_maintain_and_admin_may_run_the_command(fake_github: FakeGitHub, payload: dict[str, Any],
                                                     role: str) -> None:
    seed(fake_github, payload, role=role)
    assert run_github_command(command_request(payload), deps=deps_for(fake_github))["outcome"] == "opened"


def test_a_final_failure_says_so_on_the_issue_with_the_job_id(fake_github: FakeGitHub,
                                                             payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    fake_github.fail("GET", r"/git/trees/", 500, times=10)
    with pytest.raises(GithubException):
        run_github_command(command_request(payload), deps=deps_for(fake_github, job_id="github-job-77"))
    [status] = bot_comments(repo)
    assert messages.job_failed("github-job-77") in status
    assert not repo.open_pulls()


def test_a_transient_failure_with_retries_left_stays_quiet_and_the_retry_reuses_the_status_comment(
        fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    memo: dict[str, Any] = {}
    fake_github.fail("GET", r"/git/trees/", 502, times=4)  # one attempt plus three in-place retries
    with pytest.raises(GithubException):
        run_github_command(command_request(payload), deps=deps_for(fake_github, retries_left=2, memo=memo))
    assert "github-job-1" not in bot_comments(repo)[0]
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github, retries_left=1, memo=memo))
    assert summary["outcome"] == "opened"
    assert len(bot_comments(repo)) == 1 and len(repo.open_pulls()) == 1


def test_a_transient_502_on_a_read_is_retried_in_place(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    fake_github.fail("GET", r"/git/trees/", 502, times=1)
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "opened" and summary["retries"] == 1
    assert [call.status for call in fake_github.calls if "/git/trees/" in call.path] == [502, 200]
    assert len(repo.open_pulls()) == 1


def test_a_secondary_rate_limit_waits_for_retry_after_even_on_a_post(fake_github: FakeGitHub,
                                                                    payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    fake_github.fail("POST", r"/pulls$", 403, times=1, retry_after=1)
    started = time.monotonic()
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert time.monotonic() - started >= 1.0
    assert summary["outcome"] == "opened" and len(repo.open_pulls()) == 1


def test_a_post_that_failed_with_a_5xx_is_not_repeated_in_place(fake_github: FakeGitHub,
                                                               payload: dict[str, Any]) -> None:
    seed(fake_github, payload)
    fake_github.fail("POST", r"/issues/1/comments$", 502, times=1)
    with pytest.raises(GithubException):
        run_github_command(command_request(payload), deps=deps_for(fake_github, retries_left=1))
    assert fake_github.requests().count("POST /repos/Codertocat/Hello-World/issues/1/comments") == 1


def test_the_api_call_count_is_small_and_the_same_for_3_or_30_files(fake_github: FakeGitHub,
                                                                   payload: dict[str, Any]) -> None:
    seed(fake_github, payload)
    few = run_github_command(command_request(payload), deps=deps_for(fake_github, files=3))
    fake_github.repos.clear()
    fake_github.clear_calls()
    seed(fake_github, payload)
    many = run_github_command(command_request(payload), deps=deps_for(fake_github, files=30))
    print(f"API calls for one /devops setup ci: {few['api_calls']} (3 files), {many['api_calls']} (30 files)")
    assert few["api_calls"] == many["api_calls"] == len(fake_github.api_calls())
    blobs = [call for call in fake_github.calls if "/git/blobs/" in call.path]
    assert len(blobs) == 3  # requirements.txt, requirements-dev.txt, .python-version: only what analysis asked for
    assert few["api_calls"] - len(blobs) <= 13
    trees = [call for call in fake_github.calls if call.path.endswith("/git/trees") and call.method == "POST"]
    assert len(trees) == 1 and len(trees[0].json["tree"]) == 30


def test_a_user_error_from_the_pipeline_is_shown_as_it_is(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UserError("This repository has no code I recognise.")

    summary = run_github_command(command_request(payload), deps=deps_for(fake_github, runner=refuse))
    assert summary["outcome"] == "user_error"
    assert bot_comments(repo)[0].endswith("This repository has no code I recognise.")
    assert not repo.open_pulls()


def test_help_reacts_and_replies_with_the_usage(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    run_github_command(command_request(payload, "help"), deps=deps_for(fake_github))
    assert fake_github.requests()[0] == REACTION
    assert bot_comments(repo) == [messages.help_text()]


def test_a_reply_job_posts_its_message(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    run_github_command(command_request(payload, "reply", message="That is not a command."),
                       deps=deps_for(fake_github))
    assert bot_comments(repo) == ["That is not a command."]


def test_the_status_comment_ticks_steps_off_in_place_as_they_progress(fake_github: FakeGitHub,
                                                                     payload: dict[str, Any]) -> None:
    from bot.engine import StepEvent
    from bot.github_client import make_github
    from bot.reporters import StatusComment

    repo = seed(fake_github, payload)
    issue = make_github("t", fake_github.base_url).get_repo("Codertocat/Hello-World").get_issue(1)
    clock = iter(range(0, 1000, 10))
    status = StatusComment(issue, "Setting up CI.", ["analyze", "build"], min_interval=5, clock=lambda: next(clock))
    status.start()
    seen = []
    for step, state, duration in [("analyze", "started", None), ("analyze", "succeeded", 0.25),
                                  ("build", "started", None)]:
        status.on_event(StepEvent("r", "p", step, state, 0, 2, duration))
        seen.append(bot_comments(repo)[0])
    assert seen[-1].splitlines()[-2:] == ["- ✓ analyze (0.2s)", "- … build"]
    status.finish("Done.")
    [final] = bot_comments(repo)
    assert final.endswith("- ✗ build\n\nDone.")


def test_status_edits_are_spaced_out_so_fast_steps_cost_no_extra_calls(fake_github: FakeGitHub,
                                                                      payload: dict[str, Any]) -> None:
    from bot.engine import StepEvent
    from bot.github_client import make_github
    from bot.reporters import StatusComment

    seed(fake_github, payload)
    issue = make_github("t", fake_github.base_url).get_repo("Codertocat/Hello-World").get_issue(1)
    status = StatusComment(issue, "Setting up CI.", ["a", "b", "c"], min_interval=60, clock=lambda: 0.0)
    status.start()
    for step in ("a", "b", "c"):
        status.on_event(StepEvent("r", "p", step, "started", 0, 3))
        status.on_event(StepEvent("r", "p", step, "succeeded", 0, 3, 0.01))
    status.finish("Done.")
    assert [call.method for call in fake_github.calls] == ["POST", "PATCH"]


def test_a_commenter_github_does_not_know_is_refused_rather_than_failing(fake_github: FakeGitHub,
                                                                        payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload)
    fake_github.fail("GET", r"/collaborators/.*/permission$", 404)
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "not_allowed"
    assert bot_comments(repo) == [messages.not_allowed("Codertocat", "none")]
