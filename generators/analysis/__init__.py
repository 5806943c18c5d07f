"""Project analysis: which languages, tools, tests and services a repository has, with evidence."""

from __future__ import annotations

from generators.analysis.model import Analysis
from generators.analysis.snapshot import analyze_snapshot
from generators.analysis.tree import FileTree
from generators.analysis.layout import Layout
from generators.analysis.wanted import wanted_files
from generators.analysis.wanted import wanted_in

__all__ = ["analyze", "analyze_snapshot", "wanted_files"]


def analyze(tree: FileTree) -> Analysis:
    """Analyse a repository through its file tree: one listing, one batched read of the wanted files."""
    paths = tree.paths()
    layout = Layout.from_paths(paths)  # built once, for choosing the files to read and for the analysis
    contents = tree.read(wanted_in(layout))
    return analyze_snapshot(paths, contents, truncated=tree.truncated, unlisted=tree.unlisted, layout=layout)
