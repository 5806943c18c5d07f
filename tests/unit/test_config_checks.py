"""The `devops-bot / config` check run and reading .devops.yml on GitHub, against the fake GitHub."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ConfigError
from bot.config_checks import CHECK_NAME
from bot.config_checks import read_config_at
from bot.config_checks import read_config_from_tree
from bot.config_checks import run_config_check
from bot.config_checks import team_memberships
from bot.github_client import make_github
from bot.github_tree import GitHubTree
from tests.conftest import github_payload
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_check_routes import add_team_member
from tests.fakes.github_check_routes import check_runs
from tests.fakes.github_check_routes import set_pull_files
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import FAST
from tests.fakes.job_kit import deps_for

REPO = "Codertocat/Hello-World"
BAD = "ci:\n  platform: travis\n  colour: blue\n"


def seed(fake: FakeGitHub, files: dict[str, str | bytes]) -> FakeRepo:
    return fake.add_repo(REPO, {"README.md": "# hello\n", **files}, default_branch="master")


def push_request(repo: FakeRepo, sha: str, *, pull_request: int | None = None) -> dict[str, Any]:
    payload = github_payload("push", "with-new-branch.payload.json")
    return {"kind": "config_check", "delivery_id": "d-1", "installation_id": payload["installation"]["id"],
            "repository": payload["repository"]["full_name"], "repository_id": payload["repository"]["id"],
            "default_branch": "master", "head_sha": sha, "ref": payload["ref"], "pull_request": pull_request}


def test_a_valid_config_gets_a_successful_check_run_on_the_pushed_commit(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {})
    sha = repo.commit_on("master", {".devops.yml": "ci:\n  platform: jenkins\n"})
    summary = run_config_check(push_request(repo, sha), deps=deps_for(fake_github))
    [run] = check_runs(fake_github)
    assert summary["outcome"] == "valid" and summary["check_run"] == run["id"]
    assert (run["name"], run["head_sha"], run["status"], run["conclusion"]) == (CHECK_NAME, sha, "completed", "success")
    assert run["annotations"] == [] and run["output"]["title"] == ".devops.yml is valid"


def test_every_problem_becomes_an_annotation_at_its_line_and_column(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {})
    sha = repo.commit_on("master", {".devops.yml": BAD})
    summary = run_config_check(push_request(repo, sha), deps=deps_for(fake_github))
    [run] = check_runs(fake_github)
    assert summary == {**summary, "outcome": "invalid", "problems": 2}
    assert run["conclusion"] == "failure" and run["output"]["title"] == ".devops.yml has 2 problems"
    assert [(note["start_line"], note["start_column"], note["end_column"]) for note in run["annotations"]] == [
        (2, 13, 19), (3, 3, 9)]
    assert all(note["path"] == ".devops.yml" and note["annotation_level"] == "failure" and
               note["start_line"] == note["end_line"] for note in run["annotations"])
    assert "`travis`" not in run["annotations"][0]["message"] and "github_actions" in run["annotations"][0]["message"]
    assert "line 3, column 3: `colour` is not a known key" in run["output"]["summary"]


def test_more_than_fifty_problems_are_sent_in_batches_of_fifty(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {})
    text = "ci:\n" + "".join(f"  unknown_{index:03d}: 1\n" for index in range(120))
    sha = repo.commit_on("master", {".devops.yml": text})
    run_config_check(push_request(repo, sha), deps=deps_for(fake_github))
    [run] = check_runs(fake_github)
    assert run["requests"] == [50, 50, 20]
    assert [note["start_line"] for note in run["annotations"]] == list(range(2, 122))
    assert [call.split(" ")[0] for call in fake_github.requests() if "/check-runs" in call] == ["POST", "PATCH", "PATCH"]


def test_a_five_megabyte_config_is_reported_without_being_downloaded(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {})
    sha = repo.commit_on("master", {".devops.yml": "# " + "x" * (5 * 1024 * 1024) + "\n"})
    summary = run_config_check(push_request(repo, sha), deps=deps_for(fake_github))
    [run] = check_runs(fake_github)
    assert summary["problems"] == 1 and run["conclusion"] == "failure"
    assert "5,242,883 bytes" in run["annotations"][0]["message"]
    assert not [call for call in fake_github.requests() if "/git/blobs/" in call]


def test_a_pull_request_that_does_not_touch_the_config_gets_no_check_run(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {".devops.yml": BAD})
    set_pull_files(fake_github, repo, 7, ["README.md", "src/app.py"])
    summary = run_config_check(push_request(repo, repo.branch_head("master") or "", pull_request=7),
                               deps=deps_for(fake_github))
    assert summary["outcome"] == "not_changed" and check_runs(fake_github) == []


def test_a_pull_request_that_changes_the_config_is_checked_at_its_head(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {})
    fake_github.repos[REPO].git.refs["heads/tweak"] = repo.branch_head("master") or ""
    sha = repo.commit_on("tweak", {".devops.yml": BAD})
    set_pull_files(fake_github, repo, 7, [f"docs/page-{index}.md" for index in range(150)] + [".devops.yml"])
    summary = run_config_check(push_request(repo, sha, pull_request=7), deps=deps_for(fake_github))
    assert summary["outcome"] == "invalid" and check_runs(fake_github)[0]["head_sha"] == sha
    assert sum("/pulls/7/files" in call for call in fake_github.requests()) == 2  # 151 files: two pages


def test_a_deleted_config_is_not_checked(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {})
    summary = run_config_check(push_request(repo, repo.branch_head("master") or ""), deps=deps_for(fake_github))
    assert summary["outcome"] == "absent" and check_runs(fake_github) == []


def test_a_job_reads_the_config_from_the_tree_it_already_listed(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {".devops.yml": "ci:\n  platform: circleci\n"})
    github = make_github("ghs_test", fake_github.base_url, policy=FAST)
    tree = GitHubTree(github.get_repo(REPO), repo.branch_head("master") or "")
    assert read_config_from_tree(tree).ci_defaults() == {"ci_platform": "circleci"}
    assert sum("/git/trees/" in call for call in fake_github.requests()) == 1


def test_a_config_too_big_for_the_tree_read_is_a_problem_not_an_absent_file(fake_github: FakeGitHub) -> None:
    repo = seed(fake_github, {".devops.yml": "#" * (2 * 1024 * 1024)})
    github = make_github("ghs_test", fake_github.base_url, policy=FAST)
    with pytest.raises(ConfigError) as caught:
        read_config_from_tree(GitHubTree(github.get_repo(REPO), repo.branch_head("master") or ""))
    assert "larger than 1 MB" in str(caught.value)
    with pytest.raises(ConfigError, match="was not read"):
        read_config_at(github.get_repo(REPO), "master")


def test_team_membership_is_looked_up_only_for_the_teams_asked_about(fake_github: FakeGitHub) -> None:
    seed(fake_github, {})
    add_team_member(fake_github, "acme", "ops", "carol")
    github = make_github("ghs_test", fake_github.base_url, policy=FAST)
    assert team_memberships(github.get_repo(REPO), "carol", ["acme/ops", "acme/dev"]) == ("acme/ops",)
    assert [call for call in fake_github.requests() if "/orgs/" in call] == [
        "GET /orgs/acme/teams/ops/memberships/carol", "GET /orgs/acme/teams/dev/memberships/carol"]
