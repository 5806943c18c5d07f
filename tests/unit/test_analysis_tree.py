"""LocalTree: git-aware listing, skipped directories, reads confined to the root."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.trees import LocalTree


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_git_work_tree_listing_honours_gitignore_and_includes_untracked_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, {".gitignore": "secret.env\ngenerated/\n", "app.py": "", "secret.env": "x",
                     "generated/out.py": "", "pkg/mod.py": ""})
    subprocess.run(["git", "-C", str(tmp_path), "add", "app.py"], check=True)
    assert LocalTree(tmp_path).paths() == [".gitignore", "app.py", "pkg/mod.py"]


def test_plain_directory_walk_skips_dependency_and_build_directories(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": "{}", "node_modules/x/package.json": "{}", ".venv/lib/a.py": "",
                     "dist/bundle.js": "", "src/index.js": "", ".git/config": ""})
    tree = LocalTree(tmp_path)
    assert tree.truncated is False
    assert tree.paths() == ["package.json", "src/index.js"]


def test_read_returns_text_of_existing_files_only(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"ok \xff\n")
    assert LocalTree(tmp_path).read(["a.txt", "missing.txt"]) == {"a.txt": "ok \ufffd\n"}


def test_read_refuses_paths_that_escape_the_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    tree = LocalTree(root)
    assert tree.read(["../outside.txt", str(tmp_path / "outside.txt"), "link.txt", "a/../../outside.txt"]) == {}
