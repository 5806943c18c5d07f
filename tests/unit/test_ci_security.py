"""The security stage: neutral scan data per ecosystem, severities, platform hints, and the GitHub rendering."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import generate
from ci_support import python_unit
from ci_support import run_on_fixture
from generators.analysis.model import Analysis
from generators.analysis.model import Unit
from generators.ci.assemble import assemble_jobs
from generators.ci.design import design_pipeline
from generators.ci.security import security_report
from generators.ci.security import security_stage
from generators.ci import stages
from generators.ci.github import render_workflow

SCAN_KEYS = {"name", "kind", "tool", "version", "command", "action", "severity", "needs_image", "sarif", "platforms",
             "unit"}


def node_unit(manager: str, **extra: Any) -> Unit:
    lockfiles = {"npm": "package-lock.json", "pnpm": "pnpm-lock.yaml", "yarn": "yarn.lock", "bun": "bun.lockb"}
    return Unit(name="root", path="", language="node", package_manager=manager, manifest="package.json",
                lockfile=lockfiles[manager], test_framework="jest", test_command="npx jest", **extra)


def design_of(*units: Unit, platform: str = "github_actions") -> dict[str, Any]:
    return design_pipeline(Analysis(units=list(units)), platform=platform, project_type=None, targets=[],
                           branching="github_flow", quality_gates={}, today="2026-09-01")


def commands(security: dict[str, Any], kind: str) -> str:
    return "\n".join(scan["command"] or "" for scan in security["scans"] if scan["kind"] == kind)


def test_every_scan_describes_itself_with_the_same_keys() -> None:
    security = security_stage(design_of(python_unit()))
    assert security["scans"]
    for scan in security["scans"]:
        assert SCAN_KEYS <= set(scan), scan["name"]
        assert scan["command"] or scan["action"], scan["name"]
    kinds = {scan["kind"] for scan in security["scans"]}
    assert kinds == {"sast", "dependency", "dependency_review", "license", "secrets", "container"}


@pytest.mark.parametrize(("manager", "severity", "expected"), [
    ("npm", "high", "npm audit --audit-level=high"),
    ("npm", "medium", "npm audit --audit-level=moderate"),
    ("pnpm", "critical", "pnpm audit --audit-level critical"),
])
def test_node_audits_fail_on_the_requested_severity(manager: str, severity: str, expected: str) -> None:
    assert expected in commands(security_stage(design_of(node_unit(manager)), severity), "dependency")


def test_yarn_berry_uses_yarn_npm_audit_and_yarn_classic_falls_back_to_osv_scanner() -> None:
    berry = security_stage(design_of(node_unit("yarn", package_manager_version="4.5.0")))
    classic = security_stage(design_of(node_unit("yarn", package_manager_version="1.22.22")))
    assert "yarn npm audit --recursive --severity high" in commands(berry, "dependency")
    assert "osv-scanner:v" in commands(classic, "dependency") and "--lockfile yarn.lock" in commands(classic, "dependency")


def test_python_and_go_use_their_own_pinned_auditors() -> None:
    pip = python_unit(package_manager="pip", manifest="requirements.txt", lockfile="requirements.txt")
    uv = python_unit(package_manager="uv", lockfile="uv.lock", manifest="pyproject.toml")
    go = Unit(name="root", path="", language="go", package_manager="go", manifest="go.mod", lockfile="go.sum")
    assert "pip-audit==2.10.1 pip-audit --requirement requirements.txt" in commands(security_stage(design_of(pip)),
                                                                                     "dependency")
    assert "uv export --frozen" in commands(security_stage(design_of(uv)), "dependency")
    assert "govulncheck@v1.9.0 ./..." in commands(security_stage(design_of(go)), "dependency")


def test_a_unit_in_a_subdirectory_audits_its_lockfile_relative_to_its_own_directory() -> None:
    unit = Unit(name="api", path="services/api", language="ruby", package_manager="bundler",
                manifest="services/api/Gemfile", lockfile="services/api/Gemfile.lock")
    security = security_stage(design_of(unit, python_unit(name="web", path="web")))
    [job] = [job for job in security["jobs"] if job["id"] == "audit-api"]
    assert job["working_directory"] == "services/api"
    assert "--lockfile Gemfile.lock" in job["steps"][-1]["command"]


def test_secrets_are_scanned_with_the_pinned_gitleaks_image_not_the_licensed_action() -> None:
    flow = workflow(generate(Analysis(units=[python_unit()])))
    script = "\n".join(step.get("run", "") for step in flow["jobs"]["secrets"]["steps"])
    assert "ghcr.io/gitleaks/gitleaks:v8." in script and "--redact" in script
    assert not any("gitleaks-action" in step.get("uses", "") for job in flow["jobs"].values() for step in job["steps"])


def test_semgrep_runs_off_github_when_codeql_covers_every_language() -> None:
    design = design_of(python_unit())
    security = security_stage(design)
    [semgrep] = [scan for scan in security["scans"] if scan["tool"] == "semgrep"]
    assert "github_actions" not in semgrep["platforms"]
    assert "semgrep" not in {job["id"] for job in assemble_jobs(design, stages.build_stage(design), stages.test_stage(design),
                                                                  security, None)}
    gitlab = design_of(python_unit(), platform="gitlab_ci")
    gitlab_jobs = assemble_jobs(gitlab, stages.build_stage(gitlab), stages.test_stage(gitlab), security_stage(gitlab), None)
    assert "semgrep" in {job["id"] for job in gitlab_jobs}
    assert not any(job["id"].startswith("codeql") or job["id"] == "dependency-review" for job in gitlab_jobs)
    assert not any(step["kind"] == "sarif_upload" for job in gitlab_jobs for step in job["steps"])


def test_semgrep_also_runs_on_github_for_a_language_codeql_does_not_cover() -> None:
    design = design_of(python_unit())
    design["units"][0]["language"] = "elixir"
    security = security_stage(design)
    jobs = assemble_jobs(design, stages.build_stage(design), stages.test_stage(design), security, None)
    flow = YAML(typ="safe").load(render_workflow(design, jobs))
    assert flow["jobs"]["semgrep"]["permissions"]["security-events"] == "write"
    assert any(step.get("uses", "").startswith("github/codeql-action/upload-sarif@")
               for step in flow["jobs"]["semgrep"]["steps"])


def test_the_image_scan_fails_on_the_severity_and_uploads_sarif_from_the_image_job_only() -> None:
    design = design_of(python_unit())
    jobs = assemble_jobs(design, stages.build_stage(design), stages.test_stage(design), security_stage(design, "critical"), None)
    [docker] = [job for job in jobs if job["id"] == "docker"]
    scan = next(step for step in docker["steps"] if step["kind"] == "image_scan")
    assert scan["severity"] == "CRITICAL" and scan["sarif"]
    assert docker["permissions"]["security-events"] == "write"
    writers = {job["id"] for job in jobs if job["permissions"].get("security-events") == "write"}
    assert writers == {"docker", "codeql-python"}


def test_a_library_has_no_container_scan() -> None:
    security = security_stage(design_of(python_unit(is_service=False)))
    assert security["image_scan"] is None
    assert "container" not in {scan["kind"] for scan in security["scans"]}


def test_licence_deny_list_is_configurable_and_reaches_the_command() -> None:
    node = security_stage(design_of(node_unit("npm")), denied_licenses=["AGPL-3.0-only", "EUPL-1.2"])
    assert 'denied="AGPL-3.0-only;EUPL-1.2"' in commands(node, "license")
    assert '--failOn "$denied"' in commands(node, "license")
    python = security_stage(design_of(python_unit()))
    assert "GNU General Public License v3 (GPLv3)" in commands(python, "license")
    assert "--fail-on" in commands(python, "license")


def test_a_licence_name_that_could_break_the_shell_is_refused() -> None:
    with pytest.raises(ValueError, match="licence names"):
        security_stage(design_of(python_unit()), denied_licenses=['MIT"; curl evil'])


def test_the_security_report_lists_the_scans_that_run_on_the_platform() -> None:
    design = design_of(python_unit(package_manager="pip", manifest="requirements.txt", lockfile="requirements.txt"))
    report = security_report(security_stage(design), "github_actions")
    assert report["fail_on_severity"] == "high"
    assert {scan["tool"] for scan in report["scans"]} == set(report["tools"])
    assert "semgrep" not in report["tools"] and {"codeql", "gitleaks", "pip-audit", "trivy"} <= set(report["tools"])
    assert security_report(None, "github_actions")["scans_configured"] is False


def test_the_pipeline_security_report_and_no_security_option() -> None:
    outputs = run_on_fixture("python-pip")
    assert outputs["security_report"]["scans"] and outputs["security_report"]["fail_on_severity"] == "high"
    off = run_on_fixture("python-pip", quality_gates={"security_scan_required": False})
    assert off["security_report"]["scans_configured"] is False
    flow = YAML(typ="safe").load(off["ci_cd_package"]["files"][".github/workflows/ci.yml"])
    assert not {"secrets", "audit", "licenses", "dependency-review"} & set(flow["jobs"])


def workflow(result: dict[str, Any]) -> dict[str, Any]:
    return YAML(typ="safe").load(result["files"][result["design"]["workflow_path"]])
