"""Remediation playbooks: shellcheck with zero findings, the scripts run for real (dry run, approval, audit) against
fake kubectl/systemctl on PATH, Kubernetes Jobs through kubernetes-validate, golden files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generators.monitoring import playbooks
from monitoring_extras_support import compare_golden
from monitoring_extras_support import hostile_plan
from monitoring_extras_support import sample_plan
from monitoring_extras_support import write

SHELLCHECK = Path(sys.executable).parent / "shellcheck"
CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"
# Reviewed: each is deliberate for a one-shot remediation Job.
CHECKOV_SKIPS = {
    "CKV_K8S_43": "the kubectl image is pinned by tag; a digest cannot be looked up offline when generating",
    "CKV_K8S_21": "no namespace on purpose: the Job is applied in the namespace of the Deployment it restarts",
    "CKV_K8S_38": "kubectl needs the ServiceAccount token; its Role allows only get/patch of one Deployment",
    "CKV2_K8S_6": "the Job talks only to the API server; network policies belong to the cluster's baseline",
}
SCRIPTS = ["restart-service.sh", "scale-service.sh", "clear-disk.sh", "rotate-logs.sh"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The generated playbooks, with kubectl, systemctl, docker, journalctl and logrotate fakes that record calls."""
    write(playbooks.generate(sample_plan()), tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kubectl", "systemctl", "docker", "journalctl", "logrotate"):
        fake = bin_dir / tool
        fake.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{tmp_path}/calls"\n')
        fake.chmod(0o755)
    return tmp_path


def run(folder: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{folder / 'bin'}:{os.environ['PATH']}", "AUDIT_LOG": str(folder / "audit.log")}
    return subprocess.run(["bash", str(folder / "playbooks" / script), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def calls(folder: Path) -> list[str]:
    path = folder / "calls"
    return path.read_text().splitlines() if path.exists() else []


def audit(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "audit.log").read_text().splitlines()]


@pytest.mark.validators
@pytest.mark.parametrize("hostile", [False, True])
def test_every_script_passes_shellcheck_with_no_finding(tmp_path: Path, hostile: bool) -> None:
    write(playbooks.generate(hostile_plan() if hostile else sample_plan()), tmp_path)
    paths = [str(tmp_path / "playbooks" / name) for name in SCRIPTS]
    done = subprocess.run([str(SHELLCHECK), "-S", "style", "-f", "gcc", *paths], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout


@pytest.mark.validators
def test_shellcheck_reports_an_unquoted_variable(tmp_path: Path) -> None:
    (tmp_path / "bad.sh").write_text('#!/usr/bin/env bash\nrm -rf $1/tmp\n')
    done = subprocess.run([str(SHELLCHECK), "-S", "style", "-f", "gcc", str(tmp_path / "bad.sh")],
                          capture_output=True, text=True)
    assert "SC2086" in done.stdout


def test_without_approval_a_playbook_only_prints_and_audits(folder: Path) -> None:
    done = run(folder, "restart-service.sh", "checkout")
    assert done.returncode == 0, done.stderr
    assert calls(folder) == []
    assert "DRY RUN" in done.stdout and "rollout restart deployment/checkout" in done.stdout
    assert [a["mode"] for a in audit(folder)] == ["dry-run", "dry-run"]


def test_an_approved_playbook_runs_the_command_and_records_who_approved(folder: Path) -> None:
    done = run(folder, "restart-service.sh", "checkout", "--approve", "--approver", "alice", "--reason", "INC-42")
    assert done.returncode == 0, done.stderr
    assert calls(folder) == ["kubectl --namespace default rollout restart deployment/checkout",
                             "kubectl --namespace default rollout status deployment/checkout --timeout=300s"]
    entry = audit(folder)[0]
    assert entry["approver"] == "alice" and entry["reason"] == "INC-42" and entry["mode"] == "execute"
    assert entry["playbook"] == "restart-service.sh"


@pytest.mark.parametrize("args, message", [
    (["checkout", "--approve"], "--approve needs --approver NAME and --reason TEXT"),
    (["checkout", "--approve", "--approver", "OPERATOR", "--reason", "x"], "must be a second person"),
    (["nginx"], "unknown service: nginx"),
    (["checkout", "--force"], "unknown option: --force"),
])
def test_refusals_name_the_problem_and_run_nothing(folder: Path, args: list[str], message: str) -> None:
    operator = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    done = run(folder, "restart-service.sh", *[operator if a == "OPERATOR" else a for a in args])
    assert done.returncode == 2 and message in done.stderr
    assert calls(folder) == []


def test_scaling_is_bounded_and_follows_the_runtime(folder: Path) -> None:
    assert "between 1 and 20" in run(folder, "scale-service.sh", "worker", "50").stderr
    assert "whole number" in run(folder, "scale-service.sh", "worker", "two").stderr
    assert "runs on a host" in run(folder, "scale-service.sh", "admin", "2").stderr
    done = run(folder, "scale-service.sh", "worker", "3", "--approve", "--approver", "bob", "--reason", "p99 burn")
    assert done.returncode == 0 and calls(folder) == ["kubectl --namespace default scale deployment/worker --replicas=3"]


def test_clear_disk_deletes_only_after_approval(folder: Path) -> None:
    assert run(folder, "clear-disk.sh", "3").returncode == 0 and calls(folder) == []
    done = run(folder, "clear-disk.sh", "3", "--approve", "--approver", "bob", "--reason", "disk 95%")
    assert done.returncode == 0, done.stderr
    assert calls(folder) == ["journalctl --vacuum-size=500M", "docker image prune --force --filter until=168h"]
    assert "DAYS must be a whole number" in run(folder, "clear-disk.sh", "x").stderr


def test_rotate_logs_covers_host_services_only(folder: Path) -> None:
    files = playbooks.generate(sample_plan())
    assert "playbooks/logrotate/admin.conf" in files and "playbooks/logrotate/checkout.conf" not in files
    assert "unknown service: checkout" in run(folder, "rotate-logs.sh", "checkout").stderr


def test_hostile_names_stay_inert_in_scripts() -> None:
    plan = sample_plan()
    odd = plan.__class__(**{**plan.__dict__, "services": (plan.services[0].__class__(
        name="x$(touch /tmp/pwned)'y", tier="tier_3", tier_reason="r", runtime="static"),)})
    text = playbooks.generate(odd)["playbooks/restart-service.sh"]
    assert "'x$(touch /tmp/pwned)'\"'\"'y')" in text
    assert "systemctl restart x-touch-tmp-pwned-y-" in text


def test_kubernetes_jobs_pass_kubernetes_validate_strict() -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    files = playbooks.generate(hostile_plan())
    documents = [doc for path, text in files.items() if path.endswith(".yaml")
                 for doc in YAML(typ="safe").load_all(text)]
    assert [d["kind"] for d in documents].count("Job") == 4
    for document in documents:
        kubernetes_validate.validate(document, "1.31.0", strict=True)


@pytest.mark.validators
def test_checkov_finds_nothing_in_the_jobs_beyond_the_reviewed_skips(tmp_path: Path) -> None:
    if not CHECKOV.exists():
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it; its pins clash with the main venv)")
    write({p: t for p, t in playbooks.generate(sample_plan()).items() if p.endswith(".yaml")}, tmp_path)
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "CKV_PARSE_ERROR_FAIL": "true",
           "BC_SKIP_MAPPING": "TRUE"}
    done = subprocess.run([str(CHECKOV), "-d", str(tmp_path), "--skip-download", "--framework", "kubernetes",
                           "--compact", "--quiet", "-o", "json", "--skip-check", ",".join(sorted(CHECKOV_SKIPS))],
                          capture_output=True, text=True, env=env, timeout=300)
    reports = json.loads(done.stdout) if done.stdout.strip() else []
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['resource']}" for r in reports
              for c in r.get("results", {}).get("failed_checks", [])]
    assert done.returncode == 0 and failed == [], done.stderr[-2000:] or failed
    assert sum(r["summary"]["passed"] for r in reports) > 20


