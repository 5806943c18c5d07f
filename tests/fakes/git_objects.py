"""An in-memory git object store with real object ids, for the fake GitHub server."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

FILE_MODE = "100644"


def git_sha(kind: str, body: bytes) -> str:
    """The id git gives an object of `kind` with this body."""
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


@dataclass
class Commit:
    """A commit: its root tree, parents and who made it."""

    sha: str
    tree: str
    parents: list[str]
    message: str
    author: dict[str, str]
    committer: dict[str, str]


@dataclass
class GitStore:
    """Blobs, trees (kept flat: path -> (mode, blob sha)), commits and refs of one repository."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" -> commit sha
    clock: int = 1_700_000_000  # commit timestamps advance one second per commit

    def put_blob(self, data: bytes) -> str:
        """Store a blob and return its id."""
        sha = git_sha("blob", data)
        self.blobs[sha] = data
        return sha

    def put_tree(self, files: dict[str, tuple[str, str]]) -> str:
        """Store a flat tree (and every subtree) and return the root tree's id."""
        children: dict[str, dict[str, tuple[str, str]]] = {}
        entries: list[tuple[str, str, str]] = []  # (name, mode, sha)
        for path, (mode, sha) in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                children.setdefault(head, {})[rest] = (mode, sha)
            else:
                entries.append((head, mode, sha))
        for name, sub in children.items():
            entries.append((name, "40000", self.put_tree(sub)))
        # git sorts tree entries by name, directories compared as if they ended with "/"
        entries.sort(key=lambda entry: entry[0] + ("/" if entry[1] == "40000" else ""))
        body = b"".join(f"{mode} {name}\0".encode() + bytes.fromhex(sha) for name, mode, sha in entries)
        root = git_sha("tree", body)
        self.trees[root] = dict(files)
        return root

    def put_commit(self, tree: str, parents: list[str], message: str, who: dict[str, str]) -> Commit:
        """Store a commit made by `who` ({name, email}) and return it."""
        self.clock += 1
        stamp = {**who, "date": _iso(self.clock)}
        lines = [f"tree {tree}", *[f"parent {parent}" for parent in parents],
                 f"author {who['name']} <{who['email']}> {self.clock} +0000",
                 f"committer {who['name']} <{who['email']}> {self.clock} +0000", "", message]
        sha = git_sha("commit", "\n".join(lines).encode())
        commit = Commit(sha, tree, list(parents), message, stamp, dict(stamp))
        self.commits[sha] = commit
        return commit

    def tree_of(self, sha: str) -> str | None:
        """The root tree id for a tree or commit id (GitHub accepts either), or None."""
        if sha in self.trees:
            return sha
        commit = self.commits.get(sha)
        return commit.tree if commit else None

    def listing(self, tree: str, recursive: bool) -> list[dict[str, Any]]:
        """Tree entries as GitHub lists them: blobs plus, when recursive, every directory."""
        files = self.trees[tree]
        if not recursive:
            top: dict[str, dict[str, Any]] = {}
            for path, (mode, sha) in files.items():
                head, sep, _ = path.partition("/")
                if sep and head not in top:
                    sub = {p.partition("/")[2]: v for p, v in files.items() if p.startswith(head + "/")}
                    top[head] = {"path": head, "mode": "040000", "type": "tree", "sha": self.put_tree(sub)}
                elif not sep:
                    top[head] = _blob_entry(path, mode, sha, len(self.blobs[sha]))
            return [top[name] for name in sorted(top)]
        # One pass files every path under each of its folders: scanning all files once per folder is
        # quadratic and never finishes on a 100,000-file tree (bench/analysis.py).
        folders: dict[str, dict[str, tuple[str, str]]] = {}
        for path, value in files.items():
            parts = path.split("/")
            for depth in range(1, len(parts)):
                folders.setdefault("/".join(parts[:depth]), {})["/".join(parts[depth:])] = value
        entries: dict[str, dict[str, Any]] = {
            folder: {"path": folder, "mode": "040000", "type": "tree", "sha": self.put_tree(sub)}
            for folder, sub in folders.items()
        }
        for path, (mode, sha) in files.items():
            entries[path] = _blob_entry(path, mode, sha, len(self.blobs[sha]))
        return [entries[path] for path in sorted(entries)]

    def is_ancestor(self, ancestor: str, sha: str) -> bool:
        """True when `ancestor` is `sha` or reachable from it through parents."""
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current == ancestor:
                return True
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            stack.extend(self.commits[current].parents)
        return False

    def files_at(self, ref_or_sha: str) -> dict[str, str]:
        """Text of every file at a branch or commit (for assertions in tests)."""
        sha = self.refs.get(f"heads/{ref_or_sha}", ref_or_sha)
        tree = self.tree_of(sha)
        if tree is None:
            raise KeyError(ref_or_sha)
        return {path: self.blobs[blob].decode("utf-8") for path, (_, blob) in sorted(self.trees[tree].items())}

    @classmethod
    def from_files(cls, files: dict[str, str | bytes], branch: str, who: dict[str, str]) -> GitStore:
        """A store with one commit holding `files` on `branch`."""
        store = cls()
        flat = {path: (FILE_MODE, store.put_blob(_bytes(data))) for path, data in files.items()}
        commit = store.put_commit(store.put_tree(flat), [], "Initial commit", who)
        store.refs[f"heads/{branch}"] = commit.sha
        return store


def read_directory(root: Path) -> dict[str, bytes]:
    """Every file under `root` (skipping .git), as repository-relative paths."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def _blob_entry(path: str, mode: str, sha: str, size: int) -> dict[str, Any]:
    return {"path": path, "mode": mode, "type": "blob", "sha": sha, "size": size}


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _iso(epoch: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
