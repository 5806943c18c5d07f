"""Publishers: generated files become one commit on a bot branch (GitHub or local git), or plain files."""

from __future__ import annotations

import logging
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from github import GithubException
from github import InputGitTreeElement
from github import UnknownObjectException
from github.GitCommit import GitCommit
from github.GitTree import GitTree
from github.Repository import Repository

from bot.errors import UserError

log = logging.getLogger(__name__)

FILE_MODE = "100644"
TRAILER = "Generated-by: devops-bot"  # marks the commits the bot may build on without asking
BOT_IDENTITY = {"name": "devops-bot", "email": "devops-bot@users.noreply.github.com"}


class UnsafePathError(ValueError):
    """A generated path would land outside the repository or output folder."""


class BranchNotOurs(Exception):
    """The bot branch's head is a commit the bot did not make: somebody is working on it."""

    def __init__(self, branch: str, head_sha: str) -> None:
        super().__init__(f"branch {branch} ends with commit {head_sha}, which devops-bot did not make")
        self.branch = branch
        self.head_sha = head_sha


@dataclass(frozen=True)
class BaseCommit:
    """The default branch's head and its root tree, when the caller already knows them."""

    sha: str
    tree_sha: str


@dataclass(frozen=True)
class PublishResult:
    """What publishing did: the pull request, and whether anything was created or changed."""

    number: int
    url: str
    created: bool = False  # a new pull request was opened
    updated: bool = False  # a new commit, or a new title/body, on the existing pull request
    unchanged: bool = False  # the branch already held exactly these files
    commit_sha: str = ""


def check_path(path: str) -> str:
    """The path if it is a plain repository-relative path; UnsafePathError otherwise."""
    parts = path.split("/")
    absolute = path.startswith("/") or "\\" in path or (":" in parts[0])  # /x, C:\x, C:x, \\server
    if not path or absolute or any(part in ("", ".", "..", ".git") for part in parts):
        raise UnsafePathError(f"refusing to write {path!r}: not a plain path inside the repository")
    return path


def commit_message(title: str) -> str:
    """The bot's commit message: the title, then the trailer that marks the commit as the bot's."""
    return f"{title}\n\n{TRAILER}\n"


def is_bot_commit(message: str) -> bool:
    """True when a commit message carries the bot's trailer."""
    return TRAILER in message.splitlines()


class PullRequestPublisher:
    """One commit through the Git Data API on a bot branch, and one open pull request for it.

    Calls: branch ref; [head commit]; tree; [commit; ref]; open pulls; [create or edit pull; label].
    The tree carries every file inline, so the count does not grow with the number of files.
    """

    def publish(self, repo: Repository, base_branch: str, branch: str, files: dict[str, str], title: str, body: str,
                labels: list[str], *, base: BaseCommit | None = None, build_on_any_head: bool = False) -> PublishResult:
        """Commit `files` on `branch` (created from `base_branch` if absent) and open or update its pull request.

        `build_on_any_head` (a person asked, with `/devops refresh`) adds the commit on top of a head the bot
        did not make instead of raising BranchNotOurs; it is still a fast-forward, never a force-push.
        """
        entries = [InputGitTreeElement(check_path(path), FILE_MODE, "blob", content=files[path])
                   for path in sorted(files)]
        branch_ref = repo.get_git_ref(f"heads/{branch}")
        head_sha = _ref_sha(branch_ref)
        if head_sha is None:
            base = base or _base_of(repo, base_branch)
            tree = repo.create_git_tree(entries, base_tree=_tree(repo, base.tree_sha))
            commit = repo.create_git_commit(commit_message(title), tree, [_commit(repo, base.sha)])
            repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
            changed, commit_sha = True, commit.sha
        else:
            head = repo.get_git_commit(head_sha)
            if not build_on_any_head and not is_bot_commit(head.message):
                raise BranchNotOurs(branch, head_sha)
            # building on the branch's own tree keeps what the bot wrote before and never rewinds it
            tree = repo.create_git_tree(entries, base_tree=head.tree)
            changed = tree.sha != head.tree.sha
            commit_sha = head_sha
            if changed:
                commit_sha = repo.create_git_commit(commit_message(title), tree, [head]).sha
                branch_ref.edit(commit_sha)  # a fast-forward: no force
        return self._pull_request(repo, base_branch, branch, title, body, labels, changed, commit_sha)

    def _pull_request(self, repo: Repository, base_branch: str, branch: str, title: str, body: str,
                      labels: list[str], changed: bool, commit_sha: str) -> PublishResult:
        owner = repo.url.rstrip("/").split("/")[-2]  # not repo.owner: that would fetch the repository
        pull = next(iter(repo.get_pulls(state="open", head=f"{owner}:{branch}")), None)
        created = False
        if pull is None:
            try:
                pull = repo.create_pull(base=base_branch, head=branch, title=title, body=body)
            except GithubException as error:
                if error.status == 422 and not changed:
                    # the branch has nothing the base lacks (merged, PR closed): nothing to propose
                    log.info("no pull request for %s: %s", branch, error.data)
                    return PublishResult(0, "", unchanged=True, commit_sha=commit_sha)
                raise
            created = True
        elif changed or pull.title != title or (pull.body or "") != body:
            pull.edit(title=title, body=body)
        missing = [label for label in labels if label not in {existing.name for existing in pull.labels}]
        if missing:
            pull.add_to_labels(*missing)
        return PublishResult(pull.number, pull.html_url, created=created, updated=not created and changed,
                             unchanged=not created and not changed, commit_sha=commit_sha)


