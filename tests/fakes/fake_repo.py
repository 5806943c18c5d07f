"""One repository in the fake GitHub: git objects, issues, comments, pull requests, people."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from tests.fakes.git_objects import FILE_MODE
from tests.fakes.git_objects import GitStore

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

APP_BOT = {"name": "devops-bot[bot]", "email": "123456+devops-bot[bot]@users.noreply.github.com"}
HUMAN = {"name": "Octo Human", "email": "octo@example.com"}
WRITE_ROLES = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


@dataclass
class FakeRepo:
    """A repository's state; tests read it to assert what the bot did."""

    server: FakeGitHub
    full_name: str
    repo_id: int
    default_branch: str
    git: GitStore
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> {title, labels, pull}
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {issue, body, user, reactions}
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> {head, base, title, body, state}
    roles: dict[str, str] = field(default_factory=dict)  # login -> role_name
    next_number: int = 1
    tree_limit: int | None = None  # list at most this many entries of any tree and say truncated, as GitHub does
    next_comment_id: int = 900_000_000
    extra: dict[str, Any] = field(default_factory=dict)  # GET /repos fields to override: archived, fork, size…

    @classmethod
    def create(cls, server: FakeGitHub, full_name: str, files: dict[str, str | bytes], *, default_branch: str,
               repo_id: int) -> FakeRepo:
        """A repository with one commit on its default branch."""
        git = GitStore.from_files(files, default_branch, HUMAN)
        return cls(server, full_name, repo_id, default_branch, git)

    @property
    def owner(self) -> str:
        """The owner's login."""
        return self.full_name.split("/")[0]

    def add_issue(self, number: int, *, title: str = "Set up CI", pull: bool = False) -> None:
        """An open issue (or, with pull=True, the issue side of a pull request)."""
        self.issues[number] = {"title": title, "labels": [], "pull": pull}
        self.next_number = max(self.next_number, number + 1)

    def add_comment(self, issue: int, comment_id: int, body: str, login: str) -> None:
        """A comment somebody wrote on an issue (the command the bot reacts to)."""
        if issue not in self.issues:
            self.add_issue(issue)
        self.comments[comment_id] = {"issue": issue, "body": body, "user": login, "reactions": []}

    def grant(self, login: str, role: str) -> None:
        """Give `login` a repository role: admin, maintain, write, triage or read."""
        self.roles[login] = role

    def permission_of(self, login: str) -> tuple[str, str]:
        """(permission, role_name) the way the collaborator-permission endpoint reports them."""
        role = self.roles.get(login, "read")
        return WRITE_ROLES.get(role, "read"), role

    def branch_head(self, branch: str) -> str | None:
        """The commit a branch points at, or None."""
        return self.git.refs.get(f"heads/{branch}")

    def commit_on(self, branch: str, files: dict[str, str], *, message: str = "Tweak CI", who: dict[str, str] = HUMAN) -> str:
        """Push a commit changing `files` on `branch` (a person working on the bot's branch)."""
        head = self.git.refs[f"heads/{branch}"]
        flat = dict(self.git.trees[self.git.commits[head].tree])
        for path, text in files.items():
            flat[path] = (FILE_MODE, self.git.put_blob(text.encode()))
        commit = self.git.put_commit(self.git.put_tree(flat), [head], message, who)
        self.git.refs[f"heads/{branch}"] = commit.sha
        return commit.sha

    def files_on(self, branch: str) -> dict[str, str]:
        """Every file on a branch."""
        return self.git.files_at(branch)

    def commits_on(self, branch: str) -> list[str]:
        """Commit ids on a branch that are not on the default branch, newest first."""
        base = self.git.refs[f"heads/{self.default_branch}"]
        sha = self.branch_head(branch)
        found: list[str] = []
        while sha and sha != base and not self.git.is_ancestor(sha, base):
            found.append(sha)
            parents = self.git.commits[sha].parents
            sha = parents[0] if parents else None
        return found

    def open_pulls(self) -> list[dict[str, Any]]:
        """Open pull requests, oldest first."""
        return [pull for _, pull in sorted(self.pulls.items()) if pull["state"] == "open"]

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        """Comments on an issue, oldest first (ids increase)."""
        return [comment for _, comment in sorted(self.comments.items()) if comment["issue"] == issue]
