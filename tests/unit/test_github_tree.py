"""GitHubTree reads a repository with one tree call and one blob call per requested file."""

from __future__ import annotations

import pytest
from github import GithubException

from bot.github_client import CallCounter
from bot.github_client import make_github
from bot.github_tree import GitHubTree
from tests.fakes.github_server import FakeGitHub

FILES = {
    "README.md": "# demo\n",
    "services/api/pyproject.toml": "[project]\nname = 'api'\n",
    "services/api/app.py": "print('hi')\n",
    "web/package.json": '{"name": "web"}\n',
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\xff\xfe",
}


def tree_for(fake: FakeGitHub) -> tuple[GitHubTree, CallCounter]:
    repo = fake.add_repo("octo/demo", FILES)
    counter = CallCounter()
    github = make_github("ghs_test", fake.base_url, counter=counter)
    return GitHubTree(github.get_repo("octo/demo"), repo.branch_head("main") or ""), counter


def test_paths_lists_every_file_and_no_folder_with_one_request(fake_github: FakeGitHub) -> None:
    tree, counter = tree_for(fake_github)
    assert tree.paths() == sorted(FILES)
    assert tree.paths() == sorted(FILES)  # asked twice, fetched once
    assert counter.calls == 1
    [call] = fake_github.calls
    assert call.path.endswith(f"/git/trees/{tree.ref_sha}") and call.query == {"recursive": "1"}
    assert tree.truncated is False


def test_tree_sha_is_the_commits_root_tree(fake_github: FakeGitHub) -> None:
    tree, _ = tree_for(fake_github)
    tree.paths()
    repo = fake_github.repos["octo/demo"]
    assert tree.tree_sha == repo.git.commits[tree.ref_sha].tree


def test_read_fetches_exactly_the_requested_blobs(fake_github: FakeGitHub) -> None:
    tree, counter = tree_for(fake_github)
    texts = tree.read(["web/package.json", "services/api/pyproject.toml", "web/package.json"])
    assert texts == {"web/package.json": FILES["web/package.json"],
                     "services/api/pyproject.toml": FILES["services/api/pyproject.toml"]}
    assert [call.method for call in fake_github.calls] == ["GET", "GET", "GET"]
    assert sum("/git/blobs/" in call.path for call in fake_github.calls) == 2
    assert counter.calls == 3


def test_missing_and_binary_files_are_left_out(fake_github: FakeGitHub) -> None:
    tree, _ = tree_for(fake_github)
    assert tree.read(["nope.txt", "assets/logo.png", "README.md"]) == {"README.md": "# demo\n"}


def test_a_symlink_is_listed_but_not_read(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("octo/links", {"real/package.json": "{}\n"})
    git = repo.git
    flat = dict(git.trees[git.commits[repo.branch_head("main") or ""].tree])
    flat["package.json"] = ("120000", git.put_blob(b"real/package.json"))
    commit = git.put_commit(git.put_tree(flat), [repo.branch_head("main") or ""], "link", {"name": "a", "email": "b"})
    tree = GitHubTree(make_github("t", fake_github.base_url).get_repo("octo/links"), commit.sha)
    assert tree.paths() == ["package.json", "real/package.json"]
    assert tree.read(["package.json", "real/package.json"]) == {"real/package.json": "{}\n"}


def test_a_truncated_listing_is_reported(fake_github: FakeGitHub) -> None:
    tree, _ = tree_for(fake_github)
    fake_github.repos["octo/demo"].tree_limit = 3
    paths = tree.paths()
    assert tree.truncated is True
    assert len(paths) < len(FILES)


def test_an_unknown_commit_raises_githubs_error(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("octo/demo", FILES)
    tree = GitHubTree(make_github("t", fake_github.base_url).get_repo("octo/demo"), "0" * 40)
    with pytest.raises(GithubException) as raised:
        tree.paths()
    assert raised.value.status in (404, 422)
