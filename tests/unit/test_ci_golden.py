"""Golden files for the CI/CD pipeline on the fixture repositories; `pytest --update-golden` rewrites them."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ci_support import ROOT
from ci_support import run_on_fixture

GOLDEN = ROOT / "tests" / "golden" / "ci"
CASES = ["python-pip", "python-poetry", "python-uv", "node-npm", "node-pnpm", "node-yarn", "go", "monorepo-py-node",
         "needs-database", "no-tests"]
PR_BODY = "PULL_REQUEST.md"


def produced(case: str) -> dict[str, str]:
    outputs = run_on_fixture(case)
    files = dict(outputs["ci_cd_package"]["files"])
    guide = outputs["implementation_guide"]
    files[PR_BODY] = f"# {guide['title']}\n\n{guide['body']}"
    return files


def expected(case: str) -> dict[str, str]:
    root = GOLDEN / case / "expected"
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_generated_files_match_the_golden_files(case: str, update_golden: bool) -> None:
    files = produced(case)
    if update_golden:
        root = GOLDEN / case / "expected"
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    assert files == expected(case)


@pytest.mark.parametrize("case", CASES)
def test_generating_twice_gives_identical_bytes_and_yaml_parses_back(case: str) -> None:
    first, second = produced(case), produced(case)
    assert first == second
    for path, text in first.items():
        if path.endswith((".yml", ".yaml")):
            assert isinstance(YAML(typ="safe").load(text), dict), path
