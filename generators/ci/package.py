"""Everything the GitHub Actions pipeline consists of: workflow, Dockerfiles, dependabot; plus what it needs."""

from __future__ import annotations

from typing import Any

from generators.ci.assemble import assemble_jobs
from generators.ci.companions import companion_files
from generators.ci.github import render_workflow


def github_actions_files(
    design: dict[str, Any],
    build: dict[str, Any],
    test: dict[str, Any],
    security: dict[str, Any] | None,
    deployment: dict[str, Any] | None,
) -> dict[str, Any]:
    """{"files", "jobs", "variables", "secrets", "notes"} for the GitHub Actions platform."""
    jobs = assemble_jobs(design, build, test, security, deployment)
    result = companion_files(design, security, {design["workflow_path"]: render_workflow(design, jobs)})
    return {**result, "jobs": jobs}
