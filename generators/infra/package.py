"""The whole infrastructure package: Terraform, Makefile, README, .checkov.yaml, docs/compliance.md, the PR text."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.templating import render
from generators.infra import terraform_aws
from generators.infra.compliance import compliance_controls
from generators.infra.cost import estimate
from generators.infra.design import differences
from generators.infra.model import InfraDesign

SKIPS = Path(__file__).resolve().parent.parent / "data" / "infra-checkov-skips.yml"
BRANCH = "devops-bot/infra"
_RESOURCE = re.compile(r'^resource "([a-z0-9_]+)" "([a-z0-9_]+)"', re.MULTILINE)


@lru_cache(maxsize=1)
def checkov_skips() -> dict[str, dict[str, str]]:
    """{"everywhere": {check: reason}, "non_production": {check: reason}} from the reviewed list."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(SKIPS.read_text(encoding="utf-8"))
    return {section: dict(sorted(data[section].items())) for section in ("everywhere", "non_production")}


def _differences_table(design: InfraDesign) -> str:
    return render("infra/differences.md.j2", environments=[env.name for env in design.environments],
                  differences=differences(design)).strip()


def resources_by_module(files: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(module, sorted resource types) from the generated module files."""
    found: dict[str, set[str]] = {}
    for path, text in files.items():
        parts = path.split("/")
        if len(parts) > 3 and parts[2] == "modules" and path.endswith("/main.tf"):
            found.setdefault(parts[3], set()).update(kind for kind, _ in _RESOURCE.findall(text))
    return [(module, sorted(found[module])) for module in sorted(found)]


def terraform_files(design: InfraDesign, alert_budgets: dict[str, float]) -> dict[str, str]:
    """Every Terraform file plus the Makefile, README and .checkov.yaml under infra/aws/."""
    skips = checkov_skips()
    root = terraform_aws.ROOT
    files = {**terraform_aws.module_files(design), **terraform_aws.environment_files(design, alert_budgets),
             **terraform_aws.bootstrap_files(design)}
    files[f"{root}/Makefile"] = render("infra/Makefile.j2", name=design.name,
                                       skips_everywhere=",".join(skips["everywhere"]),
                                       skips_non_production=",".join(skips["non_production"]))
    files[f"{root}/.checkov.yaml"] = render("infra/checkov.yaml.j2", everywhere=list(skips["everywhere"].items()),
                                            non_production=list(skips["non_production"].items()))
    orchestrator = {"ecs": "ECS Fargate", "asg": "EC2 Auto Scaling", "lambda": "Lambda"}[design.orchestrator]
    files[f"{root}/README.md"] = render("infra/README.md.j2", name=design.name, compute=design.compute,
                                        orchestrator_text=orchestrator, modules=design.modules,
                                        lock_table=terraform_aws.lock_table(design),
                                        differences=_differences_table(design))
    return files


def infrastructure_package(design: InfraDesign) -> dict[str, Any]:
    """{"files", "cost", "compliance"}: everything but the PR text, which needs the validation results."""
    cost = estimate(design)
    frameworks = compliance_controls(design)
    files = terraform_files(design, cost["alert_budgets"])
    files["docs/compliance.md"] = render("infra/compliance.md.j2", frameworks=frameworks)
    return {"files": dict(sorted(files.items())), "cost": cost, "compliance": frameworks}


def pull_request(design: InfraDesign, package: dict[str, Any], checks: list[dict[str, str]],
                 workflow: str | None = None, other_ci: list[str] | None = None) -> dict[str, str]:
    """Title and body of the pull request; `workflow` is the CI file added, `other_ci` the platforms found instead."""
    requirements = render("infra/requirements.md.j2", requirements=design.requirements).strip()
    cost = render("infra/cost.md.j2", cost=package["cost"], priority=design.priority,
                  target=design.target_environment).strip()
    body = render("infra/pr_body.md.j2", name=design.name, environment=design.target_environment,
                  compliance=design.compliance, requirements=requirements, notes=design.notes,
                  resources=resources_by_module(package["files"]), differences=_differences_table(design),
                  cost=cost, frameworks=package["compliance"], checks=checks, workflow=workflow,
                  other_ci=other_ci or [], region=design.region,
                  non_production_skips=len(checkov_skips()["non_production"]))
    return {"title": f"Infrastructure: Terraform for AWS ({design.target_environment} and the other environments)",
            "body": body, "branch": BRANCH}
