"""A GitHub repository at one commit as a FileTree: one recursive tree call (a walk if truncated), then a few blobs."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any
from typing import NamedTuple
from urllib.parse import quote

from github.Repository import Repository

from generators.analysis.layout import SKIP_DIRS
from generators.analysis.layout import join
from generators.analysis.tree import Unlisted

log = logging.getLogger(__name__)

MAX_BLOB_BYTES = 1_000_000  # manifests are small; a large file is not one worth reading
SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class WalkLimits:
    """How far the folder-by-folder walk that follows a truncated listing may go."""

    max_requests: int = 100  # tree requests in all, the first recursive one included
    max_files: int = 300_000  # three times the monorepo the analysis is measured on (bench/analysis.py)
    rate_limit_reserve: int = 500  # requests of the installation's hour left for blobs, writes and other jobs


class _Entry(NamedTuple):
    path: str  # relative to the listed tree
    sha: str
    is_tree: bool
    unreadable: bool  # a symlink, or a blob over MAX_BLOB_BYTES


class _Listing(NamedTuple):
    sha: str
    truncated: bool
    entries: list[_Entry]


class GitHubTree:
    """FileTree over the Git Data API: paths() costs one request, read() one per path asked for.

    GitHub truncates a recursive listing past 100,000 entries or 7 MB. paths() then does what GitHub's
    documentation advises: it lists that folder one level deep and each subfolder recursively, descending
    again wherever a subfolder is truncated too, within `limits`. Folders the analysis ignores
    (node_modules, vendor…) are not walked into.
    """

    def __init__(self, repo: Repository, ref_sha: str, *, limits: WalkLimits = WalkLimits()) -> None:
        self.repo = repo
        self.ref_sha = ref_sha
        self.limits = limits
        self.truncated = False
        self.unlisted: Unlisted | None = None  # folders whose files may be missing, known after paths()
        self.tree_sha: str | None = None  # the commit's root tree, known after paths()
        # Only what read() needs, per file: its blob sha, and which files it must not read. A 100,000-entry
        # tree held as PyGithub GitTreeElement objects (each keeping its raw JSON) cost over 300 MB.
        self._blobs: dict[str, str] = {}  # path -> blob sha
        self._unreadable: set[str] = set()  # symlinks and blobs over MAX_BLOB_BYTES
        self._listed = False
        self._requests = 0
        self._rate_remaining: int | None = None  # X-RateLimit-Remaining of the last answer

    def paths(self) -> list[str]:
        """Every file path at the commit (blobs only), sorted."""
        return sorted(self._listing())

    def read(self, paths: list[str]) -> dict[str, str]:
        """UTF-8 text of the given files; missing, binary, symlinked or huge files are left out."""
        blobs = self._listing()
        texts: dict[str, str] = {}
        for path in sorted(set(paths)):
            sha = blobs.get(path)
            if sha is None or path in self._unreadable:
                continue
            blob = self.repo.get_git_blob(sha)
            text = _decode(blob.content, blob.encoding)
            if text is None:
                log.info("skipping %s in %s: not UTF-8 text", path, self.repo.url)
                continue
            texts[path] = text
        return texts

    def _listing(self) -> dict[str, str]:
        if not self._listed:
            self._walk()
            self._listed = True
        return self._blobs

    def _walk(self) -> None:
        """List the root recursively and, where a listing comes back truncated, that folder's subfolders."""
        self._blobs.clear()  # a walk that raised half-way starts over
        self._unreadable.clear()
        self._requests = 0
        pending: deque[tuple[str, str]] = deque([("", self.ref_sha)])  # (folder, sha) to list recursively
        cut: list[str] = []  # folders GitHub truncated even one level deep
        ignored: list[str] = []
        stop = ""
        while pending:
            folder, sha = pending.popleft()
            if self._requests and (stop := self._limit_reached()):
                pending.appendleft((folder, sha))
                break
            listing = self._fetch(sha, recursive=True)
            self.tree_sha = self.tree_sha or listing.sha  # GitHub accepts the commit sha and answers with its tree
            self._add(folder, listing.entries)  # a truncated listing's files are real files too
            if not listing.truncated:
                continue
            if stop := self._limit_reached():
                pending.appendleft((folder, listing.sha))
                break
            flat = self._fetch(listing.sha, recursive=False)
            self._add(folder, flat.entries)
            if flat.truncated:
                cut.append(folder)
            for entry in flat.entries:
                if entry.is_tree:
                    path = join(folder, entry.path)
                    if entry.path in SKIP_DIRS:
                        ignored.append(path)
                    else:
                        pending.append((path, entry.sha))
        self._report([folder for folder, _ in pending], cut, ignored, stop)

    def _fetch(self, sha: str, *, recursive: bool) -> _Listing:
        """One listing of a tree (or a commit's tree); GitHub's errors are raised as PyGithub raises them."""
        # The requester keeps auth, retries and rate-limit waits; the body is parsed here so that each of up to
        # 100,000 entries shrinks to a tuple while it is parsed, instead of all of them living as dicts at once.
        requester = self.repo.requester
        url = f"{self.repo.url}/git/trees/{quote(sha, safe='')}"
        # Any value of `recursive`, "0" and "false" included, asks for every level; one level means leaving it out.
        status, headers, body = requester.requestJson("GET", url, parameters={"recursive": 1} if recursive else None)
        self._requests += 1
        if status >= 400:
            raise requester.createException(status, headers, _error_body(body))
        remaining = str(headers.get("x-ratelimit-remaining", ""))
        self._rate_remaining = int(remaining) if remaining.isdigit() else None
        data = json.loads(body, object_pairs_hook=_tree_entry)
        del body
        entries = [entry for entry in data["tree"] if entry is not None]
        return _Listing(data["sha"], bool(data.get("truncated")), entries)

    def _add(self, folder: str, entries: list[_Entry]) -> None:
        """Remember the files of one listing of `folder`."""
        blobs = self._blobs
        prefix = f"{folder}/" if folder else ""
        for entry in entries:
            if not entry.is_tree:
                path = prefix + entry.path
                blobs[path] = entry.sha
                if entry.unreadable:
                    self._unreadable.add(path)

    def _limit_reached(self) -> str:
        """Why the walk must stop before its next request, or "" while it may go on."""
        limits = self.limits
        if self._requests >= limits.max_requests:
            return f"the bot's cap of {limits.max_requests} tree requests"
        if len(self._blobs) >= limits.max_files:
            return f"the bot's cap of {limits.max_files:,} listed files"
        if self._rate_remaining is not None and self._rate_remaining < limits.rate_limit_reserve:
            return (f"GitHub's rate limit ({self._rate_remaining} requests left this hour; the bot keeps "
                    f"{limits.rate_limit_reserve} for the rest of its work)")
        return ""

    def _report(self, unfinished: list[str], cut: list[str], ignored: list[str], stop: str) -> None:
        """Set truncated and unlisted, and log what the walk listed, skipped and left out."""
        where = f"{self.repo.url}@{self.ref_sha}"
        if self._requests > 1:
            log.info("tree of %s was truncated by GitHub; walked it folder by folder: %d requests, %d files",
                     where, self._requests, len(self._blobs))
        if ignored:
            log.info("tree of %s: did not walk into %d folders the analysis ignores: %s", where, len(ignored),
                     ", ".join(sorted(ignored)))
        folders = tuple(sorted({*unfinished, *cut}))
        if not folders:
            return
        reasons = [stop] if unfinished else []
        if cut:
            reasons.append("GitHub truncating even the one-level listing of a folder")
        self.unlisted = Unlisted(folders, " and ".join(reasons))
        self.truncated = True
        log.warning("tree of %s is incomplete: the walk was cut short by %s; %d folders not fully listed: %s",
                    where, self.unlisted.reason, len(folders), ", ".join(folder or "/" for folder in folders))


def _tree_entry(pairs: list[tuple[str, Any]]) -> Any:
    """json object hook: a tree entry becomes an _Entry (None for a submodule); the response stays a dict."""
    item = dict(pairs)
    if "path" not in item:  # the response itself
        return item
    kind = item.get("type")
    if kind == "tree":
        return _Entry(item["path"], item["sha"], True, False)
    if kind != "blob":
        return None
    unreadable = item.get("mode") == SYMLINK_MODE or (item.get("size") or 0) > MAX_BLOB_BYTES
    return _Entry(item["path"], item["sha"], False, unreadable)


def _error_body(body: str) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return {"message": body}


def _decode(content: str | None, encoding: str | None) -> str | None:
    """Blob content as text, or None when it is not UTF-8."""
    if content is None:
        return None
    try:
        raw = base64.b64decode(content) if encoding == "base64" else content.encode("utf-8")
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
