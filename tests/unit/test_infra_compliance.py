"""Compliance: every mapped control names resources that exist in the generated Terraform; gaps are listed."""

from __future__ import annotations

import pytest

from generators.infra.clouds import for_design
from generators.infra.compliance import compliance_controls
from generators.infra.compliance import mapping
from generators.infra.design import design_infrastructure
from generators.infra.model import FRAMEWORKS
from generators.infra.package import infrastructure_package

FULL = {"compute": "containers", "services": [{"name": "api", "port": 8000}], "databases": ["postgres"],
        "caches": ["redis"], "queues": ["rabbitmq"], "object_storage": True, "public": True, "unsupported": [],
        "evidence": []}
QUOTE = '"'  # python-hcl2 8 keeps the quotes around block labels
BARE = {**FULL, "databases": [], "caches": [], "queues": [], "object_storage": False, "public": False}


def generated(requirements: dict, frameworks: list[str]) -> tuple[dict, dict[str, str]]:
    design = design_infrastructure(requirements, cloud="aws", environment="production", compliance=frameworks,
                                   budget={}, repository="acme/shop", region=None)
    package = infrastructure_package(design)
    return package["compliance"], package["files"]


def declared(files: dict[str, str]) -> set[str]:
    """module/type.name of every resource in the generated modules, read with python-hcl2."""
    hcl2 = pytest.importorskip("hcl2")
    found = set()
    for path, text in files.items():
        parts = path.split("/")
        if len(parts) == 5 and parts[2] == "modules" and path.endswith(".tf"):
            for block in hcl2.loads(text).get("resource", []):
                for kind, named in block.items():
                    found |= {f"{parts[3]}/{kind.strip(QUOTE)}.{name.strip(QUOTE)}" for name in named}
    return found


