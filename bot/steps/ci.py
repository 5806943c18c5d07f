"""CI/CD setup pipeline steps: thin adapters from pipeline inputs to generators/ci and friends."""

from __future__ import annotations

import datetime
import re
from typing import Any

from bot.errors import UserError
from bot.registry import StepContext
from bot.registry import step_type
from bot.templating import markdown_code
from generators.analysis.model import Analysis
from generators.ci.deploy import deployment_stage
from generators.ci.design import design_pipeline
from generators.ci.design import optimization_points
from generators.ci.package import github_actions_files
from generators.ci.platforms import RENDERERS
from generators.ci.platforms import available_platforms
from generators.ci.security import security_report
from generators.ci.sharding import MAX_SHARDS
from generators.ci.security import security_stage
from generators.ci.stages import build_stage
from generators.ci.stages import test_stage
from generators.docs_ci import pipeline_docs
from generators.pr_body import pull_request

DEFAULT_WORKFLOW = ".github/workflows/ci.yml"
ALTERNATE_WORKFLOW = ".github/workflows/devops-bot-ci.yml"


def today(ctx: StepContext) -> str:
    """The generation date: from the run when given (tests, replays), else the current date."""
    return str(ctx.extras.get("today") or datetime.date.today().isoformat())


def _design(inputs: dict[str, Any], key: str = "design") -> dict[str, Any]:
    design = inputs.get(key)
    if not isinstance(design, dict) or "units" not in design:
        raise UserError("The pipeline design is missing; the design_pipeline_architecture step must run first.")
    return design


