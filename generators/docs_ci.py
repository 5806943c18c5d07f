"""docs/ci-cd.md: how the generated pipeline works, how to set it up, and what to do when it fails."""

from __future__ import annotations

import re
from typing import Any

from bot.templating import TEMPLATES_DIR
from bot.templating import markdown_code
from bot.templating import markdown_text
from bot.templating import render
from generators.ci.oidc_issuers import deploy_trust
from generators.ci.report import collect

_UNSAFE_LABEL = re.compile(r"[^A-Za-z0-9 ._()/-]")


def mermaid(jobs: list[dict[str, Any]]) -> str:
    """A flowchart of jobs and their `needs`; labels are reduced to safe characters."""
    ids = {job["id"]: f"j{index}" for index, job in enumerate(jobs)}
    lines = ["flowchart LR"]
    for job in jobs:
        lines.append(f'  {ids[job["id"]]}["{_UNSAFE_LABEL.sub("", job["name"])}"]')
    for job in jobs:
        for need in job.get("needs", []):
            if need in ids:
                lines.append(f"  {ids[need]} --> {ids[job['id']]}")
    return "\n".join(lines)


def runs_when(job: dict[str, Any], design: dict[str, Any]) -> str:
    """When a job runs, in words (Markdown, names escaped)."""
    when = job.get("when") or {}
    if when.get("push_to_default"):
        return f"push to {markdown_code(design['default_branch'])}"
    if when.get("event") == "pull_request":
        return "pull requests"
    if when.get("changed") and design["path_filters"]:
        return f"{markdown_text(when['changed'])} or its shared code changed"
    return "every run"


def pipeline_docs(design: dict[str, Any], jobs: list[dict[str, Any]], security: dict[str, Any] | None,
                  workflow_path: str, infrastructure: list[str] | None = None) -> dict[str, str]:
    """The documentation file, keyed by its path; `infrastructure` lists the CI infrastructure files generated."""
    from generators.iac_ci import ci_infrastructure

    platform = str(design.get("platform") or "github_actions")

    report = collect(design, security)
    text = render(
        "ci/ci-cd.md.j2",
        design=design,
        jobs=[{**job, "runs_when": runs_when(job, design)} for job in jobs],
        diagram=mermaid(jobs),
        report=report,
        workflow_path=workflow_path,
        branches=design["branches"]["push"],
        platform_doc=platform_doc(design),
        split_units=[str(job["unit"]) for job in jobs if job.get("coverage_gate")],
        ci_infrastructure=ci_infrastructure(platform, infrastructure or []),
        deploy_trust=deploy_trust(platform),
    )
    return {"docs/ci-cd.md": text}


def platform_doc(design: dict[str, Any]) -> str:
    """The template with the platform's own setup, security and troubleshooting notes, or "" when it has none."""
    name = f"ci/platform/{design.get('platform') or 'github_actions'}.md.j2"
    return name if (TEMPLATES_DIR / name).is_file() else ""
