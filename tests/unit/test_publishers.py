"""Publishers: one Git Data API commit and one pull request; a local branch; plain files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.github_client import make_github
from bot.publishers import TRAILER
from bot.publishers import BaseCommit
from bot.publishers import BranchNotOurs
from bot.publishers import LocalGitPublisher
from bot.publishers import PublishResult
from bot.publishers import PullRequestPublisher
from bot.publishers import UnsafePathError
from bot.publishers import check_path
from bot.publishers import write_files
from tests.fakes.github_server import FakeGitHub

BRANCH = "devops-bot/setup-ci"
GENERATED = {".github/workflows/ci.yml": "name: CI\non: [push]\n", "docs/ci-cd.md": "# CI/CD\n"}


# -- paths ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "C:/x", "a\\b", ".git/hooks/pre-commit",
                                  "", "a//b", "./a"])
def test_paths_that_could_escape_are_refused(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_path(path)


def test_write_files_writes_nested_files_exactly(tmp_path: Path) -> None:
    written = write_files(tmp_path / "out", {**GENERATED, "crlf.txt": "a\r\nb\n"})
    assert sorted(path.relative_to(tmp_path / "out").as_posix() for path in written) == sorted([*GENERATED, "crlf.txt"])
    assert (tmp_path / "out" / ".github/workflows/ci.yml").read_text() == GENERATED[".github/workflows/ci.yml"]
    assert (tmp_path / "out" / "crlf.txt").read_bytes() == b"a\r\nb\n"


@pytest.mark.parametrize("path", ["../escaped.txt", "/tmp/absolute.txt"])
def test_write_files_refuses_paths_outside_the_folder(tmp_path: Path, path: str) -> None:
    with pytest.raises(UnsafePathError):
        write_files(tmp_path / "out", {path: "x"})
    assert not (tmp_path / "escaped.txt").exists()


def test_write_files_refuses_to_follow_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "docs").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePathError):
        write_files(tmp_path / "out", {"docs/ci-cd.md": "x"})
    assert list((tmp_path / "elsewhere").iterdir()) == []


# -- local git -----------------------------------------------------------------------------------

def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "app.py").write_text("print('hi')\n")
    git(root, "add", "app.py")
    git(root, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "start")
    (root / "app.py").write_text("print('work in progress')\n")  # uncommitted work must survive
    (root / "notes.txt").write_text("untracked\n")
    return root


def test_local_publisher_commits_a_branch_without_touching_the_checkout(checkout: Path) -> None:
    status_before, head_before = git(checkout, "status", "--porcelain"), git(checkout, "rev-parse", "HEAD")
    result = LocalGitPublisher(checkout).publish(GENERATED, branch=BRANCH, message="Set up CI/CD")
    assert result.created and not result.unchanged
    assert git(checkout, "status", "--porcelain") == status_before
    assert git(checkout, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(checkout, "rev-parse", "HEAD") == head_before
    assert git(checkout, "rev-parse", f"{BRANCH}^") == head_before
    assert git(checkout, "show", f"{BRANCH}:.github/workflows/ci.yml") + "\n" == GENERATED[".github/workflows/ci.yml"]
    assert git(checkout, "show", f"{BRANCH}:app.py") == "print('hi')"  # committed content, not the edit
    assert TRAILER in git(checkout, "log", "-1", "--format=%B", BRANCH)


def test_local_publisher_is_idempotent_and_adds_a_commit_for_changes(checkout: Path) -> None:
    publisher = LocalGitPublisher(checkout)
    first = publisher.publish(GENERATED, branch=BRANCH)
    again = publisher.publish(GENERATED, branch=BRANCH)
    assert again.unchanged and again.commit_sha == first.commit_sha
    changed = publisher.publish({**GENERATED, "docs/ci-cd.md": "# CI/CD v2\n"}, branch=BRANCH)
    assert not changed.created and not changed.unchanged
    assert git(checkout, "rev-parse", f"{BRANCH}^") == first.commit_sha


def test_local_publisher_refuses_the_checked_out_branch_and_non_repositories(checkout: Path, tmp_path: Path) -> None:
    git(checkout, "checkout", "-q", "-b", BRANCH)
    with pytest.raises(UserError, match="checked out"):
        LocalGitPublisher(checkout).publish(GENERATED, branch=BRANCH)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UserError, match="not a git repository"):
        LocalGitPublisher(plain).publish(GENERATED)


def test_local_publisher_works_in_a_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    result = LocalGitPublisher(tmp_path).publish(GENERATED, branch=BRANCH)
    assert git(tmp_path, "ls-tree", "-r", "--name-only", BRANCH).splitlines() == sorted(GENERATED)
    assert result.created


# -- pull request --------------------------------------------------------------------------------

def publish(fake: FakeGitHub, files: dict[str, str], *, base: BaseCommit | None = None,
            body: str = "Body") -> PublishResult:
    repo = make_github("ghs_test", fake.base_url).get_repo("octo/svc")
    return PullRequestPublisher().publish(repo, "main", BRANCH, files, "Set up CI/CD", body, ["devops-bot"], base=base)


def test_a_new_branch_costs_one_tree_one_commit_one_ref_then_the_pull_request(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("octo/svc", {"app.py": "print(1)\n"})
    head = repo.branch_head("main") or ""
    result = publish(fake_github, GENERATED, base=BaseCommit(head, repo.git.commits[head].tree))
    assert fake_github.requests() == [
        f"GET /repos/octo/svc/git/ref/heads/{BRANCH}",
        "POST /repos/octo/svc/git/trees",
        "POST /repos/octo/svc/git/commits",
        "POST /repos/octo/svc/git/refs",
        "GET /repos/octo/svc/pulls",
        "POST /repos/octo/svc/pulls",
        f"POST /repos/octo/svc/issues/{result.number}/labels",
    ]
    tree_call = fake_github.calls[1].json
    assert tree_call["base_tree"] == repo.git.commits[head].tree
    assert [entry["path"] for entry in tree_call["tree"]] == sorted(GENERATED)
    assert all("content" in entry and "sha" not in entry for entry in tree_call["tree"])
    assert fake_github.calls[4].query == {"state": "open", "head": f"octo:{BRANCH}"}
    assert result.created and repo.files_on(BRANCH) == {"app.py": "print(1)\n", **GENERATED}


def test_without_a_known_base_the_default_branch_is_looked_up(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("octo/svc", {"app.py": "print(1)\n"})
    result = publish(fake_github, GENERATED)
    assert fake_github.requests()[1:3] == ["GET /repos/octo/svc/git/ref/heads/main",
                                           f"GET /repos/octo/svc/git/commits/{repo.branch_head('main')}"]
    assert result.created


def test_an_updated_pull_request_gets_a_fast_forward_commit_and_a_new_body(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("octo/svc", {"app.py": "print(1)\n"})
    first = publish(fake_github, GENERATED)
    second = publish(fake_github, {**GENERATED, "docs/ci-cd.md": "# v2\n"}, body="New body")
    assert second.updated and second.number == first.number
    assert repo.git.commits[second.commit_sha].parents == [first.commit_sha]
    ref_update = next(call for call in fake_github.calls if call.method == "PATCH" and "/git/refs/" in call.path)
    assert ref_update.json == {"sha": second.commit_sha}  # never force
    assert repo.pulls[first.number]["body"] == "New body"


def test_the_same_files_again_change_nothing(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("octo/svc", {"app.py": "print(1)\n"})
    first = publish(fake_github, GENERATED)
    fake_github.clear_calls()
    again = publish(fake_github, GENERATED)
    assert again.unchanged and again.number == first.number and again.commit_sha == first.commit_sha
    assert [call for call in fake_github.requests() if not call.startswith("GET")] == ["POST /repos/octo/svc/git/trees"]
    assert len(repo.open_pulls()) == 1


def test_a_branch_ending_in_someone_elses_commit_is_left_alone(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("octo/svc", {"app.py": "print(1)\n"})
    publish(fake_github, GENERATED)
    human = repo.commit_on(BRANCH, {"docs/ci-cd.md": "# edited by hand\n"})
    with pytest.raises(BranchNotOurs) as raised:
        publish(fake_github, {**GENERATED, "docs/ci-cd.md": "# v2\n"})
    assert raised.value.head_sha == human and repo.branch_head(BRANCH) == human


def test_a_branch_already_merged_has_nothing_to_propose(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("octo/svc", {"app.py": "print(1)\n"})
    first = publish(fake_github, GENERATED)
    repo.pulls[first.number]["state"] = "closed"
    repo.git.refs["heads/main"] = first.commit_sha  # merged by fast-forward
    result = publish(fake_github, GENERATED)
    assert result.unchanged and result.number == 0 and not repo.open_pulls()