@pytest.mark.parametrize("requirements", [FULL, BARE, {**FULL, "compute": "vms"}, {**FULL, "compute": "serverless"},
                                          {**BARE, "compute": "serverless"}, {**FULL, "orchestrator": "eks"},
                                          {**BARE, "orchestrator": "eks"}],
                         ids=["everything", "no-data-nothing-public", "virtual-machines", "serverless-public",
                              "serverless-private", "eks-public", "eks-private"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_mapped_control_names_resources_that_exist_in_the_generated_code(requirements: dict,
                                                                              framework: str) -> None:
    controls, files = generated(requirements, [framework])
    resources = declared(files)
    assert controls[framework]["controls"]
    for control in controls[framework]["controls"]:
        missing = [address for address in control["resources"] if address not in resources]
        assert control["resources"] and not missing, f"{framework} {control['id']}: {missing}"


def test_every_framework_has_gaps_for_people() -> None:
    controls, _ = generated(FULL, list(FRAMEWORKS))
    assert all(len(controls[name]["gaps"]) >= 3 for name in FRAMEWORKS)


def test_a_control_the_design_cannot_implement_becomes_a_gap() -> None:
    controls, _ = generated(BARE, ["pci_dss"])
    assert "6.4" not in {c["id"] for c in controls["pci_dss"]["controls"]}  # nothing public: no WAF
    assert any(gap.startswith("6.4 ") for gap in controls["pci_dss"]["gaps"])


def test_the_mapping_covers_every_framework_the_pipeline_accepts() -> None:
    assert set(mapping()) == set(FRAMEWORKS)


def test_docs_compliance_md_lists_each_control_and_gap() -> None:
    controls, files = generated(FULL, ["hipaa", "gdpr"])
    doc = files["docs/compliance.md"]
    for framework in ("hipaa", "gdpr"):
        for gap in controls[framework]["gaps"][:1]:
            assert gap.split(" ")[0] in doc
    assert "| 164.312\\(b\\) | Audit controls | `security/aws_cloudtrail.main`" in doc
    assert "Art. 32\\(1\\)\\(a\\)" in doc


def test_no_framework_requested_says_so() -> None:
    controls, files = generated(FULL, [])
    assert controls == {} and "No compliance framework was requested." in files["docs/compliance.md"]


def test_compliance_controls_is_pure() -> None:
    design = design_infrastructure(FULL, cloud="aws", environment="production", compliance=["sox"], budget={},
                                   repository=None, region=None)
    assert compliance_controls(design) == compliance_controls(design)


ROLES = {"ecs": "Execution and task roles", "asg": "instance role", "eks": "Pod Identity role per service",
         "lambda": "role per function"}  # orchestrator -> how its least-privilege roles are named
COMPUTE = {"ecs": FULL, "asg": {**FULL, "compute": "vms"}, "eks": {**FULL, "orchestrator": "eks"},
           "lambda": {**FULL, "compute": "serverless"}}


@pytest.mark.parametrize("iac_tool", ["terraform", "cloudformation"])
@pytest.mark.parametrize("orchestrator", ROLES)
def test_the_least_privilege_controls_name_the_roles_this_compute_type_has(orchestrator: str, iac_tool: str) -> None:
    from dataclasses import replace

    design = design_infrastructure(COMPUTE[orchestrator], cloud="aws", environment="production",
                                   compliance=["hipaa", "pci_dss", "fedramp"], budget={}, repository="acme/shop",
                                   region=None)
    design = replace(design, iac_tool=iac_tool)
    if design.compute not in for_design(design).orchestrators:
        pytest.skip(f"{design.compute} is not generated with {iac_tool}")
    assert design.orchestrator == orchestrator
    controls = compliance_controls(design)
    for framework, control in (("hipaa", "164.312(a)(1)"), ("pci_dss", "7.2"), ("fedramp", "AC-6")):
        settings = next(found["settings"] for found in controls[framework]["controls"] if found["id"] == control)
        assert ROLES[orchestrator].lower() in settings.lower(), (framework, settings)
        others = [words for other, words in ROLES.items() if other != orchestrator]
        assert not any(words.lower() in settings.lower() for words in others), (framework, settings)
        assert "ECS" not in settings and "(VMs)" not in settings
    assert ROLES[orchestrator].lower() in infrastructure_package(design)["files"]["docs/compliance.md"].lower()


@pytest.mark.parametrize("orchestrator", ROLES)
def test_the_pipeline_s_role_and_automation_summaries_describe_this_compute_type(orchestrator: str) -> None:
    from bot.steps.infra import observability_iac_generator
    from bot.steps.infra import security_iac_generator

    design = design_infrastructure(COMPUTE[orchestrator], cloud="aws", environment="production", compliance=[],
                                   budget={}, repository="acme/shop", region=None).to_dict()
    roles = security_iac_generator({"architecture": design}, {}, None)["iam_policies"]  # type: ignore[arg-type]
    rules = observability_iac_generator({"architecture": design}, {}, None)["automation_rules"]  # type: ignore[arg-type]
    first = {"ecs": "execution role", "asg": "instance role", "eks": "one Pod Identity role per service",
             "lambda": "one role per function"}[orchestrator]
    assert roles[0].startswith(first), roles
    scaling = {"ecs": "ECS target tracking", "asg": "Auto Scaling target tracking", "eks": "managed node groups",
               "lambda": "Lambda scales"}[orchestrator]
    assert rules[0].startswith(scaling), rules
    assert orchestrator == "ecs" or not any("ECS" in line or "execution role" in line for line in roles + rules)


@pytest.mark.parametrize("cloud_name", ["aws", "gcp", "azure"])
def test_storage_autoscaling_is_named_only_for_a_design_with_a_database(cloud_name: str) -> None:
    from bot.steps.infra import observability_iac_generator

    def rules(requirements: dict) -> list[str]:
        design = design_infrastructure(requirements, cloud=cloud_name, environment="production", compliance=[],
                                       budget={}, repository="acme/shop", region=None).to_dict()
        return observability_iac_generator({"architecture": design}, {}, None)["automation_rules"]  # type: ignore[arg-type]

    with_database, without = rules(FULL), rules({**FULL, "databases": []})
    storage = [line for line in with_database if "storage" in line.lower()]
    assert len(storage) == 1 and storage[0] not in without and len(without) == len(with_database) - 1


def test_serverless_security_rules_name_the_api_gateway_not_a_load_balancer() -> None:
    from bot.steps.infra import network_iac_generator

    def rules(orchestrator: str) -> list[str]:
        design = design_infrastructure(COMPUTE[orchestrator], cloud="aws", environment="production", compliance=[],
                                       budget={}, repository="acme/shop", region=None).to_dict()
        return network_iac_generator({"design": design}, {}, None)["security_rules"]  # type: ignore[arg-type]

    assert "API Gateway" in rules("lambda")[0] and not any("load balancer" in line for line in rules("lambda"))
    assert all("load balancer" in rules(orchestrator)[0] for orchestrator in ("ecs", "asg", "eks"))