@step_type("project_analyzer")
def project_analyzer(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Analyse the repository at `path`."""
    from generators.analysis import analyze
    from generators.analysis import summary

    analysis = analyze(ctx.open_tree(inputs["path"]))
    return {
        "project_analysis": analysis.to_dict(),
        "technology_stack": summary.technology_stack(analysis),
        "project_structure": summary.project_structure(analysis),
    }


# Directory paths and the branch go into `run:` lines, `cd`, Groovy strings and `${{ }}` expressions of every
# platform; names made of these characters need no quoting anywhere, so nothing in them can be code.
_SAFE_PATH = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9._-]*)(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
_SAFE_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")


def unsafe_names(analysis: Analysis, default_branch: str) -> list[str]:
    """The unit directories and default branch (as code spans) that generated CI files must not carry."""
    found = [f"directory {markdown_code(unit.path)}" for unit in analysis.units
             if unit.path and (not _SAFE_PATH.fullmatch(unit.path) or ".." in unit.path.split("/"))]
    if not _SAFE_BRANCH.fullmatch(default_branch) or ".." in default_branch:
        found.append(f"default branch {markdown_code(default_branch)}")
    return found


@step_type("pipeline_architect")
def pipeline_architect(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Design the pipeline from the analysis and the requested options."""
    analysis = Analysis.from_dict(inputs["project"])
    if not analysis.units:
        raise UserError("No buildable project was found, so there is nothing to build a pipeline for. Supported: "
                        "Python (pip, Poetry, uv, Pipenv, PDM, Hatch), Node.js (npm, Yarn, pnpm, bun), Go, Rust "
                        "(Cargo), Java/Kotlin (Maven, Gradle), .NET (sln/csproj), Ruby (Bundler), PHP (Composer), "
                        "Elixir (mix) and Hugo sites.")
    default_branch = str(ctx.extras.get("default_branch") or "main")
    unsafe = unsafe_names(analysis, default_branch)
    if unsafe:
        raise UserError("These names cannot be written safely into CI files, where `$`, quotes, braces, spaces "
                        "and `;` would be read as shell or expression syntax: " + ", ".join(unsafe) +
                        ". Rename them to letters, digits, `.`, `_`, `-` and `/` and ask again.")
    shards = inputs.get("test_shards")
    if shards in (None, ""):
        shards = 1
    if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
        raise UserError(f"test_shards must be a whole number from 1 to {MAX_SHARDS}, not {shards!r}.")
    existing = {fact.evidence.file for fact in analysis.existing_ci}
    platform = str(inputs.get("platform") or "github_actions")
    # An unregistered platform is refused by create_pipeline_config, with the list of available ones.
    chosen = RENDERERS.get(platform) or RENDERERS["github_actions"]
    workflow_path = chosen.alternate_path if chosen.config_path in existing else chosen.config_path
    design = design_pipeline(
        analysis,
        platform=platform,
        project_type=inputs.get("project_type") or None,
        targets=list(inputs.get("targets") or []),
        branching=str(inputs.get("branching") or "github_flow"),
        quality_gates=dict(inputs.get("quality_gates") or {}),
        today=today(ctx),
        default_branch=default_branch,
        workflow_path=workflow_path,
        test_shards=shards,
    )
    return {
        "pipeline_design": design,
        "stage_dependencies": design["stage_dependencies"],
        "optimization_points": optimization_points(design),
    }


@step_type("build_stage_generator")
def build_stage_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Lint, build and container jobs with their cache and artifact plan."""
    build = build_stage(_design(inputs))
    return {"build_configuration": build, "cache_strategy": build["cache_strategy"],
            "artifact_definitions": build["artifacts"]}


@step_type("test_stage_generator")
def test_stage_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Gated test jobs; the coverage threshold input overrides the design's."""
    design = _design(inputs)
    threshold = inputs.get("coverage_threshold")
    if threshold not in (None, ""):
        try:
            value = float(threshold)
        except (TypeError, ValueError):
            raise UserError(f"test_coverage_threshold must be a number from 0 to 100, not {threshold!r}.") from None
        if not 0 <= value <= 100:
            raise UserError(f"test_coverage_threshold must be from 0 to 100, not {threshold}.")
        design = {**design, "quality_gates": {**design["quality_gates"], "test_coverage_threshold": int(value)}}
    test = test_stage(design)
    return {"test_configuration": test, "parallel_jobs": test["parallel_jobs"], "coverage_config": test["coverage"]}


@step_type("security_stage_generator")
def security_stage_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """CodeQL, dependency review, semgrep and the container scan policy."""
    security = security_stage(_design(inputs), str(config.get("fail_on_severity") or "high"))
    return {"security_configuration": security, "scan_policies": security["scan_policies"],
            "compliance_checks": security["compliance_checks"]}


@step_type("deployment_stage_generator")
def deployment_stage_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """One deploy job per environment; empty when no targets were asked for."""
    targets = list(inputs.get("targets") or [])
    if not targets:
        return {"deployment_configuration": {}, "environment_configs": [], "rollback_procedures": []}
    deployment = deployment_stage(_design(inputs), targets)
    return {"deployment_configuration": deployment, "environment_configs": deployment["environments"],
            "rollback_procedures": deployment["rollback_procedures"]}


@step_type("pipeline_config_generator")
def pipeline_config_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Render the pipeline for the chosen CI platform."""
    platform = str(inputs.get("platform") or "")
    if platform not in RENDERERS:
        raise UserError(f"CI platform {platform!r} is not available yet; available now: "
                        f"{', '.join(available_platforms())}.")
    result = RENDERERS[platform](_design(inputs), inputs.get("build") or {}, inputs.get("test") or {},
                                 inputs.get("security") or None, inputs.get("deployment") or None)
    return {"pipeline_config_files": result["files"], "environment_variables": result["variables"],
            "secrets_requirements": result["secrets"]}


@step_type("iac_generator")
def iac_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Terraform for the CI's registry, artifact storage and OIDC identity on the deployment targets' clouds."""
    from generators.iac_ci import infrastructure_code

    design = inputs.get("design") or {}
    repository = ctx.extras.get("repository")
    result = infrastructure_code(list(inputs.get("deployment_targets") or []), str(repository) if repository else None,
                                 str(design.get("default_branch") or ctx.extras.get("default_branch") or "main"),
                                 requested=bool(inputs.get("requested")),
                                 platform=str(design.get("platform") or "github_actions"),
                                 branching=str(design.get("branching") or "github_flow"))
    return {"infrastructure_code": result["files"], "tfvars_templates": result["tfvars_templates"],
            "deployment_scripts": result["deployment_scripts"]}


@step_type("dashboard_generator")
def dashboard_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Grafana dashboard (build, coverage, DORA) and Prometheus alert rules over the platform's CI exporter."""
    from generators.dashboards import quality_dashboards

    design = _design(inputs, "pipeline")
    gates = {**design["quality_gates"], **(inputs.get("metrics") or {})}
    result = quality_dashboards({**design, "quality_gates": gates})
    return {"dashboard_configs": result["files"], "metric_queries": result["metric_queries"],
            "alert_rules": result["alert_rules"]}


@step_type("pipeline_doc_generator")
def pipeline_doc_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """docs/ci-cd.md with the job diagram."""
    design = _design(inputs, "architecture")
    files = inputs.get("pipeline") or {}
    jobs = _jobs(design)
    docs = pipeline_docs(design, jobs, _security(design), design["workflow_path"],
                         infrastructure=list(inputs.get("infrastructure") or {}))
    from generators.docs_ci import mermaid

    return {"pipeline_documentation": docs, "runbooks": {"rollback": _rollback_runbook(design)},
            "architecture_diagrams": {"jobs": mermaid(jobs), "files": sorted(files)}}


def _security(design: dict[str, Any]) -> dict[str, Any] | None:
    if not design["quality_gates"].get("security_scan_required", True):
        return None
    return security_stage(design)


def _jobs(design: dict[str, Any]) -> list[dict[str, Any]]:
    result = github_actions_files(design, build_stage(design), test_stage(design), _security(design),
                                  deployment_stage(design, design["targets"]))
    return result["jobs"]


def _rollback_runbook(design: dict[str, Any]) -> str:
    from generators.ci.deploy import rollback_runbook

    return rollback_runbook(deployment_stage(design, design["targets"]))


@step_type("ci_package_assembler")
def ci_package_assembler(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """All files, the pull request text and the security report."""
    design = _design(inputs)
    analysis = Analysis.from_dict(inputs["analysis"])
    files: dict[str, str] = {}
    for group in ("pipeline_files", "documentation", "infrastructure", "dashboards"):
        files.update({str(k): str(v) for k, v in (inputs.get(group) or {}).items()})
    security = inputs.get("security") or None
    dockerfile_notes = _notes(design) + list((inputs.get("dashboard_queries") or {}).get("notes") or [])
    guide = pull_request(analysis, design, files, security, dockerfile_notes)
    return {
        "ci_cd_package": {"files": dict(sorted(files.items()))},
        "implementation_guide": guide,
        "security_report": security_report(security, design["platform"]),
    }


def _notes(design: dict[str, Any]) -> list[str]:
    from generators.ci.design import units_of
    from generators.docker import dockerfile

    notes = []
    for unit, analysed in units_of(design):
        if unit["generate_dockerfile"]:
            _, note = dockerfile(analysed, unit["runtime"]["version"])
            notes.append(f"{unit['name']}: generated {unit['dockerfile']}; {note}")
    return notes
