"""`/devops setup ci` with a .devops.yml on the default branch: precedence, permissions, the off switch, bad files."""

from __future__ import annotations

from typing import Any

import pytest

from bot import messages
from bot.jobs import BRANCH
from bot.jobs import run_github_command
from handlers.commands import parse_comment
from tests.conftest import github_payload
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_check_routes import add_team_member
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import command_request
from tests.fakes.job_kit import deps_for
from tests.fakes.job_kit import seed


@pytest.fixture
def payload() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


def with_config(fake: FakeGitHub, payload: dict[str, Any], text: str, role: str = "write") -> FakeRepo:
    repo = seed(fake, payload, role=role)
    repo.commit_on(repo.default_branch, {".devops.yml": text})
    return repo


def status_of(repo: FakeRepo) -> str:
    return [comment["body"] for comment in repo.comments_on(1) if comment["user"].endswith("[bot]")][-1]


def test_the_config_sets_what_the_command_leaves_out(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = with_config(fake_github, payload, "ci:\n  quality_gates:\n    test_coverage_threshold: 65\n")
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "opened"
    assert "coverage gate: 65" in repo.files_on(BRANCH)[".github/workflows/ci.yml"]


def test_an_option_in_the_comment_beats_the_config(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = with_config(fake_github, payload, "ci:\n  quality_gates:\n    test_coverage_threshold: 65\n")
    run_github_command(command_request(payload, coverage=90), deps=deps_for(fake_github))
    assert "coverage gate: 90" in repo.files_on(BRANCH)[".github/workflows/ci.yml"]


def test_the_config_platform_names_the_status_comment(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    captured: dict[str, Any] = {}

    def runner(pipeline: str, inputs: dict[str, Any], ctx: Any, **kwargs: Any) -> Any:
        captured.update(inputs)
        raise messages_error()

    repo = with_config(fake_github, payload, "ci:\n  platform: gitlab_ci\n  branching_strategy: gitflow\n")
    run_github_command(command_request(payload), deps=deps_for(fake_github, runner=runner))
    assert captured["ci_platform"] == "gitlab_ci" and captured["branching_strategy"] == "gitflow"
    assert "project_type" not in captured  # neither the command nor the file sets it: the analysis decides
    assert messages.setup_ci_heading("gitlab_ci") in status_of(repo)


def platform_chosen(fake: FakeGitHub, payload: dict[str, Any], comment: str) -> str:
    """The ci_platform the pipeline receives for this comment, parsed as the webhook handler parses it."""
    captured: dict[str, Any] = {}

    def runner(pipeline: str, inputs: dict[str, Any], ctx: Any, **kwargs: Any) -> Any:
        captured.update(inputs)
        raise messages_error()

    command = parse_comment(comment)
    assert command is not None
    run_github_command(command_request(payload, **command.options), deps=deps_for(fake, runner=runner))
    return str(captured["ci_platform"])


def test_a_bare_comment_takes_the_platform_from_the_config(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    with_config(fake_github, payload, "ci:\n  platform: gitlab_ci\n")
    assert platform_chosen(fake_github, payload, "/devops setup ci") == "gitlab_ci"


def test_a_platform_in_the_comment_beats_the_config_s(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    with_config(fake_github, payload, "ci:\n  platform: gitlab_ci\n")
    assert platform_chosen(fake_github, payload, "/devops setup ci circleci") == "circleci"


def test_without_config_or_comment_the_platform_is_the_default(fake_github: FakeGitHub,
                                                               payload: dict[str, Any]) -> None:
    with_config(fake_github, payload, "ci:\n  quality_gates:\n    test_coverage_threshold: 65\n")
    assert platform_chosen(fake_github, payload, "/devops setup ci") == messages.DEFAULT_PLATFORM


def messages_error() -> Exception:
    from bot.errors import UserError

    return UserError("stopped by the test after the inputs were seen")


def test_an_invalid_config_stops_the_job_with_every_problem_and_opens_nothing(fake_github: FakeGitHub,
                                                                              payload: dict[str, Any]) -> None:
    repo = with_config(fake_github, payload, "ci:\n  platform: travis\n  quality_gates:\n    test_coverage_threshold: 101\n")
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "invalid_config" and summary["problems"] == 2
    status = status_of(repo)
    assert "`.devops.yml` has 2 problems:" in status
    assert "- .devops.yml:2:13: `ci.platform` is `\"travis\"`" in status
    assert "- .devops.yml:4:30: `ci.quality_gates.test_coverage_threshold` must be at most 100" in status
    assert repo.open_pulls() == [] and repo.branch_head(BRANCH) is None


def test_a_yaml_syntax_error_in_the_config_is_reported_not_raised(fake_github: FakeGitHub,
                                                                  payload: dict[str, Any]) -> None:
    repo = with_config(fake_github, payload, "ci:\n  platform: [github_actions\n")
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "invalid_config" and "YAML syntax" in status_of(repo)


def test_the_off_switch_stops_the_command_and_says_how_to_turn_it_back_on(fake_github: FakeGitHub,
                                                                          payload: dict[str, Any]) -> None:
    repo = with_config(fake_github, payload, "enabled: false\n")
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "not_allowed" and messages.bot_disabled() in status_of(repo)
    assert repo.open_pulls() == []


def test_a_config_can_require_more_than_write_access(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = with_config(fake_github, payload, "permissions:\n  setup ci: maintain\n", role="write")
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github))
    assert summary["outcome"] == "not_allowed"
    assert messages.permission_level_needed("setup ci", "Codertocat", "maintain", "write") in status_of(repo)
    assert repo.open_pulls() == []


def test_a_config_can_let_a_named_person_without_write_access_run_it(fake_github: FakeGitHub,
                                                                     payload: dict[str, Any]) -> None:
    with_config(fake_github, payload, "permissions:\n  setup ci: [Codertocat]\n", role="triage")
    assert run_github_command(command_request(payload), deps=deps_for(fake_github))["outcome"] == "opened"


def test_a_config_can_let_a_team_run_it_and_only_that_team(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = with_config(fake_github, payload, "permissions:\n  setup ci: [\"@acme/release\"]\n", role="maintain")
    assert run_github_command(command_request(payload), deps=deps_for(fake_github))["outcome"] == "not_allowed"
    assert "`@acme/release`" in status_of(repo)
    add_team_member(fake_github, "acme", "release", "Codertocat")
    summary = run_github_command(command_request(payload), deps=deps_for(fake_github, job_id="github-job-2"))
    assert summary["outcome"] == "opened"


def test_without_a_config_a_read_only_commenter_costs_one_config_read_and_no_tree(fake_github: FakeGitHub,
                                                                                  payload: dict[str, Any]) -> None:
    seed(fake_github, payload, role="read")
    assert run_github_command(command_request(payload), deps=deps_for(fake_github))["outcome"] == "not_allowed"
    assert [call for call in fake_github.requests() if "/contents/" in call] == [
        "GET /repos/Codertocat/Hello-World/contents/.devops.yml"]
