"""docs/FEATURES.md names the test that proves each capability: every name it gives must exist.

A reference is `folder/test_file.py`, `folder/test_file.py::test_name` (a `*` matches the rest of a name), or
`::test_name` continuing the last file named in the same table row; `golden/...` names a golden case folder;
file and folder names may hold `*`.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
REFERENCE = re.compile(r"`([^`\s]+)`")


@lru_cache(maxsize=None)
def _test_names(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"))


def _problems_in_row(row: str) -> list[str]:
    problems: list[str] = []
    current: Path | None = None
    for reference in REFERENCE.findall(row):
        if reference.startswith("golden/"):
            if not [path for path in TESTS.glob(reference) if path.is_dir()]:
                problems.append(f"{reference}: no such golden case")
            continue
        file_part, _, name = reference.partition("::")
        if file_part:
            if not (file_part.endswith(".py") and "/" in file_part and Path(file_part).name.startswith("test")):
                continue  # a module of the bot, a command, a setting: not a test reference
            matches = sorted(TESTS.glob(file_part))
            if not matches:
                problems.append(f"{reference}: no such test file")
                current = None
                continue
            current = matches[0] if len(matches) == 1 else None  # a pattern: `::name` cannot follow it
        elif current is None:
            continue
        if name:
            name = name.split("[", 1)[0]
            if not fnmatch.filter(_test_names(current), name):
                problems.append(f"{reference}: no test {name} in {current.relative_to(TESTS)}")
    return problems


def test_every_test_that_features_md_names_exists() -> None:
    rows = [line for line in (ROOT / "docs" / "FEATURES.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("|")]
    problems = [problem for row in rows for problem in _problems_in_row(row)]
    assert problems == []


def test_a_missing_test_a_missing_file_and_a_missing_golden_case_are_found() -> None:
    row = ("| x | works | `unit/test_features_doc.py::test_every_test_that_features_md_names_exists`, "
           "`::test_not_there`, `unit/test_not_there.py`, `golden/infra/not-there` |")
    assert _problems_in_row(row) == [
        "::test_not_there: no test test_not_there in unit/test_features_doc.py",
        "unit/test_not_there.py: no such test file",
        "golden/infra/not-there: no such golden case",
    ]
