"""What the onboarding pull request holds: `.devops.yml`, CI when there is none, and its body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import messages
from bot.errors import UserError
from bot.templating import render
from generators.analysis import analyze
from generators.analysis.model import Analysis
from generators.analysis.model import Unit
from generators.devops_config import devops_yml

CONFIG_PATH = ".devops.yml"
MAX_EVIDENCE = 4  # per unit in the table; the rest is in .devops.yml's comments and the CI pull request


def onboarding_files(repository: str, tree: Any, head_sha: str, default_branch: str, job_deps: Any,
                     run_pipeline: Callable[..., Any]) -> tuple[dict[str, str], str]:
    """({path: text}, pull request body) for one commit of a repository."""
    analysis = analyze(tree)
    inputs: dict[str, Any] = {"ci_platform": messages.DEFAULT_PLATFORM}
    ci_files: dict[str, str] = {}
    ci_note: str | None = None
    if analysis.existing_ci:
        ci_note = None
    elif not analysis.units:
        ci_note = messages.onboarding_no_ci_without_units()
    else:
        try:
            run = run_pipeline(repository, tree, head_sha, default_branch, {}, job_deps)
        except UserError as error:
            ci_note = messages.onboarding_ci_not_generated(str(error))
        else:
            ci_files = dict(run.outputs["ci_cd_package"]["files"])
    files = {CONFIG_PATH: config_text(analysis, inputs, job_deps.schema_url), **ci_files}
    body = render(
        "messages/onboarding_pr.md.j2",
        repository=repository,
        units=[_unit_row(analysis, unit) for unit in analysis.units],
        existing_ci=sorted({fact.evidence.file for fact in analysis.existing_ci}),
        ci_note=ci_note,
        files=[{"path": path, "why": _why(path)} for path in sorted(files)],
        commands=messages.command_lines(),
    )
    return files, body


def config_text(analysis: Analysis, inputs: dict[str, Any], schema_url: str | None = None) -> str:
    """`.devops.yml` filled with what was detected, pointing editors at the bot's schema."""
    return devops_yml(analysis, inputs, schema_url=schema_url)


def _unit_row(analysis: Analysis, unit: Unit) -> dict[str, Any]:
    rules: dict[str, list[str]] = {}
    for fact in analysis.facts:
        if fact.unit != unit.path or not fact.evidence.file:
            continue
        if fact.kind in ("language", "package_manager", "test_framework", "runtime_version", "framework"):
            listed = rules.setdefault(fact.evidence.file, [])
            if fact.evidence.rule not in listed:
                listed.append(fact.evidence.rule)
    evidence = [{"file": path, "rules": found} for path, found in sorted(rules.items())]
    return {
        "name": unit.name,
        "path": unit.path,
        "language": unit.language,
        "version": unit.runtime_version.value if unit.runtime_version else None,
        "package_manager": unit.package_manager,
        "test_framework": unit.test_framework,
        "evidence": evidence[:MAX_EVIDENCE] or [{"file": unit.manifest, "rules": ["manifest"]}],
    }


def _why(path: str) -> str:
    if path == CONFIG_PATH:
        return messages.onboarding_why_config()
    return messages.onboarding_why_ci(path)
