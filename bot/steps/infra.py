"""Infrastructure pipeline steps (pipelines/infrastructure.yml): thin adapters to generators/infra."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.errors import InputError
from bot.errors import UserError
from bot.registry import StepContext
from bot.registry import step_type
from generators.infra import requirements as found
from generators.infra.clouds import cloud
from generators.infra.clouds import output
from generators.infra.clouds import for_design
from generators.infra.model import InfraDesign

HEADING = "The infrastructure request has problems:"


def _design(inputs: dict[str, Any], key: str = "design") -> InfraDesign:
    data = inputs.get(key)
    if not isinstance(data, dict) or "environments" not in data:
        raise UserError("The architecture design is missing; the design_architecture step must run first.")
    return InfraDesign.from_dict(data)


def _manifests(ctx: StepContext, path: str, analysis: Any) -> dict[str, str]:
    """Manifest texts of the units: where object-storage clients are declared."""
    wanted = sorted({unit.manifest for unit in analysis.units})
    return ctx.open_tree(path).read(wanted) if wanted else {}


@step_type("requirements_analyzer")
def requirements_analyzer(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Check the request, then requirements from the input or .devops.yml, else from the project analysis."""
    from generators.analysis.model import Analysis
    from generators.infra.compliance import mapping
    from generators.infra.validate import compute_problems
    from generators.infra.validate import iac_problems
    from generators.infra.validate import region_problems
    from generators.infra.validate import request_problems

    budget = dict(inputs.get("budget") or {})
    problems = request_problems(inputs.get("cloud"), inputs.get("environment"), inputs.get("compliance"), budget)
    written = found.from_input(dict(inputs.get("app_requirements") or {}),
                               str(inputs.get("app_requirements_source") or "input"))
    analysis = Analysis.from_dict(inputs["analysis"])
    merged = found.merge(written, found.from_analysis(analysis, _manifests(ctx, str(inputs["path"]), analysis)))
    summary = found.summarise(merged)
    iac_tool = str(inputs.get("iac_tool") or "terraform")
    problems += iac_problems(inputs.get("cloud"), iac_tool)
    problems += region_problems(inputs.get("cloud"), inputs.get("region"))
    asked = summary["orchestrator"] if summary["orchestrator_written"] else None
    problems += compute_problems(summary["compute"], inputs.get("cloud"), iac_tool, asked)
    if problems:
        raise InputError(problems, heading=HEADING)
    where = cloud(str(inputs["cloud"]))
    summary = found.settle_orchestrator(summary, output(where.name, iac_tool).choices(summary["compute"]))
    controls = {name: [control["id"] for control in mapping(where.name)[name]["controls"]]
                for name in sorted(inputs.get("compliance") or [])}
    prices = where.price_table()
    return {"infrastructure_requirements": summary, "compliance_controls": controls,
            "cost_estimates": {"source": prices["source"], "as_of": prices["as_of"],
                               "monthly_limit": budget.get("monthly_limit"),
                               "optimization_priority": budget.get("optimization_priority") or "balanced"}}


