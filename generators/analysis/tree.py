"""The one file-tree interface that analysis reads through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Unlisted:
    """Folders whose files a listing could not finish, and why; their files may be missing from paths()."""

    folders: tuple[str, ...]  # repository-relative and sorted; "" is the repository root
    reason: str  # what stopped the listing, a phrase such as "the walk's cap of 100 tree requests"


class FileTree(Protocol):
    """A repository's files at one commit, read in two calls: all paths, then the few files needed."""

    truncated: bool  # True when the listing is incomplete (GitHub's recursive tree limit)
    unlisted: Unlisted | None  # which folders are incomplete, when the tree can say; known after paths()

    def paths(self) -> list[str]:
        """Every file path, repository-relative with '/' separators, sorted."""
        ...

    def read(self, paths: list[str]) -> dict[str, str]:
        """Text of the given files in one batch; a file that cannot be read is left out."""
        ...
