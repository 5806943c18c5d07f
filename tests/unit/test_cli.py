"""The `devops-bot` command on local checkouts: analyze, setup-ci, run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample-service"
REPOS = ROOT / "tests" / "fixtures" / "repos"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout.strip()


def _repository(tmp_path: Path, source: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(source, repo)
    _git(repo, "init", "-q", "-b", "trunk")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial")
    return repo


def test_analyze_json_prints_units_and_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(REPOS / "monorepo-py-node"), "--json"]) == 0
    analysis = json.loads(capsys.readouterr().out)
    assert sorted(unit["path"] for unit in analysis["units"]) == ["libs/shared", "services/api", "services/web"]
    assert analysis["shared_libraries"] == ["libs/shared"]
    assert all(fact["evidence"]["file"] or fact["evidence"]["rule"] for fact in analysis["facts"])


def test_analyze_text_cites_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "requirements.txt" in out and "pytest" in out


def test_setup_ci_out_writes_the_package_and_prints_the_pull_request(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    assert main(["setup-ci", str(SAMPLE), "--out", str(out_dir), "--coverage", "85"]) == 0
    printed = capsys.readouterr().out
    workflow = out_dir / ".github" / "workflows" / "ci.yml"
    assert "--cov-fail-under=85" in workflow.read_text()
    YAML(typ="safe").load(workflow.read_text())
    assert (out_dir / "docs" / "ci-cd.md").is_file() and (out_dir / "Dockerfile").is_file()
    assert printed.startswith("# ") and "Detected, with evidence" in printed


def test_setup_ci_commits_a_branch_for_the_checked_out_default_branch(tmp_path: Path) -> None:
    repo = _repository(tmp_path, SAMPLE)
    assert main(["setup-ci", str(repo)]) == 0
    files = _git(repo, "ls-tree", "-r", "--name-only", "devops-bot/setup-ci").splitlines()
    assert ".github/workflows/ci.yml" in files and "app.py" in files
    workflow = _git(repo, "show", "devops-bot/setup-ci:.github/workflows/ci.yml")
    assert "- trunk" in workflow  # the repository's own branch, not an assumed "main"
    assert _git(repo, "status", "--porcelain") == ""  # the user's checkout is untouched
    assert main(["setup-ci", str(repo)]) == 0
    assert _git(repo, "rev-list", "--count", "devops-bot/setup-ci") == "2"  # idempotent: no new commit


def test_run_takes_typed_inputs_and_reports_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code = main(["run", "ci_cd_setup", "--input", f"project_path={SAMPLE}", "--input", "ci_platform=github_actions",
                 "--input", "quality_gates={test_coverage_threshold: 70}", "--out", str(out_dir)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "succeeded"
    assert [step["status"] for step in summary["steps"]][:2] == ["succeeded", "succeeded"]
    assert "--cov-fail-under=70" in (out_dir / ".github" / "workflows" / "ci.yml").read_text()


def test_bad_inputs_are_all_reported_and_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "ci_cd_setup", "--input", "ci_platform=travis", "--input", "colour=red"])
    assert code == 2
    err = capsys.readouterr().err
    assert "`project_path` is required" in err and "travis" in err and "`colour` is not an input" in err


def test_a_missing_directory_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup-ci", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err