@step_type("cloud_architect")
def cloud_architect(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The InfraDesign: every environment's sizes, chosen by the optimization priority."""
    from generators.infra.design import design_infrastructure

    design = design_infrastructure(inputs["requirements"], cloud=str(inputs["provider"]),
                                   environment=str(inputs["environment"]),
                                   compliance=list(inputs.get("compliance") or []),
                                   budget=dict(inputs.get("budget") or {}),
                                   repository=ctx.extras.get("repository"), region=inputs.get("region") or None)
    design = replace(design, iac_tool=str(inputs.get("iac_tool") or "terraform"))
    data = design.to_dict()
    return {"architecture_design": data,
            "service_selection": {"compute": design.orchestrator, "databases": design.databases,
                                  "caches": design.caches, "queues": design.queues,
                                  "object_storage": design.object_storage, "modules": design.modules},
            "network_topology": {env.name: {"cidr": env.cidr, "zones": env.sizing.availability_zones,
                                            "nat_gateways": env.sizing.nat_gateways,
                                            "tiers": ["public", "private", "database"]}
                                 for env in design.environments}}


def _module(design: InfraDesign, name: str) -> dict[str, str]:
    return for_design(design).module_files(design, name)


@step_type("network_iac_generator")
def network_iac_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """modules/network: VPC, subnets per tier and zone, NAT, NACLs and security groups, endpoints, ALB, WAF, DNS."""
    design = _design(inputs)
    return {"network_iac": _module(design, "network"),
            "security_rules": cloud(design.cloud).summary("security_rules", design),
            "dns_configuration": {"public_zone": design.public, "private_zone": f"{design.name}.internal"}}


@step_type("compute_iac_generator")
def compute_iac_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """modules/compute: the orchestrator's services, images, roles and scaling."""
    from generators.infra.terraform_aws import compute_summary

    design = _design(inputs)
    scaling, placement = compute_summary(design)
    return {"compute_iac": _module(design, "compute"), "scaling_policies": scaling,
            "placement_strategies": placement}


@step_type("data_iac_generator")
def data_iac_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """modules/data: the database, cache, bucket and queues the requirements name."""
    design = _design(inputs)
    files = _module(design, "data")
    return {"storage_iac": {path: text for path, text in files.items()},
            "database_iac": {"engines": design.databases, "caches": design.caches},
            "backup_configuration": {env.name: {"retention_days": env.sizing.backup_retention_days,
                                                "multi_az": env.sizing.multi_az} for env in design.environments}}


@step_type("security_iac_generator")
def security_iac_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """modules/security: KMS, CloudTrail, Config rules, GuardDuty, Security Hub, Access Analyzer, the app secret."""
    design = _design(inputs, "architecture")
    return {"security_iac": _module(design, "security"),
            "iam_policies": cloud(design.cloud).summary("iam_policies", design),
            "compliance_config": {"config_rules": cloud(design.cloud).summary("policy_rules", design),
                                  "frameworks": sorted(inputs.get("compliance") or {})}}


@step_type("observability_iac_generator")
def observability_iac_generator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """modules/observability: alarms, the monthly budget, cost allocation tags."""
    design = _design(inputs, "architecture")
    return {"observability_iac": _module(design, "observability"),
            "tagging_strategy": {"default_tags": design.tags, "cost_allocation": ["project", "environment",
                                                                                  "cost-center"]},
            "automation_rules": cloud(design.cloud).summary("automation_rules", design)}


@step_type("cost_optimizer")
def cost_optimizer(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Price the design, check the budget, and write every environment with its budget alert."""
    from generators.infra.package import infrastructure_package

    design = _design(inputs)
    package = infrastructure_package(design)
    return {"optimized_iac": package["files"], "cost_report": package["cost"],
            "savings_recommendations": package["cost"]["recommendations"]}


@step_type("iac_validator")
def iac_validator(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Run the validators that are installed here on the generated Terraform; a failed one stops the run."""
    from bot.iac_checks import TOOLS
    from bot.iac_checks import check_terraform
    from generators.infra.package import checkov_skips

    files = dict(inputs.get("iac_code") or {})
    design = _design(inputs, "design")
    where = for_design(design)
    skips = {section: list(checks)
             for section, checks in checkov_skips(where.name, design.orchestrator, where.iac_tool).items()}
    if where.iac_tool == "cloudformation":
        from bot.cfn_checks import TOOLS as CFN_TOOLS
        from bot.cfn_checks import check_cloudformation

        results = check_cloudformation(files, where.root, skips, tools=ctx.extras.get("iac_check_tools") or CFN_TOOLS)
    else:
        tools = ctx.extras.get("iac_check_tools") or config.get("tools") or list(TOOLS)
        results = check_terraform(files, where.root, skips, tools=tools)
    failed = [result for result in results if result.status == "failed"]
    if failed:
        raise UserError(f"The generated {where.iac_title} did not pass its checks, so no pull request was opened:\n"
                        + "\n".join(f"- {r.name}: {'; '.join(r.findings)[:500]}" for r in failed))
    from generators.infra.compliance import compliance_controls

    gaps = {name: framework["gaps"] for name, framework in compliance_controls(_design(inputs)).items()}
    return {"validation_report": [result.to_dict() for result in results],
            "security_findings": [], "compliance_gaps": gaps}


@step_type("deployment_packager")
def deployment_packager(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The files, the pull request text and the pipeline-level reports."""
    from generators.analysis.model import Analysis
    from generators.infra.ci import infrastructure_ci
    from generators.infra.compliance import compliance_controls
    from generators.infra.package import BRANCH
    from generators.infra.package import pull_request

    design = _design(inputs)
    files = dict(inputs.get("iac") or {})
    analysis = Analysis.from_dict(inputs["analysis"])
    where = for_design(design)
    root = where.root
    existing = [(fact.value, fact.evidence.file) for fact in analysis.existing_ci]
    branch = str(ctx.extras.get("default_branch") or "main")

    def read(path: str) -> str | None:
        return ctx.open_tree(str(inputs["path"])).read([path]).get(path)

    if where.iac_tool == "cloudformation":
        from generators.infra.ci_cloudformation import cloudformation_ci

        ci = cloudformation_ci(design, root=root, existing_ci=existing, default_branch=branch, read=read)
    else:
        ci = infrastructure_ci(design, cloud=design.cloud, root=root, existing_ci=existing, default_branch=branch,
                               read=read)
    files.update(ci.files)

    package = {"files": files, "cost": inputs["cost"], "compliance": compliance_controls(design)}
    checks = [{"name": check["name"], "status": check["status"], "detail": check["detail"]}
              for check in inputs.get("validation") or []]
    pr = pull_request(design, package, checks, ci.setup)
    return {
        "deployment_package": {"root": root, "makefile": f"{root}/Makefile"},
        "environment_configs": {env.name: f"{root}/{where.environment_file.format(environment=env.name)}"
                                for env in design.environments},
        "ci_templates": ci.files,
        "infrastructure_package": {"files": files, "pull_request": pr, "branch": BRANCH},
        "cost_analysis": inputs["cost"],
        "security_assessment": {"compliance": package["compliance"], "checks": checks},
    }
