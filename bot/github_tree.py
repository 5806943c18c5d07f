"""A GitHub repository at one commit as a FileTree: one recursive tree call, then a few blobs."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import quote

from github.Repository import Repository

log = logging.getLogger(__name__)

MAX_BLOB_BYTES = 1_000_000  # manifests are small; a large file is not one worth reading
SYMLINK_MODE = "120000"


class GitHubTree:
    """FileTree over the Git Data API: paths() costs one request, read() one per path asked for."""

    def __init__(self, repo: Repository, ref_sha: str) -> None:
        self.repo = repo
        self.ref_sha = ref_sha
        self.truncated = False
        self.tree_sha: str | None = None  # the commit's root tree, known after paths()
        # Only what read() needs, per file: its blob sha, and which files it must not read. A 100,000-entry
        # tree held as PyGithub GitTreeElement objects (each keeping its raw JSON) cost over 300 MB.
        self._blobs: dict[str, str] | None = None  # path -> blob sha
        self._unreadable: set[str] = set()  # symlinks and blobs over MAX_BLOB_BYTES

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
        if self._blobs is None:
            # GitHub accepts the commit sha here and answers with the commit's root tree. The requester keeps
            # auth, retries and GitHub's errors; the body is parsed here so that each of the 100,000 entries
            # shrinks to a tuple while it is parsed, instead of all of them living as dicts at once.
            requester = self.repo.requester
            url = f"{self.repo.url}/git/trees/{quote(self.ref_sha, safe='')}"
            status, headers, body = requester.requestJson("GET", url, parameters={"recursive": 1})
            if status >= 400:
                raise requester.createException(status, headers, _error_body(body))
            data = json.loads(body, object_pairs_hook=_tree_entry)
            del body
            self.tree_sha = data["sha"]
            self.truncated = bool(data.get("truncated"))
            if self.truncated:
                log.warning("tree of %s@%s is truncated by GitHub; analysing the listed part", self.repo.url,
                            self.ref_sha)
            self._blobs = {}
            for entry in data["tree"]:
                if entry is not None:  # a blob; folders and submodules are None
                    path, sha, unreadable = entry
                    self._blobs[path] = sha
                    if unreadable:
                        self._unreadable.add(path)
        return self._blobs


def _tree_entry(pairs: list[tuple[str, Any]]) -> Any:
    """json object hook: a tree entry becomes (path, sha, unreadable) for a blob, None otherwise."""
    item = dict(pairs)
    if "path" not in item:  # the response itself
        return item
    if item.get("type") != "blob":
        return None
    unreadable = item.get("mode") == SYMLINK_MODE or (item.get("size") or 0) > MAX_BLOB_BYTES
    return item["path"], item["sha"], unreadable


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