def _ref_sha(ref: object) -> str | None:
    try:
        return str(ref.object.sha)  # type: ignore[attr-defined]
    except UnknownObjectException:
        return None


def _base_of(repo: Repository, base_branch: str) -> BaseCommit:
    sha = repo.get_git_ref(f"heads/{base_branch}").object.sha
    return BaseCommit(sha, repo.get_git_commit(sha).tree.sha)


def _tree(repo: Repository, sha: str) -> GitTree:
    # a reference by id: PyGithub only needs the sha to send base_tree
    return GitTree(repo.requester, attributes={"sha": sha}, completed=False)


def _commit(repo: Repository, sha: str) -> GitCommit:
    return GitCommit(repo.requester, attributes={"sha": sha}, completed=False)


@dataclass(frozen=True)
class LocalPublishResult:
    """What the local publisher did to the branch."""

    branch: str
    commit_sha: str
    created: bool
    unchanged: bool

    def __str__(self) -> str:
        if self.unchanged:
            return f"{self.branch} already had these files at {self.commit_sha[:12]}"
        return f"{'new branch' if self.created else 'new commit'} {self.commit_sha[:12]}"


class LocalGitPublisher:
    """Commits files on a branch of a local repository with git plumbing, leaving the checkout alone."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def publish(self, files: dict[str, str], *, branch: str = "devops-bot/setup-ci",
                message: str = "Set up CI/CD") -> LocalPublishResult:
        """One commit holding `files` on `branch`, on top of the branch (or of HEAD when it is new)."""
        if self._git("rev-parse", "--is-inside-work-tree", check=False) != "true":
            raise UserError(f"{self.root} is not a git repository; use --out DIR to write the files instead")
        if self._git("symbolic-ref", "-q", "HEAD", check=False) == f"refs/heads/{branch}":
            raise UserError(f"{branch} is checked out in {self.root}; switch to another branch first, so that "
                            "your working tree is not changed behind your back")
        ref = f"refs/heads/{branch}"
        head = self._git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False)
        parent = head or self._git("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        with tempfile.TemporaryDirectory(prefix="devops-bot-index-") as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            if parent:
                self._git("read-tree", f"{parent}^{{tree}}", env=env)
            else:
                self._git("read-tree", "--empty", env=env)
            lines = [f"{FILE_MODE} {self._hash(files[path])}\t{check_path(path)}" for path in sorted(files)]
            self._git("update-index", "--add", "--index-info", env=env, stdin="\n".join(lines) + "\n")
            tree = self._git("write-tree", env=env)
        if head and tree == self._git("rev-parse", f"{head}^{{tree}}"):
            return LocalPublishResult(branch, head, created=False, unchanged=True)
        identity = {"GIT_AUTHOR_NAME": BOT_IDENTITY["name"], "GIT_AUTHOR_EMAIL": BOT_IDENTITY["email"],
                    "GIT_COMMITTER_NAME": BOT_IDENTITY["name"], "GIT_COMMITTER_EMAIL": BOT_IDENTITY["email"]}
        args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
        commit = self._git(*args, env=identity, stdin=commit_message(message))
        # the old value makes update-ref refuse if the branch moved while we worked
        self._git("update-ref", "-m", "devops-bot: setup-ci", ref, commit, head or "0" * 40)
        return LocalPublishResult(branch, commit, created=not head, unchanged=False)

    def _hash(self, text: str) -> str:
        return self._git("hash-object", "-w", "--stdin", stdin=text)

    def _git(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
             check: bool = True) -> str:
        # `env NAME=value git ...` adds to the inherited environment (a scratch index, the bot's
        # identity) without this module reading it
        assignments = [f"{name}={value}" for name, value in sorted((env or {}).items())]
        result = subprocess.run(["env", *assignments, "git", "-C", str(self.root), *args],
                                input=(stdin or "").encode("utf-8"), capture_output=True, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout.decode("utf-8").strip() if result.returncode == 0 else ""


def write_files(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write files under `out_dir`, refusing any path that would escape it; returns what was written."""
    root = Path(out_dir).resolve()
    written: list[Path] = []
    for path in sorted(files):
        target = (root / check_path(path)).resolve()
        if not target.is_relative_to(root):  # a symlinked folder inside out_dir pointing elsewhere
            raise UnsafePathError(f"refusing to write {path!r}: it resolves outside {root}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as handle:
            handle.write(files[path])
        written.append(target)
    return written
