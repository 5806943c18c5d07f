"""Infrastructure from the command line: `devops-bot run infrastructure` and `devops-bot setup-infra`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPOS


@pytest.fixture(autouse=True)
def no_checkov(monkeypatch: pytest.MonkeyPatch) -> None:
    """checkov takes about 20 s a run here; test_infra_terraform.py runs it on the same generated code."""
    monkeypatch.setattr("bot.iac_checks.checkov_binary", lambda: None)


def test_run_infrastructure_writes_the_package_under_out(tmp_path: Path) -> None:
    code = main(["run", "infrastructure", "--input", f"project_path={REPOS / 'needs-database'}", "--input",
                 "cloud_provider=aws", "--input", "environment_type=staging", "--input",
                 "budget_constraints={monthly_limit: 400, optimization_priority: cost}", "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "infra" / "aws" / "modules" / "data" / "main.tf").is_file()
    tfvars = (tmp_path / "infra" / "aws" / "environments" / "staging" / "terraform.tfvars").read_text()
    assert "monthly_budget          = 400\n" in tfvars and "spot_share              = 100\n" in tfvars


def test_setup_infra_reads_devops_yml_of_the_checkout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = shutil.copytree(REPOS / "python-pip", tmp_path / "repo")
    (repo / ".devops.yml").write_text("infrastructure:\n  cloud_provider: aws\n  compliance: [sox]\n"
                                      "  application_requirements:\n    storage:\n      types: [mysql]\n",
                                      encoding="utf-8")
    assert main(["setup-infra", str(repo), "--budget", "5000", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "| database | `mysql` | `.devops.yml`: storage.types |" in out
    assert "within the $5000.00 limit" in out
    assert "## SOX IT general controls" in (tmp_path / "out" / "docs" / "compliance.md").read_text()


def test_devops_yml_chooses_eks_for_containers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = shutil.copytree(REPOS / "python-pip", tmp_path / "repo")
    (repo / ".devops.yml").write_text("infrastructure:\n  cloud_provider: aws\n  application_requirements:\n"
                                      "    compute:\n      orchestrator: eks\n", encoding="utf-8")
    assert main(["setup-infra", str(repo), "--out", str(tmp_path / "out")]) == 0
    assert "| orchestrator | `eks` | `.devops.yml`: compute.orchestrator |" in capsys.readouterr().out
    assert 'resource "aws_eks_cluster" "main"' in (tmp_path / "out" / "infra/aws/modules/compute/main.tf").read_text()


def test_devops_yml_chooses_eks_for_a_cloudformation_package_too(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    repo = shutil.copytree(REPOS / "python-pip", tmp_path / "repo")
    (repo / ".devops.yml").write_text("infrastructure:\n  cloud_provider: aws\n  iac_tool: cloudformation\n"
                                      "  application_requirements:\n    compute:\n      orchestrator: eks\n",
                                      encoding="utf-8")
    assert main(["setup-infra", str(repo), "--out", str(tmp_path / "out")]) == 0
    assert "| orchestrator | `eks` | `.devops.yml`: compute.orchestrator |" in capsys.readouterr().out
    compute = (tmp_path / "out" / "infra/aws-cloudformation/modules/compute.yaml").read_text()
    assert "Type: AWS::EKS::Cluster" in compute and "AWS::ECS::" not in compute


def test_setup_infra_commits_a_branch_in_a_local_git_repository(tmp_path: Path) -> None:
    import subprocess

    repo = shutil.copytree(REPOS / "python-pip", tmp_path / "repo")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    assert main(["setup-infra", str(repo), "--cloud", "aws"]) == 0
    listed = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "devops-bot/infra"],
                            capture_output=True, text=True, check=True).stdout
    assert "infra/aws/environments/production/main.tf" in listed


def test_bad_options_are_answered_together_with_exit_code_2(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup-infra", str(REPOS / "python-pip"), "--cloud", "multi_cloud", "--compliance", "iso",
                 "--priority", "cheap", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "`multi_cloud` infrastructure is not generated yet" in err and "`iso` is not a compliance framework" in err
    assert "`cheap` is not a valid optimization priority" in err


def test_setup_infra_azure_production_writes_the_azure_package(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup-infra", str(REPOS / "needs-database"), "--cloud", "azure", "--environment", "production",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "infra" / "azure" / "modules" / "compute" / "main.tf").is_file()
    assert "Terraform for Azure" in capsys.readouterr().out


def test_setup_infra_iac_cloudformation_writes_the_cloudformation_package(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup-infra", str(REPOS / "needs-database"), "--cloud", "aws", "--iac", "cloudformation",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "infra" / "aws-cloudformation" / "modules" / "data.yaml").is_file()
    assert not (tmp_path / "infra" / "aws").exists()
    assert "CloudFormation for AWS" in capsys.readouterr().out
