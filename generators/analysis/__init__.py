"""Project analysis: which languages, tools, tests and services a repository has, with evidence."""

from __future__ import annotations

from generators.analysis.model import Analysis
from generators.analysis.snapshot import analyze_snapshot
from generators.analysis.tree import FileTree
from generators.analysis.wanted import wanted_files

__all__ = ["analyze", "analyze_snapshot", "wanted_files"]


def analyze(tree: FileTree) -> Analysis:
    """Analyse a repository through its file tree: one listing, one batched read of the wanted files."""
    paths = tree.paths()
    contents = tree.read(wanted_files(paths))
    return analyze_snapshot(paths, contents, truncated=tree.truncated)
