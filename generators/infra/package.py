"""The whole infrastructure package: the cloud's files, docs/compliance.md, the cost and the PR text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.iac_checks import CHECKOV_RENDERING
from bot.templating import render
from generators.infra.clouds import for_design
from generators.infra.clouds import output
from generators.infra.clouds import load_yaml
from generators.infra.compliance import compliance_controls
from generators.infra.design import differences
from generators.infra.model import InfraDesign

BRANCH = "devops-bot/infra"
_RESOURCE = re.compile(r'^resource "([a-z0-9_]+)" "([a-z0-9_]+)"', re.MULTILINE)
_CFN_TYPE = re.compile(r"^    Type: (AWS::[A-Za-z0-9:]+)$", re.MULTILINE)  # a resource's type in a module template


@lru_cache(maxsize=None)
def checkov_skips(cloud_name: str = "aws", orchestrator: str | None = None,
                  iac_tool: str = "terraform") -> dict[str, dict[str, str]]:
    """{"everywhere": {check: reason}, "non_production": {check: reason}} from the cloud's reviewed list; with an
    orchestrator, "everywhere" adds the checks of resources only that compute type creates."""
    data = load_yaml(output(cloud_name, iac_tool).checkov_skips_file)
    own = (data.get("orchestrators") or {}).get(orchestrator) or {}
    return {"everywhere": dict(sorted({**(data.get("everywhere") or {}), **own}.items())),
            "non_production": dict(sorted((data.get("non_production") or {}).items()))}


def checkov_rendering() -> str:
    """The environment the generated Makefiles run checkov with, the bot's own (bot.iac_checks)."""
    return " ".join(f"{key}={value}" for key, value in CHECKOV_RENDERING.items())


def differences_table(design: InfraDesign) -> str:
    """The markdown table of the settings that differ between environments."""
    return render("infra/differences.md.j2", environments=[env.name for env in design.environments],
                  differences=differences(design)).strip()


def resources_by_module(files: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(module, sorted resource types) from the generated module files."""
    found: dict[str, set[str]] = {}
    for path, text in files.items():
        parts = path.split("/")
        if len(parts) > 3 and parts[2] == "modules" and path.endswith("/main.tf"):
            found.setdefault(parts[3], set()).update(kind for kind, _ in _RESOURCE.findall(text))
        elif len(parts) == 4 and parts[2] == "modules" and path.endswith(".yaml"):
            found.setdefault(parts[3].removesuffix(".yaml"), set()).update(_CFN_TYPE.findall(text))
    return [(module, sorted(found[module])) for module in sorted(found)]


def infrastructure_package(design: InfraDesign) -> dict[str, Any]:
    """{"files", "cost", "compliance"}: everything but the PR text, which needs the validation results."""
    where = for_design(design)
    cost = where.estimate(design)
    frameworks = compliance_controls(design)
    files = where.package_files(design, cost["alert_budgets"])
    files["docs/compliance.md"] = render("infra/compliance.md.j2", frameworks=frameworks, root=where.root,
                                         iac_title=where.iac_title, iac_tool=where.iac_tool)
    return {"files": dict(sorted(files.items())), "cost": cost, "compliance": frameworks}


def pull_request(design: InfraDesign, package: dict[str, Any], checks: list[dict[str, str]],
                 ci_setup: str) -> dict[str, str]:
    """Title and body of the pull request; `ci_setup` is its section on the infrastructure CI (generators.infra.ci)."""
    where = for_design(design)
    requirements = render("infra/requirements.md.j2", requirements=design.requirements).strip()
    cost = render("infra/cost.md.j2", cost=package["cost"], priority=design.priority,
                  target=design.target_environment).strip()
    body = render("infra/pr_body.md.j2", name=design.name, cloud_title=where.title, root=where.root,
                  layout=where.layout_sentence, environment=design.target_environment,
                  compliance=design.compliance, requirements=requirements, notes=design.notes,
                  resources=resources_by_module(package["files"]), differences=differences_table(design),
                  cost=cost, frameworks=package["compliance"], checks=checks, ci_setup=ci_setup,
                  iac_title=where.iac_title,
                  non_production_skips=len(checkov_skips(design.cloud, iac_tool=design.iac_tool)["non_production"]))
    title = f"Infrastructure: {where.iac_title} for {where.title} ({design.target_environment} and the other environments)"
    return {"title": title, "body": body, "branch": BRANCH}
