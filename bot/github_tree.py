"""A GitHub repository at one commit as a FileTree: one recursive tree call, then a few blobs."""

from __future__ import annotations

import base64
import binascii
import logging

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
        self._entries: dict[str, tuple[str, str, int]] | None = None  # path -> (sha, mode, size)

    def paths(self) -> list[str]:
        """Every file path at the commit (blobs only), sorted."""
        return sorted(self._listing())

    def read(self, paths: list[str]) -> dict[str, str]:
        """UTF-8 text of the given files; missing, binary, symlinked or huge files are left out."""
        entries = self._listing()
        texts: dict[str, str] = {}
        for path in sorted(set(paths)):
            entry = entries.get(path)
            if entry is None:
                continue
            sha, mode, size = entry
            if mode == SYMLINK_MODE or size > MAX_BLOB_BYTES:
                continue
            blob = self.repo.get_git_blob(sha)
            text = _decode(blob.content, blob.encoding)
            if text is None:
                log.info("skipping %s in %s: not UTF-8 text", path, self.repo.url)
                continue
            texts[path] = text
        return texts

    def _listing(self) -> dict[str, tuple[str, str, int]]:
        if self._entries is None:
            # GitHub accepts the commit sha here and answers with the commit's root tree
            tree = self.repo.get_git_tree(self.ref_sha, recursive=True)
            self.tree_sha = tree.sha
            self.truncated = bool(tree.truncated)
            if self.truncated:
                log.warning("tree of %s@%s is truncated by GitHub; analysing the listed part", self.repo.url,
                            self.ref_sha)
            self._entries = {
                element.path: (element.sha, element.mode, element.size or 0)
                for element in tree.tree
                if element.type == "blob"
            }
        return self._entries


def _decode(content: str | None, encoding: str | None) -> str | None:
    """Blob content as text, or None when it is not UTF-8."""
    if content is None:
        return None
    try:
        raw = base64.b64decode(content) if encoding == "base64" else content.encode("utf-8")
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