def test_the_real_job_waits_suspended_for_approval_and_the_dry_run_uses_the_server() -> None:
    text = playbooks.generate(sample_plan())["playbooks/kubernetes/restart-checkout.yaml"]
    docs = {(d["kind"], d["metadata"]["name"]): d for d in YAML(typ="safe").load_all(text)}
    real = docs[("Job", "playbook-restart-checkout")]
    dry = docs[("Job", "playbook-restart-checkout-dry-run")]
    assert real["spec"]["suspend"] is True and dry["spec"]["suspend"] is False
    assert dry["spec"]["template"]["spec"]["containers"][0]["args"][-1] == "--dry-run=server"
    assert real["metadata"]["annotations"] == {"devops-bot.io/approved-by": "", "devops-bot.io/reason": ""}
    role = docs[("Role", "playbook-restart-checkout")]
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["checkout"],
                              "verbs": ["get", "patch"]}]


def test_readme_maps_alerts_to_playbooks_and_states_the_safeguards() -> None:
    text = playbooks.generate(sample_plan())["playbooks/README.md"]
    for phrase in ("the bot never\nruns them", "Dry run by default", "--approver NAME", "$AUDIT_LOG",
                   "restart-service.sh SERVICE", "clear-disk.sh [DAYS]", "playbooks/kubernetes/restart-checkout.yaml"):
        assert phrase in text


def test_every_trigger_names_an_alert_the_rules_generate_with_its_runbook() -> None:
    from generators.monitoring.package import all_alerts
    from generators.monitoring.package import prometheus_files

    plan = sample_plan()
    alerts = {rule.alert for rule in all_alerts(plan)}
    assert {name for name, _, _ in playbooks.TRIGGERS} <= alerts
    runbooks = {path for path in prometheus_files(plan) if path.startswith("docs/runbooks/")}
    for trigger in playbooks.triggers(plan):
        assert trigger["link"].removeprefix("../") in runbooks
    text = playbooks.generate(plan)["playbooks/README.md"]
    assert "| [ServiceDown](../docs/runbooks/ServiceDown.md) | `restart-service.sh SERVICE` |" in text


def test_generating_twice_gives_identical_bytes() -> None:
    assert playbooks.generate(sample_plan()) == playbooks.generate(sample_plan())


def test_playbooks_match_the_golden_files(update_golden: bool) -> None:
    compare_golden(playbooks.generate(sample_plan()), "playbooks/kubernetes", update_golden)
