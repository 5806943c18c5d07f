"""Google Cloud infrastructure: size names, cost from gcp-prices.json, the compliance mapping, and requests for gcp."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.jobs import run_github_command
from generators.infra import cost_gcp
from generators.infra.design import design_infrastructure
from generators.infra.model import FRAMEWORKS
from generators.infra.package import infrastructure_package
from handlers.commands import parse_comment
from infra_support import produced
from test_infra_commands import OPTIONS
from test_infra_commands import deps
from test_infra_commands import payload  # noqa: F401  (a fixture)
from test_infra_commands import seed
from tests.conftest import REPOS
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import command_request

REQUIREMENTS = {"compute": "containers", "public": True, "services": [{"name": "api", "port": 8000}],
                "databases": ["postgres"], "caches": ["redis"], "queues": ["jobs"], "object_storage": True,
                "evidence": []}
_RESOURCE = re.compile(r'^resource "([a-z0-9_]+)" "([a-z0-9_]+)"', re.MULTILINE)


def design(compute: str = "containers", priority: str = "balanced", budget: float | None = None, **changes: Any):
    return design_infrastructure({**REQUIREMENTS, "compute": compute, **changes}, cloud="gcp",
                                 environment="production", compliance=list(FRAMEWORKS),
                                 budget={"optimization_priority": priority,
                                         **({"monthly_limit": budget} if budget is not None else {})},
                                 repository="acme/shop", region=None)


def test_sizes_are_google_cloud_names_and_production_differs() -> None:
    built = design()
    development, production = built.environment("development").sizing, built.environment("production").sizing
    assert (development.database_class, production.database_class) == ("db-f1-micro", "db-custom-2-8192")
    assert (development.cache_node_type, production.cache_node_type) == ("redis-1gb", "redis-7gb")
    assert production.instance_type == "n2-standard-2"
    files = infrastructure_package(built)["files"]
    production_values = setting_values(files["infra/gcp/environments/production/terraform.tfvars"])
    development_values = setting_values(files["infra/gcp/environments/development/terraform.tfvars"])
    assert production_values["availability_type"] == '"REGIONAL"' and production_values["cache_tier"] == '"STANDARD_HA"'
    assert production_values["deletion_protection"] == "true" and production_values["spot"] == "false"
    assert production_values["machine_type"] == '"n2-standard-2"' and production_values["audit_retention_days"] == "2557"
    assert development_values["availability_type"] == '"ZONAL"' and development_values["spot"] == "true"


def setting_values(tfvars: str) -> dict[str, str]:
    """The single-line `key = value` settings of a tfvars file."""
    return dict(re.findall(r"^([a-z_]+)\s+= (.+)$", tfvars, re.MULTILINE))


def test_labels_are_valid_gcp_labels() -> None:
    tfvars = produced("gcp-containers-production")["infra/gcp/environments/production/terraform.tfvars"]
    assert re.search(r'repository += "acme_blog"', tfvars) and re.search(r'compliance += "hipaa_pci_dss"', tfvars)


def test_line_items_are_computed_from_the_price_table() -> None:
    built = design()
    prices = cost_gcp.price_table()
    assert "cloud.google.com" in prices["source"] and prices["as_of"] and "by hand" in prices["note"]
    items = {item["resource"]: item["monthly"] for item in cost_gcp.line_items(built, built.environment("production"))}
    hours = prices["hours_per_month"]
    assert items["google_sql_database_instance"] == round(2 * hours * prices["hourly"]["db-custom-2-8192"]
                                                          + 100 * prices["monthly"]["sql_ssd_gb_regional"], 2)
    assert items["google_redis_instance"] == round(hours * 7 * prices["hourly"]["redis_standard_gb"]["M2"], 2)
    assert items["google_container_cluster"] == round(hours * prices["hourly"]["gke_cluster"], 2)
    nodes = 2 * hours * prices["hourly"]["n2-standard-2"] + 2 * 50 * prices["monthly"]["pd_balanced_gb"]
    assert items["google_container_node_pool"] == round(nodes, 2)


def test_spot_vms_lower_development_and_are_recommended_where_missing() -> None:
    balanced, performance = design(), design(priority="performance")
    items = {item["resource"]: item["monthly"]
             for item in cost_gcp.line_items(balanced, balanced.environment("development"))}
    on_demand = {item["resource"]: item["monthly"]
                 for item in cost_gcp.line_items(performance, performance.environment("development"))}
    assert items["google_container_node_pool"] < on_demand["google_container_node_pool"]
    assert "spot" not in {r["kind"] for r in cost_gcp.recommend(balanced)}
    assert {r["kind"] for r in cost_gcp.recommend(performance) if r["environment"] == "development"} >= {
        "spot", "scheduled_scaling"}


@pytest.mark.parametrize("compute", ["containers", "vms", "serverless"])
def test_recommendations_cover_commitments_right_sizing_scheduling_and_tiering(compute: str) -> None:
    kinds = {item["kind"] for item in cost_gcp.recommend(design(compute))}
    assert {"committed_use_compute", "committed_use_database", "committed_use_cache", "right_size_database",
            "scheduled_scaling", "storage_tiering"} <= kinds
    assert all(item["monthly_savings"] > 0 for item in cost_gcp.recommend(design(compute)))
    assert "right_size_database" not in {item["kind"] for item in cost_gcp.recommend(design(compute, "cost"))}


def test_the_budget_check_names_the_savings_that_close_the_overrun() -> None:
    within = cost_gcp.estimate(design(budget=5000))
    assert within["budget"]["within"] and within["alert_budgets"]["production"] == 5000
    total = cost_gcp.estimate(design())["totals"]["production"]
    over = cost_gcp.estimate(design(budget=round(total - 50)))
    assert not over["budget"]["within"] and over["budget"]["closing"]
    saved = sum(r["monthly_savings"] for r in over["recommendations"]
                if r["environment"] == "production" and r["kind"] in over["budget"]["closing"])
    assert saved >= over["budget"]["exceeds_by"]
    assert cost_gcp.estimate(design(priority="cost"))["totals"]["production"] < total


@pytest.mark.parametrize("compute", ["containers", "vms", "serverless"])
def test_every_mapped_control_names_a_resource_declared_in_the_generated_code(compute: str) -> None:
    package = infrastructure_package(design(compute))
    declared = {f"{path.split('/')[3]}/{kind}.{name}" for path, text in package["files"].items()
                if path.startswith("infra/gcp/modules/") for kind, name in _RESOURCE.findall(text)}
    for framework in package["compliance"].values():
        for control in framework["controls"]:
            assert control["resources"] and set(control["resources"]) <= declared, control["id"]


def test_a_control_without_resources_in_the_design_becomes_a_gap() -> None:
    bare = infrastructure_package(design("vms", databases=[], caches=[], queues=[], object_storage=False,
                                         public=False))
    hipaa = bare["compliance"]["hipaa"]
    assert any(gap.startswith("164.312(e)(1) Transmission security") for gap in hipaa["gaps"])
    assert "data/google_sql_database_instance.main" not in str(bare["compliance"])


def test_comments_and_the_cli_accept_gcp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = parse_comment("/devops setup infra gcp production --compliance hipaa")
    assert command.options["cloud_provider"] == "gcp" and command.options["environment_type"] == "production"
    repo = shutil.copytree(REPOS / "python-pip", tmp_path / "repo")
    assert main(["setup-infra", str(repo), "--cloud", "gcp", "--environment", "production", "--out",
                 str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "infra" / "gcp" / "modules" / "compute" / "main.tf").is_file()
    assert "Terraform for Google Cloud" in capsys.readouterr().out


def test_the_job_opens_a_pull_request_for_gcp(fake_github: FakeGitHub, payload: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.iac_checks.checkov_binary", lambda: None)
    repo = seed(fake_github, payload, "/devops setup infra gcp production --compliance hipaa --budget 300")
    summary = run_github_command(command_request(payload, "setup_infra", **{**OPTIONS, "cloud_provider": "gcp"}),
                                 deps=deps(fake_github))
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["title"].startswith("Infrastructure: Terraform for Google Cloud (production")
    assert "| database\\_class | `db-f1-micro` | `db-g1-small` | `db-custom-2-8192` |" in pull["body"]
    files = repo.files_on("devops-bot/infra")
    assert "infra/gcp/environments/production/terraform.tfvars" in files
    assert "google_sql_database_instance" in files["infra/gcp/modules/data/main.tf"]
