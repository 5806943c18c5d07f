"""The one file-tree interface that analysis reads through."""

from __future__ import annotations

from typing import Protocol


class FileTree(Protocol):
    """A repository's files at one commit, read in two calls: all paths, then the few files needed."""

    truncated: bool  # True when the listing is incomplete (GitHub's recursive tree limit)

    def paths(self) -> list[str]:
        """Every file path, repository-relative with '/' separators, sorted."""
        ...

    def read(self, paths: list[str]) -> dict[str, str]:
        """Text of the given files in one batch; a file that cannot be read is left out."""
        ...
