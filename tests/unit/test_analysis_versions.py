"""Runtime version normalisation for setup-* actions, and range checks."""

from __future__ import annotations

import pytest

from generators.analysis.versions import go_version
from generators.analysis.versions import lower_bound
from generators.analysis.versions import node_version
from generators.analysis.versions import python_version
from generators.analysis.versions import satisfies


@pytest.mark.parametrize(("raw", "expected"), [
    ("3.12", "3.12"), ("3.12.3", "3.12"), ("python-3.11.4", "3.11"), ("pypy3.10", "pypy3.10"), ("3", "3"), ("latest", None),
])
def test_python_versions_are_cut_to_major_minor(raw: str, expected: str | None) -> None:
    assert python_version(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("20", "20"), ("v20.11.1", "20"), ("lts/iron", "lts/iron"), ("lts/*", "lts/*")])
def test_node_versions_are_cut_to_major_and_aliases_kept(raw: str, expected: str) -> None:
    assert node_version(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("1.22", "1.22"), ("1.22.5", "1.22"), ("go1.23.1", "1.23")])
def test_go_versions_are_cut_to_major_minor(raw: str, expected: str) -> None:
    assert go_version(raw) == expected


@pytest.mark.parametrize(("spec", "parts", "expected"), [
    (">=3.11", 2, "3.11"), ("^3.11", 2, "3.11"), ("~=3.10", 2, "3.10"), (">=3.9,<3.13", 2, "3.9"),
    ("<4", 2, None), (">=20.11", 1, "20"), ("^18 || ^20", 1, "18"), ("20.x", 1, "20"),
])
def test_lower_bound_of_a_range(spec: str, parts: int, expected: str | None) -> None:
    assert lower_bound(spec, parts) == expected


@pytest.mark.parametrize(("value", "spec", "expected"), [
    ("3.12", ">=3.11", True), ("3.10", ">=3.11", False), ("3.12", ">=3.9,<3.13", True), ("3.13", ">=3.9,<3.13", False),
    ("3.11", "^3.11", True), ("4.0", "^3.11", False), ("20", ">=22", False), ("20", "^18 || ^20", True),
    ("lts/iron", ">=18", True),
])
def test_satisfies_compares_on_the_components_both_give(value: str, spec: str, expected: bool) -> None:
    assert satisfies(value, spec) is expected
