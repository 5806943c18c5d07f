"""The monitoring setup from the command line: `devops-bot run monitoring_setup` and `devops-bot setup-monitoring`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from tests.unit.monitoring_support import SHOP


def test_run_monitoring_setup_writes_the_files_under_out(tmp_path: Path) -> None:
    code = main(["run", "monitoring_setup", "--input", f"project_path={SHOP}", "--input",
                 "monitoring_stack=prometheus_grafana", "--input", "sla_requirements={availability: 99.0}",
                 "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "prometheus" / "prometheus.yml").is_file()
    assert "(14.4 * 0.01)" in (tmp_path / "prometheus" / "rules" / "slo-checkout.yml").read_text(encoding="utf-8")
    assert (tmp_path / "docs" / "runbooks" / "AvailabilityBudgetBurnPage.md").is_file()


def test_setup_monitoring_reads_devops_yml_of_the_checkout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = shutil.copytree(SHOP, tmp_path / "repo")
    (repo / ".devops.yml").write_text("monitoring:\n  alert_channels:\n    - {type: email, target: sre@example.com}\n",
                                      encoding="utf-8")
    assert main(["setup-monitoring", str(repo), "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8")
    assert "to: sre@example.com" in text
    assert "# Monitoring (prometheus_grafana)" in capsys.readouterr().out


def test_a_bad_stack_on_the_command_line_is_answered_with_the_valid_ones(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path) -> None:
    assert main(["setup-monitoring", str(SHOP), "--stack", "nagios", "--out", str(tmp_path)]) == 2
    assert "`monitoring_stack` is 'nagios'; valid values: prometheus_grafana, elk, datadog, new_relic, custom" in \
        capsys.readouterr().err


def test_an_inventory_in_devops_yml_replaces_what_the_repository_shows(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = shutil.copytree(SHOP, tmp_path / "repo")
    (repo / ".devops.yml").write_text(
        "monitoring:\n  inventory:\n    containers:\n      - {name: gateway, port: 443, public: true, "
        "depends_on: [ledger]}\n    databases:\n      - {name: ledger, kind: mysql}\n", encoding="utf-8")
    assert main(["setup-monitoring", str(repo), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "The inventory came from `monitoring.inventory` in `.devops.yml`." in out
    assert "| `gateway` | tier_1 | public endpoint backed by ledger |" in out and "`checkout`" not in out
    rules = (tmp_path / "out" / "prometheus" / "rules" / "alerts.yml").read_text(encoding="utf-8")
    assert "mysql_global_status_threads_connected" in rules
