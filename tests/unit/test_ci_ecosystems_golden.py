"""Golden files and validators for the ecosystems beyond Python, Node.js and Go; `pytest --update-golden` rewrites them."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from test_ci_golden import GOLDEN
from test_ci_golden import expected
from test_ci_golden import produced

CASES = ["rust-cargo", "rust-workspace", "java-maven", "java-gradle-multi", "dotnet", "ruby-rails", "php-laravel",
         "elixir-phoenix", "hugo-site", "python-pdm", "python-hatch-tox", "node-bun", "node-playwright",
         "node-nx-angular", "node-lerna-vue-astro", "ruby-sinatra-jekyll", "php-symfony-pest", "python-nox"]


@pytest.mark.parametrize("case", CASES)
def test_generated_files_for_each_new_ecosystem_match_the_golden_files(case: str, update_golden: bool) -> None:
    files = produced(case)
    root: Path = GOLDEN / case / "expected"
    if update_golden:
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    assert files == expected(case)


@pytest.mark.parametrize("case", CASES)
def test_generating_twice_for_each_new_ecosystem_gives_identical_bytes(case: str) -> None:
    first, second = produced(case), produced(case)
    assert first == second
    for path, text in first.items():
        if path.endswith((".yml", ".yaml")):
            assert isinstance(YAML(typ="safe").load(text), dict), path
