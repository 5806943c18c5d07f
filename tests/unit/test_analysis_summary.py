"""The technology_stack and project_structure outputs, and the text report."""

from __future__ import annotations

from pathlib import Path

from bot.trees import LocalTree
from generators.analysis import analyze
from generators.analysis.report import to_text
from generators.analysis.summary import project_structure
from generators.analysis.summary import technology_stack

REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"


def test_technology_stack_of_a_monorepo_spans_every_unit() -> None:
    stack = technology_stack(analyze(LocalTree(REPOS / "monorepo-py-node")))
    assert stack["languages"] == ["node", "python"]
    assert stack["package_managers"] == ["npm", "pip", "uv"]
    assert stack["frameworks"] == ["fastapi", "next", "react"]
    assert stack["test_frameworks"] == ["jest", "pytest"]
    assert [unit["name"] for unit in stack["units"]] == ["shared", "api", "web"]
    assert stack["units"][1]["test_command"] == "pytest"


def test_project_structure_names_the_monorepo_units_and_shared_libraries() -> None:
    structure = project_structure(analyze(LocalTree(REPOS / "monorepo-py-node")))
    assert structure["monorepo"] == "services"
    assert structure["unit_paths"] == ["libs/shared", "services/api", "services/web"]
    assert structure["shared_libraries"] == ["libs/shared"]
    api = next(unit for unit in structure["units"] if unit["name"] == "api")
    assert api["uses_paths"] == ["libs/shared"] and api["port"] == 8000


def test_text_report_cites_evidence_ambiguities_and_existing_ci() -> None:
    report = to_text(analyze(LocalTree(REPOS / "two-lockfiles")))
    assert "package_manager = npm  (package-lock.json: package-lock.json present)" in report
    assert "chose npm (package-lock.json)" in report
    existing = to_text(analyze(LocalTree(REPOS / "existing-ci")))
    assert "existing_ci = gitlab_ci  (.gitlab-ci.yml: .gitlab-ci.yml present)" in existing


def test_text_report_is_byte_identical_across_runs() -> None:
    first = to_text(analyze(LocalTree(REPOS / "needs-database")))
    assert first == to_text(analyze(LocalTree(REPOS / "needs-database")))
    assert "needs: postgres, redis" in first
