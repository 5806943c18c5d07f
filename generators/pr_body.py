"""The pull request that proposes the generated CI/CD: title and Markdown body."""

from __future__ import annotations

from typing import Any

from bot.templating import render
from generators.analysis.model import Analysis
from generators.ci.report import collect


def pull_request(
    analysis: Analysis,
    design: dict[str, Any],
    files: dict[str, str],
    security: dict[str, Any] | None,
    extra_notes: list[str] | None = None,
) -> dict[str, str]:
    """{"title", "body"}: what was detected (with evidence), chosen, generated and still to do by hand."""
    from generators.iac_ci import ci_infrastructure

    report = collect(design, security)
    facts = sorted(analysis.facts, key=lambda f: (f.unit, f.kind, f.value, f.evidence.file, f.evidence.rule))
    existing = sorted({(f.value, f.evidence.file) for f in analysis.existing_ci})
    body = render(
        "ci/pr_body.md.j2",
        design=design,
        facts=facts,
        ambiguities=analysis.ambiguities,
        existing=existing,
        files=sorted(files),
        report=report,
        notes=[*report["notes"], *(extra_notes or [])],
        warnings=analysis.warnings,
        platform_label=platform_label(design),
        ci_infrastructure=ci_infrastructure(str(design.get("platform") or "github_actions"), files),
    )
    return {"title": f"Add CI/CD pipeline ({platform_label(design)})", "body": body}


def platform_label(design: dict[str, Any]) -> str:
    """The CI platform's name as people know it."""
    from generators.ci.platforms import RENDERERS

    entry = RENDERERS.get(str(design.get("platform") or "github_actions"))
    return entry.label if entry else "GitHub Actions"
