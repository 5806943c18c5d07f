"""What every non-GitHub renderer returns besides its pipeline file: Dockerfiles, dependabot.yml, requirements."""

from __future__ import annotations

from typing import Any

from generators.ci.companions import companion_files

# Steps that exist only on GitHub (CodeQL, dependency review, SARIF upload to code scanning).
GITHUB_ONLY = {"codeql_init", "codeql_analyze", "dependency_review", "sarif_upload"}


def platform_files(design: dict[str, Any], security: dict[str, Any] | None, pipeline: dict[str, str],
                   jobs: list[dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    """The renderer result shared by the platforms: {"files", "jobs", "variables", "secrets", "notes"}."""
    # The repository lives on GitHub (the bot is a GitHub App), so Dependabot keeps its dependencies current.
    result = companion_files(design, security, pipeline)
    return {**result, "jobs": jobs, "notes": [*notes, *result["notes"]]}


def portable_jobs(jobs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Jobs without GitHub-only steps; jobs left with nothing but a checkout are dropped and named."""
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    for job in jobs:
        steps = [step for step in job["steps"] if step["kind"] not in GITHUB_ONLY]
        if not [step for step in steps if step["kind"] != "checkout"]:
            dropped.append(job["name"])
            continue
        kept.append({**job, "steps": steps})
    ids = {job["id"] for job in kept}
    return [{**job, "needs": [n for n in job.get("needs", []) if n in ids]} for job in kept], dropped
