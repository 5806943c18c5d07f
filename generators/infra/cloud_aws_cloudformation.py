"""AWS rendered as CloudFormation (`iac_tool: cloudformation`): the same design, prices and controls as Terraform."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from bot.platforms.cloudformation import to_yaml
from bot.templating import render
from generators.infra import cloudformation_aws as cfn
from generators.infra.cfn_parts import logical_id
from generators.infra.cfn_security import config_rule_id
from generators.infra.cloud_aws import CLOUD as TERRAFORM
from generators.infra.cloud_aws import ORCHESTRATOR_TITLES
from generators.infra.clouds import DATA
from generators.infra.clouds import load_yaml
from generators.infra.terraform_aws import CONFIG_RULES
from generators.infra.model import InfraDesign


def package_files(design: InfraDesign, alert_budgets: dict[str, float]) -> dict[str, str]:
    """Templates, parameter files, Makefile, README and .checkov.yaml under infra/aws-cloudformation/."""
    from generators.infra.package import checkov_rendering
    from generators.infra.package import checkov_skips
    from generators.infra.package import differences_table

    skips = checkov_skips("aws", design.orchestrator, iac_tool="cloudformation")
    root = cfn.ROOT
    files = cfn.template_files(design, alert_budgets)
    tags = " ".join(f"{key}={value}" for key, value in design.tags.items())
    files[f"{root}/Makefile"] = render("infra/aws_cfn/Makefile.j2", name=design.name, region=design.region, tags=tags,
                                       parent=cfn.PARENT, bootstrap=cfn.BOOTSTRAP,
                                       checkov_env=checkov_rendering(),
                                       skips_everywhere=",".join(skips["everywhere"]))
    files[f"{root}/.checkov.yaml"] = render("infra/checkov.yaml.j2", framework="cloudformation",
                                            everywhere=list(skips["everywhere"].items()),
                                            non_production=list(skips["non_production"].items()))
    files[f"{root}/README.md"] = render("infra/aws_cfn/README.md.j2", name=design.name, compute=design.compute,
                                        orchestrator_text=ORCHESTRATOR_TITLES[design.orchestrator],
                                        orchestrator=design.orchestrator, namespace=design.name,
                                        modules=design.modules, parent=cfn.PARENT, bootstrap=cfn.BOOTSTRAP,
                                        public=design.public, differences=differences_table(design))
    return files


def module_files(design: InfraDesign, module: str) -> dict[str, str]:
    """One module's template (production's values as defaults), for the pipeline's per-module steps."""
    if module not in design.modules:
        return {}
    return {cfn.module_path(module): to_yaml(cfn.module_templates(design)[module])}


@lru_cache(maxsize=1)
def _translation() -> dict[str, list[str]]:
    return load_yaml(DATA / "compliance-aws-cloudformation.yml")


def compliance_resource(design: InfraDesign, address: str) -> list[str] | None:
    """The logical ids (`module/LogicalId`) that implement a Terraform address of the mapping in this design."""
    found = TERRAFORM.compliance_resource(design, address)
    if found is None:
        return None
    names: list[str] = []
    for name in _translation()[found]:
        if "{service}" in name:
            names += [name.replace("{service}", logical_id(service.name)) for service in design.services]
        elif "{config_rule}" in name:
            names += [name.replace("{config_rule}", config_rule_id(rule)) for rule in CONFIG_RULES]
        else:
            names.append(name)
    return names


def resource_ids(files: dict[str, str]) -> dict[str, set[str]]:
    """{module: logical ids} of the generated module templates."""
    from ruamel.yaml import YAML

    result: dict[str, Any] = {}
    for path, text in files.items():
        if path.startswith(f"{cfn.ROOT}/modules/"):
            module = path.rsplit("/", 1)[1].removesuffix(".yaml")
            result[module] = set(YAML(typ="safe", pure=True).load(text)["Resources"])
    return result


CLOUD = replace(
    TERRAFORM,
    package_files=package_files,
    module_files=module_files,
    compliance_resource=compliance_resource,
    checkov_skips_file=DATA / "infra-cfn-checkov-skips.yml",
    layout_sentence=("Plus `main.yaml` (the parent stack of the module stacks), `parameters/{development,staging,"
                     "production}.json`,\n`bootstrap.yaml` for the bucket of packaged templates, a `Makefile` (lint, "
                     "checkov, package, change sets, deploy)\nand a `README.md`. The stacks hold the state."),
    orchestrators={"containers": "ecs", "vms": "asg", "serverless": "lambda"},
    orchestrator_choices=TERRAFORM.orchestrator_choices,  # containers: ECS or EKS
    iac_tool="cloudformation",
    iac_title="CloudFormation",
    folder="aws-cloudformation",
    environment_file="parameters/{environment}.json",
)
