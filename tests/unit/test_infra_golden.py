"""Golden files for the infrastructure pipeline; `pytest --update-golden` rewrites them."""

from __future__ import annotations

import pytest

from infra_support import GOLDEN
from infra_support import case_inputs
from infra_support import produced

CASES = sorted(path.name for path in GOLDEN.iterdir() if (path / "input.yml").exists())


def expected(case: str) -> dict[str, str]:
    root = GOLDEN / case / "expected"
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_generated_infrastructure_matches_the_golden_files(case: str, update_golden: bool) -> None:
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
def test_generating_twice_gives_identical_bytes(case: str) -> None:
    assert produced(case) == produced(case)


def test_there_are_ten_aws_three_gcp_and_three_azure_golden_cases() -> None:
    clouds = [case_inputs(case)["inputs"].get("cloud_provider", "aws") for case in CASES]
    assert (clouds.count("aws"), clouds.count("gcp"), clouds.count("azure")) == (10, 3, 3)
