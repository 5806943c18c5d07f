"""GitHubTree reads a repository with one tree call (a bounded walk when GitHub truncates it) and one blob call per file."""

from __future__ import annotations

import logging

import pytest
from github import GithubException

from bot.github_client import CallCounter
from bot.github_client import RetryPolicy
from bot.github_client import make_github
from bot.github_tree import GitHubTree
from bot.github_tree import WalkLimits
from generators.analysis import analyze
from generators.analysis.tree import Unlisted
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub

QUICK = RetryPolicy(total=2, backoff_factor=0.0, max_wait_seconds=0.3, secondary_rate_wait=0.0)

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


def walked_tree(fake: FakeGitHub, files: dict[str, str | bytes], *, limit: int,
                limits: WalkLimits = WalkLimits()) -> tuple[GitHubTree, FakeRepo, CallCounter]:
    """A tree over a repository whose every listing GitHub cuts after `limit` entries."""
    repo = fake.add_repo("octo/big", files)
    repo.tree_limit = limit
    counter = CallCounter()
    github = make_github("ghs_test", fake.base_url, counter=counter, policy=QUICK)
    return GitHubTree(github.get_repo("octo/big"), repo.branch_head("main") or "", limits=limits), repo, counter


def listings(fake: FakeGitHub, repo: FakeRepo) -> list[tuple[str, bool]]:
    """(folder, recursive) of every tree request, in order; the root is ""."""
    head = repo.branch_head("main") or ""
    root = repo.git.commits[head].tree
    folders = {head: "", root: ""}
    folders.update({entry["sha"]: entry["path"] for entry in repo.git.listing(root, recursive=True)
                    if entry["type"] == "tree"})
    return [(folders[call.path.rpartition("/")[2]], "recursive" in call.query)
            for call in fake.calls if "/git/trees/" in call.path]


def test_a_truncated_listing_is_walked_folder_by_folder_until_every_file_is_listed(fake_github: FakeGitHub) -> None:
    tree, repo, _ = walked_tree(fake_github, FILES, limit=4)  # the root's 9 entries are cut; each folder fits
    assert tree.paths() == sorted(FILES)
    assert (tree.truncated, tree.unlisted) == (False, None)
    assert listings(fake_github, repo) == [("", True), ("", False), ("assets", True), ("services", True),
                                           ("web", True)]
    assert tree.tree_sha == repo.git.commits[tree.ref_sha].tree
    assert tree.read(["web/package.json"]) == {"web/package.json": FILES["web/package.json"]}


def test_a_truncated_subfolder_is_walked_one_level_deeper(fake_github: FakeGitHub) -> None:
    files = {"README.md": "# big\n", "web/package.json": "{}\n", "services/api/pyproject.toml": "[project]\n",
             "services/api/app.py": "", "services/worker/go.mod": "module w\n", "services/worker/main.go": ""}
    tree, repo, _ = walked_tree(fake_github, files, limit=4)  # services/ lists 6 entries recursively, 2 one level deep
    assert tree.paths() == sorted(files)
    assert tree.truncated is False
    assert listings(fake_github, repo) == [("", True), ("", False), ("services", True), ("services", False),
                                           ("web", True), ("services/api", True), ("services/worker", True)]


def test_folders_the_analysis_ignores_are_not_walked_into(fake_github: FakeGitHub,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    files = {"package.json": "{}\n", "src/index.js": "", "node_modules/left-pad/package.json": "{}\n",
             "node_modules/left-pad/index.js": "", "vendor/lib/lib.go": ""}
    tree, repo, _ = walked_tree(fake_github, files, limit=4)
    with caplog.at_level(logging.INFO, logger="bot.github_tree"):
        paths = tree.paths()
    assert listings(fake_github, repo) == [("", True), ("", False), ("src", True)]
    assert {"package.json", "src/index.js"} <= set(paths) and "vendor/lib/lib.go" not in paths
    assert tree.truncated is False
    assert "did not walk into 2 folders the analysis ignores: node_modules, vendor" in caplog.text


@pytest.mark.parametrize(("limits", "unlisted", "reason"), [
    (WalkLimits(max_requests=3), ("services", "web"), "the bot's cap of 3 tree requests"),
    (WalkLimits(max_files=3), ("web",), "the bot's cap of 3 listed files"),
], ids=["requests", "files"])
def test_a_walk_that_reaches_its_cap_names_every_folder_it_did_not_list(
        fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture, limits: WalkLimits, unlisted: tuple[str, ...],
        reason: str) -> None:
    tree, repo, _ = walked_tree(fake_github, FILES, limit=4, limits=limits)
    with caplog.at_level(logging.WARNING, logger="bot.github_tree"):
        analysis = analyze(tree)
    assert tree.truncated is True
    assert tree.unlisted == Unlisted(unlisted, reason)
    assert tree.paths() == sorted(path for path in FILES if not path.startswith(tuple(f"{f}/" for f in unlisted)))
    [warning] = [warning for warning in analysis.warnings if "listing is incomplete" in warning]
    assert reason in warning and ", ".join(f"{folder}/" for folder in unlisted) in warning
    assert f"cut short by {reason}; {len(unlisted)} folders not fully listed: {', '.join(unlisted)}" in caplog.text
    assert len(listings(fake_github, repo)) <= limits.max_requests


def test_the_walk_leaves_githubs_rate_limit_reserve_alone(fake_github: FakeGitHub) -> None:
    tree, repo, _ = walked_tree(fake_github, FILES, limit=4)
    fake_github.rate_limit_remaining = 40
    paths = tree.paths()
    assert listings(fake_github, repo) == [("", True)]
    assert paths == ["README.md", "assets/logo.png"]  # what the truncated listing did give
    assert tree.unlisted is not None and tree.unlisted.folders == ("",)
    assert "GitHub's rate limit (40 requests left this hour; the bot keeps 500" in tree.unlisted.reason
    assert "may be missing from this analysis: the repository root" in analyze(tree).warnings[0]


def test_a_folder_cut_even_one_level_deep_is_named(fake_github: FakeGitHub) -> None:
    tree, _, _ = walked_tree(fake_github, FILES, limit=3)  # the root's 4 direct entries are cut to 3: web/ is lost
    assert tree.paths() == sorted(path for path in FILES if not path.startswith("web/"))
    assert tree.unlisted == Unlisted(("",), "GitHub truncating even the one-level listing of a folder")


def test_a_transient_error_while_walking_is_retried_by_the_client(fake_github: FakeGitHub) -> None:
    tree, repo, counter = walked_tree(fake_github, FILES, limit=4)
    services = next(entry["sha"] for entry in repo.git.listing(repo.git.commits[tree.ref_sha].tree, recursive=False)
                    if entry["path"] == "services")
    fake_github.fail("GET", f"/git/trees/{services}$", 502)
    assert tree.paths() == sorted(FILES)
    assert counter.retries == 1 and tree.truncated is False


def test_an_unknown_commit_raises_githubs_error(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("octo/demo", FILES)
    tree = GitHubTree(make_github("t", fake_github.base_url).get_repo("octo/demo"), "0" * 40)
    with pytest.raises(GithubException) as raised:
        tree.paths()
    assert raised.value.status in (404, 422)
