"""File trees the analysis reads through: a local directory (git-aware)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Dependency, build and cache directories: never project code, and often huge.
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", "dist", "build", "target", "vendor"})


class LocalTree:
    """A local directory; inside a git work tree the listing is git's, so .gitignore is honoured."""

    truncated = False
    unlisted = None  # a local listing is always complete

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def paths(self) -> list[str]:
        """Every file path, repository-relative with '/' separators, sorted."""
        listed = self._git_paths()
        if listed is None:
            listed = self._walk()
        return sorted(path for path in set(listed) if not _skipped(path))

    def read(self, paths: list[str]) -> dict[str, str]:
        """Text of the given files (utf-8, bad bytes replaced); missing files and paths leaving the root are left out."""
        found = {}
        for path in paths:
            target = self._inside(path)
            if target is not None and target.is_file():
                found[path] = target.read_bytes().decode("utf-8", errors="replace")
        return found

    def _inside(self, path: str) -> Path | None:
        relative = Path(path)
        if not path or relative.is_absolute() or ".." in relative.parts:
            return None
        target = (self.root / relative).resolve()
        # A symlink could still point outside; the resolved path must stay under the root.
        return target if target.is_relative_to(self.root) else None

    def _git_paths(self) -> list[str] | None:
        try:
            inside = subprocess.run(["git", "-C", str(self.root), "rev-parse", "--is-inside-work-tree"],
                                    capture_output=True, text=True, timeout=30, check=False)
            if inside.returncode != 0 or inside.stdout.strip() != "true":
                return None
            listed = subprocess.run(["git", "-C", str(self.root), "ls-files", "-z", "-co", "--exclude-standard"],
                                    capture_output=True, timeout=120, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        names = listed.stdout.decode("utf-8", errors="replace").split("\0")
        # Deleted-but-tracked files and submodule directories are listed too; keep real files only.
        # Plain strings and os.path: a Path object per file costs seconds on a 100,000-file repository.
        root = str(self.root)
        return [name for name in names if name and os.path.isfile(os.path.join(root, name))]

    def _walk(self) -> list[str]:
        """Files below the root (symlinks to files included, symlinked directories not followed), like os.walk."""
        found: list[str] = []
        pending = [(str(self.root), "")]
        while pending:
            directory, prefix = pending.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_dir():
                        if entry.name not in SKIP_DIRS and not entry.is_symlink():  # prune, don't descend
                            pending.append((entry.path, prefix + entry.name + "/"))
                    elif entry.is_file():
                        found.append(prefix + entry.name)
                except OSError:
                    continue
        return found


def _skipped(path: str) -> bool:
    return not SKIP_DIRS.isdisjoint(path.split("/")[:-1])
