"""Fake GitHub endpoints for keeping bot pull requests alive: compare two commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from flask import Response

from tests.fakes.fake_repo import FakeRepo

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

R = "/repos/<owner>/<name>"


def register_lifecycle_routes(app: Flask, state: FakeGitHub, repo_or_404: Callable[[str, str], FakeRepo],
                              reply: Callable[..., Response]) -> None:
    """Add GET /repos/{owner}/{repo}/compare/{base}...{head} to `app`."""
    from tests.fakes.github_server import error

    @app.get(R + "/compare/<path:basehead>")
    def compare(owner: str, name: str, basehead: str) -> Response:
        repo = repo_or_404(owner, name)
        base_name, sep, head_name = basehead.partition("...")
        base, head = _resolve(repo, base_name), _resolve(repo, head_name)
        if not sep or base is None or head is None:
            return error(404, "Not Found")
        reachable = _ancestors(repo, base)
        ahead = [sha for sha in _first_parent_walk(repo, head) if sha not in reachable]
        ahead.reverse()  # GitHub lists them oldest first
        example = state.shape("GET /repos/{owner}/{repo}/compare/{basehead}", repo)
        template = example["commits"][0]
        commits = [_commit_item(state, repo, template, sha) for sha in ahead]
        behind = len([sha for sha in _ancestors(repo, base) if sha not in _ancestors(repo, head)])
        data = {**example, "status": "ahead" if ahead and not behind else "diverged" if ahead else "behind",
                "ahead_by": len(ahead), "behind_by": behind, "total_commits": len(ahead), "commits": commits,
                "files": []}
        return reply(data)


def _resolve(repo: FakeRepo, name: str) -> str | None:
    if name in repo.git.commits:
        return name
    return repo.git.refs.get(f"heads/{name}")


def _ancestors(repo: FakeRepo, sha: str) -> set[str]:
    seen: set[str] = set()
    stack = [sha]
    while stack:
        current = stack.pop()
        if current in seen or current not in repo.git.commits:
            continue
        seen.add(current)
        stack.extend(repo.git.commits[current].parents)
    return seen


def _first_parent_walk(repo: FakeRepo, sha: str) -> list[str]:
    return sorted(_ancestors(repo, sha), key=lambda item: -_depth(repo, item))


def _depth(repo: FakeRepo, sha: str) -> int:
    depth = 0
    while repo.git.commits[sha].parents:
        sha = repo.git.commits[sha].parents[0]
        depth += 1
    return depth


def _commit_item(state: FakeGitHub, repo: FakeRepo, template: dict[str, Any], sha: str) -> dict[str, Any]:
    commit = repo.git.commits[sha]
    api = f"{state.base_url}/repos/{repo.full_name}"
    item = {**template, "sha": sha, "url": f"{api}/commits/{sha}",
            "html_url": f"https://github.com/{repo.full_name}/commit/{sha}"}
    item["commit"] = {**template["commit"], "message": commit.message, "url": f"{api}/git/commits/{sha}",
                      "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
                      "author": {**template["commit"]["author"], **commit.author},
                      "committer": {**template["commit"]["committer"], **commit.committer}}
    item["parents"] = [{"sha": parent, "url": f"{api}/commits/{parent}"} for parent in commit.parents]
    return item
