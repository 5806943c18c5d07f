"""Everything the GitHub Actions pipeline consists of: workflow, Dockerfiles, dependabot; plus what it needs."""

from __future__ import annotations

from typing import Any

from generators.ci.assemble import assemble_jobs
from generators.ci.design import units_of
from generators.ci.github import render_workflow
from generators.ci.report import collect
from generators.dependabot import dependabot_config
from generators.docker import dockerfile

AVAILABLE_PLATFORMS = ["github_actions"]


def github_actions_files(
    design: dict[str, Any],
    build: dict[str, Any],
    test: dict[str, Any],
    security: dict[str, Any] | None,
    deployment: dict[str, Any] | None,
) -> dict[str, Any]:
    """{"files", "jobs", "variables", "secrets", "notes"} for the GitHub Actions platform."""
    jobs = assemble_jobs(design, build, test, security, deployment)
    files = {design["workflow_path"]: render_workflow(design, jobs)}
    notes: list[str] = []
    for unit, analysed in units_of(design):
        if unit["generate_dockerfile"]:
            generated, note = dockerfile(analysed, unit["runtime"]["version"])
            files.update(generated)
            notes.append(f"{unit['name']}: generated {unit['dockerfile']}; {note}")
    files.update(dependabot_config(design))
    report = collect(design, security)
    return {
        "files": dict(sorted(files.items())),
        "jobs": jobs,
        "variables": report["variables"],
        "secrets": report["secrets"],
        "notes": notes,
    }
