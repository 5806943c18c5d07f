"""The platform-neutral pipeline design: units, runtimes, triggers, stages and their dependencies."""

from __future__ import annotations

from typing import Any

from generators.analysis.model import Analysis
from generators.analysis.model import RuntimeVersion
from generators.analysis.model import Unit
from generators.ci.runtimes import resolve_runtime

WEB_FRAMEWORKS = {"next", "nuxt", "react", "vue", "svelte", "sveltekit", "angular", "remix", "astro", "vite"}
BRANCHES = {
    "github_flow": ["{default}"],
    "trunk_based": ["{default}"],
    "gitflow": ["{default}", "develop", "release/**", "hotfix/**"],
    "gitlab_flow": ["{default}", "pre-production", "production"],
}
STAGE_DEPENDENCIES = {
    "changes": [],
    "lint": ["changes"],
    "test": ["changes"],
    "build": ["changes"],
    "security": [],
    "package": ["changes"],
    "publish": ["lint", "test", "build", "package"],
    "deploy": ["publish"],
}
DEFAULT_GATES = {"test_coverage_threshold": 80, "security_scan_required": True, "performance_benchmarks": False}


def infer_project_type(analysis: Analysis) -> tuple[str, str]:
    """A project type and the reason, from units, services and frameworks."""
    services = [unit for unit in analysis.units if unit.is_service]
    if len(analysis.units) > 1:
        if analysis.monorepo:
            return "monorepo", f"{len(analysis.units)} units in a {analysis.monorepo} layout"
        return "microservices", f"{len(services)} services with their own manifests"
    for unit in services:
        web = sorted(set(unit.frameworks) & WEB_FRAMEWORKS)
        if web:
            return "web_app", f"{unit.name} uses {', '.join(web)}"
        return "api", f"{unit.name} runs as a service ({', '.join(sorted(unit.frameworks)) or 'server entry point'})"
    return "library", "no unit runs as a long-lived service"


def unit_paths(unit: Unit, workflow_path: str) -> list[str]:
    """Globs whose change means the unit must be rebuilt: its directory, shared code it uses, the workflow."""
    own = f"{unit.path}/**" if unit.path else "**"
    shared = [f"{path.rstrip('/')}/**" for path in sorted(set(unit.uses_paths))]
    return [own, *shared, workflow_path]


def test_extra(analysis: Analysis, unit: Unit) -> str | None:
    """The optional-dependency group that holds a pip project's test tools, read from the analysis evidence."""
    marker = "[project.optional-dependencies] "
    for fact in analysis.facts:
        if fact.unit == unit.path and fact.kind == "test_framework" and marker in fact.evidence.rule:
            return fact.evidence.rule.split(marker, 1)[1].split()[0]
    return None


def _job_suffix(unit: Unit, single: bool) -> str:
    return "" if single else f"-{unit.name}"


def design_pipeline(
    analysis: Analysis,
    *,
    platform: str,
    project_type: str | None,
    targets: list[dict[str, Any]],
    branching: str,
    quality_gates: dict[str, Any],
    today: str,
    default_branch: str = "main",
    workflow_path: str = ".github/workflows/ci.yml",
    test_shards: int = 1,
) -> dict[str, Any]:
    """The whole CI/CD design as plain data; renderers read only this and the stage outputs."""
    if not analysis.units:
        raise ValueError("the analysis found no buildable unit")
    inferred_type, reason = infer_project_type(analysis)
    chosen_type = project_type or inferred_type
    gates = {**DEFAULT_GATES, **{k: v for k, v in (quality_gates or {}).items() if v is not None}}
    single = len(analysis.units) == 1
    notes: list[str] = []
    units = []
    for unit in sorted(analysis.units, key=lambda u: (u.path, u.name)):
        otp = unit.extras.get("otp_version")  # Elixir units name their Erlang/OTP release separately
        runtime = resolve_runtime(unit.language, unit.runtime_version, today,
                                  otp=RuntimeVersion(**otp) if isinstance(otp, dict) else None)
        if runtime.note:
            notes.append(f"{unit.name}: {runtime.note}")
        if unit.language == "go" and "golangci-lint" in unit.lint_tools:
            # golangci/golangci-lint-action is not in the pins table, and its config versions differ.
            notes.append(f"{unit.name}: golangci-lint is configured but CI runs `go vet` only; add golangci-lint "
                         "once its action or version is pinned")
        units.append(
            {
                "name": unit.name,
                "path": unit.path,
                "suffix": _job_suffix(unit, single),
                "language": unit.language,
                "package_manager": unit.package_manager,
                "runtime": runtime.to_dict(),
                "paths": unit_paths(unit, workflow_path),
                "library": chosen_type == "library" or not unit.is_service,
                "service": unit.is_service,
                "dockerfile": unit.dockerfile or (f"{unit.path}/Dockerfile" if unit.path else "Dockerfile"),
                "generate_dockerfile": unit.is_service and not unit.dockerfile,
                "has_tests": bool(unit.test_command or unit.test_framework),
                "has_lint": bool(unit.lint_tools) or unit.language == "go",
                "test_extra": test_extra(analysis, unit) if unit.package_manager == "pip" else None,
            }
        )
    branches = [b.format(default=default_branch) for b in BRANCHES.get(branching, BRANCHES["github_flow"])]
    # A push trigger on release branches marks a workflow as publishing, where shared caches can be poisoned;
    # release and hotfix branches are checked through their pull requests instead.
    push_branches = [b for b in branches if not b.startswith(("release/", "hotfix/"))]
    return {
        "platform": platform,
        "workflow_path": workflow_path,
        "today": today,
        "default_branch": default_branch,
        "branching": branching,
        "branches": {"push": push_branches, "pull_request": branches},
        "project_type": {"value": chosen_type, "source": "input" if project_type else "inferred", "reason": reason},
        "quality_gates": gates,
        "test_shards": test_shards,
        "monorepo": analysis.monorepo,
        "path_filters": not single,
        "units": units,
        "targets": [dict(t) for t in targets or []],
        "stage_dependencies": STAGE_DEPENDENCIES,
        "notes": notes,
        "infrastructure_needs": {
            "container_registry": "ghcr.io" if any(u["service"] for u in units) else None,
            "environments": sorted({str(t.get("environment")) for t in targets or [] if t.get("environment")}),
        },
        "analysis": analysis.to_dict(),
    }


def optimization_points(design: dict[str, Any]) -> list[str]:
    """Why the design is fast and cheap, one line per measure."""
    points = [
        "lint, test, build and security jobs run in parallel; only publishing and deploys wait on them",
        "dependency caches are keyed on each unit's lockfile",
        "superseded pull request runs are cancelled",
    ]
    if design["path_filters"]:
        points.append("each unit's jobs run only when its paths or the shared code it uses change")
    if any(unit["service"] for unit in design["units"]):
        points.append("container builds reuse the GitHub Actions build cache")
    return points


def units_of(design: dict[str, Any]) -> list[tuple[dict[str, Any], Unit]]:
    """Design units paired with their analysed Unit, in design order."""
    analysis = Analysis.from_dict(design["analysis"])
    by_name = {unit.name: unit for unit in analysis.units}
    return [(entry, by_name[entry["name"]]) for entry in design["units"]]
