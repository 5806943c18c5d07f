"""Helpers for the CI generator tests: run the CI/CD pipeline on a fixture repository or a hand-built analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.engine import run_pipeline
from bot.registry import StepContext
from bot.trees import LocalTree
from generators.analysis.model import Analysis
from generators.analysis.model import RuntimeVersion
from generators.analysis.model import Unit
from generators.ci.package import github_actions_files
from generators.ci.deploy import deployment_stage
from generators.ci.design import design_pipeline
from generators.ci.security import security_stage
from generators.ci.stages import build_stage
from generators.ci.stages import test_stage

ROOT = Path(__file__).resolve().parents[2]
REPOS = ROOT / "tests" / "fixtures" / "repos"
TODAY = "2026-09-01"


def run_on_fixture(case: str, **inputs: Any) -> dict[str, Any]:
    """The pipeline's outputs for a fixture repository, generated on a fixed date."""
    ctx = StepContext(open_tree=lambda path: LocalTree(Path(path)), extras={"today": TODAY})
    values = {"project_path": str(REPOS / case), "ci_platform": "github_actions", **inputs}
    return run_pipeline("ci_cd_setup", values, ctx).outputs


def python_unit(**overrides: Any) -> Unit:
    """A poetry service with pytest, ruff and a .python-version file."""
    values: dict[str, Any] = dict(
        name="root", path="", language="python", package_manager="poetry", manifest="pyproject.toml",
        lockfile="poetry.lock", runtime_version=RuntimeVersion("3.12", ".python-version"), frameworks=["fastapi"],
        test_framework="pytest", test_command="poetry run pytest", lint_tools=["ruff"], is_service=True,
    )
    values.update(overrides)
    return Unit(**values)


def generate(analysis: Analysis, targets: list[dict[str, Any]] | None = None, **options: Any) -> dict[str, Any]:
    """Design and render a hand-built analysis the way the pipeline steps do."""
    design = design_pipeline(
        analysis, platform="github_actions", project_type=options.get("project_type"), targets=targets or [],
        branching=options.get("branching", "github_flow"), quality_gates=options.get("quality_gates", {}),
        today=options.get("today", TODAY),
    )
    security = security_stage(design) if options.get("security", True) else None
    result = github_actions_files(design, build_stage(design), test_stage(design), security,
                                  deployment_stage(design, targets or []))
    result["design"] = design
    return result
