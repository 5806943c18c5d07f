"""`devops-bot setup-ci PATH` reads PATH/.devops.yml: its defaults apply, options win, a bad file is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-service"


def checkout(tmp_path: Path, config: str) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root)
    (root / ".devops.yml").write_text(config, encoding="utf-8")
    return root


def test_the_config_in_the_checkout_sets_the_coverage_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path, "ci:\n  quality_gates:\n    test_coverage_threshold: 66\n")
    assert main(["setup-ci", str(root), "--out", str(tmp_path / "out")]) == 0
    assert "--cov-fail-under=66" in (tmp_path / "out" / ".github" / "workflows" / "ci.yml").read_text()


def test_a_command_line_option_beats_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path, "ci:\n  quality_gates:\n    test_coverage_threshold: 66\n")
    assert main(["setup-ci", str(root), "--out", str(tmp_path / "out"), "--coverage", "91"]) == 0
    assert "--cov-fail-under=91" in (tmp_path / "out" / ".github" / "workflows" / "ci.yml").read_text()


def test_an_invalid_config_exits_with_2_and_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path, "ci:\n  platform: travis\n  colour: blue\n")
    assert main(["setup-ci", str(root), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "has 2 problems" in err and ".devops.yml:2:13:" in err and ".devops.yml:3:3:" in err
    assert not (tmp_path / "out").exists()
