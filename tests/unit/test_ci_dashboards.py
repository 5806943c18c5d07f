"""CI quality dashboards: Grafana JSON type-checked against @grafana/schema, PromQL and rules through promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import ROOT
from ci_support import run_on_fixture
from generators.dashboards import DASHBOARD_PATH
from generators.dashboards import RULES_PATH
from generators.dashboards import quality_dashboards

TSC = ROOT / "tools" / "node_modules" / ".bin" / "tsc"
SCHEMA = ROOT / "tools" / "node_modules" / "@grafana" / "schema"
# TypeScript enums are nominal; this maps them to their literal values so plain JSON can be checked.
PLAIN = ("type Plain<T> = T extends string ? `${T}` : T extends number ? T : T extends boolean ? T : "
         "T extends (infer U)[] ? Plain<U>[] : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;")
PLATFORMS = ["github_actions", "gitlab_ci"]


def design(platform: str, threshold: float = 80, branch: str = "main") -> dict[str, Any]:
    return {"platform": platform, "quality_gates": {"test_coverage_threshold": threshold}, "default_branch": branch}


def dashboard(platform: str) -> dict[str, Any]:
    return json.loads(quality_dashboards(design(platform))["files"][DASHBOARD_PATH])


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not installed (scripts/setup installs the Debian prometheus package)")
    return path


def type_errors(tmp_path: Path, text: str) -> str:
    if not TSC.exists() or not SCHEMA.exists():
        pytest.skip("tools/node_modules lacks typescript or @grafana/schema; run `npm ci --prefix tools`")
    (tmp_path / "dashboard.ts").write_text(
        f"import type {{ Dashboard }} from '@grafana/schema';\n{PLAIN}\nexport const d: Plain<Dashboard> = {text};\n")
    (tmp_path / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "noEmit": True, "skipLibCheck": True, "moduleResolution": "node",
                            "module": "commonjs", "target": "es2020", "baseUrl": ".", "typeRoots": [],
                            "paths": {"@grafana/schema": [str(SCHEMA)]}},
        "files": ["dashboard.ts"]}))
    done = subprocess.run([str(TSC), "--noEmit", "-p", str(tmp_path)], capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr if done.returncode else ""


def promql_errors(tmp_path: Path, exprs: list[str]) -> str:
    # Grafana's variables are not PromQL; substitute literals the way Grafana would at query time.
    literal = [re.sub(r"\$\{?\w+\}?", "x", expr.replace("$__rate_interval", "5m")) for expr in exprs]
    rules = {"groups": [{"name": "panels", "rules": [{"record": f"panel:expr_{i}:check", "expr": e}
                                                     for i, e in enumerate(literal)]}]}
    path = tmp_path / "panels.yml"
    path.write_text(json.dumps(rules))
    done = subprocess.run([promtool(), "check", "rules", "--lint-fatal", str(path)], capture_output=True, text=True)
    return done.stdout + done.stderr if done.returncode else ""


@pytest.mark.validators
@pytest.mark.parametrize("platform", PLATFORMS)
def test_dashboard_type_checks_against_grafana_schema(platform: str, tmp_path: Path) -> None:
    text = quality_dashboards(design(platform))["files"][DASHBOARD_PATH]
    assert type_errors(tmp_path, text) == ""


@pytest.mark.validators
def test_type_check_rejects_a_dashboard_with_a_wrong_field_type(tmp_path: Path) -> None:
    data = dashboard("gitlab_ci")
    data["panels"][0]["gridPos"]["w"] = "six"
    assert "not assignable" in type_errors(tmp_path, json.dumps(data))


@pytest.mark.validators
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_panel_query_parses_with_promtool(platform: str, tmp_path: Path) -> None:
    exprs = [t["expr"] for p in dashboard(platform)["panels"] for t in p.get("targets", [])]
    assert exprs
    assert promql_errors(tmp_path, exprs) == ""


@pytest.mark.validators
def test_promtool_check_rejects_a_broken_query(tmp_path: Path) -> None:
    assert promql_errors(tmp_path, ["sum by (project (gitlab_ci_pipeline_status)"]) != ""


@pytest.mark.validators
@pytest.mark.parametrize("platform", PLATFORMS)
def test_alert_rules_pass_promtool_lint(platform: str, tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(quality_dashboards(design(platform, branch='we"ird${x}'))["alert_rules"])
    done = subprocess.run([promtool(), "check", "rules", "--lint-fatal", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("platform", PLATFORMS)
def test_dashboard_keeps_grafana_invariants(platform: str) -> None:
    panels = dashboard(platform)["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        for target in panel.get("targets", []):
            assert target["refId"]
            assert (target.get("datasource") or panel["datasource"])["uid"] == "${datasource}"
        if panel.get("targets"):
            assert panel["datasource"]["uid"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_dashboard_has_a_templated_prometheus_datasource_and_the_four_dora_panels(platform: str) -> None:
    data = dashboard(platform)
    variables = {v["name"]: v for v in data["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    titles = {p["title"] for p in data["panels"]}
    assert {"Build success", "Test coverage", "Deployment frequency", "Lead time for changes",
            "Change failure rate", "Time to restore service"} <= titles


def test_gitlab_dashboard_queries_only_documented_exporter_metrics() -> None:
    documented = {"gitlab_ci_pipeline_status", "gitlab_ci_pipeline_duration_seconds", "gitlab_ci_pipeline_coverage",
                  "gitlab_ci_environment_deployment_count", "gitlab_ci_environment_behind_duration_seconds",
                  "gitlab_ci_environment_deployment_status"}
    text = json.dumps(dashboard("gitlab_ci")["panels"])
    assert set(re.findall(r"gitlab_ci_\w+", text)) == documented


def test_github_dashboard_says_which_panels_its_exporter_cannot_fill() -> None:
    panels = {p["title"]: p for p in dashboard("github_actions")["panels"]}
    assert panels["Test coverage"]["type"] == "text"
    assert "does not export coverage" in panels["Test coverage"]["options"]["content"]
    assert panels["Deployment frequency"]["targets"]


def test_coverage_threshold_sets_the_panel_and_the_alert() -> None:
    result = quality_dashboards(design("gitlab_ci", threshold=65))
    coverage = next(p for p in json.loads(result["files"][DASHBOARD_PATH])["panels"] if p["title"] == "Test coverage")
    assert [s.get("value") for s in coverage["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 65]
    assert "< 65" in result["alert_rules"]


def test_branch_name_is_escaped_in_alert_expressions() -> None:
    rules = YAML(typ="safe").load(quality_dashboards(design("gitlab_ci", branch='a"b'))["alert_rules"])
    assert 'ref="a\\"b"' in rules["groups"][0]["rules"][0]["expr"]


def test_platform_without_a_supported_exporter_gets_no_files_and_a_note() -> None:
    result = quality_dashboards(design("jenkins"))
    assert result["files"] == {} and "jenkins" in result["notes"][0]


def test_generating_twice_gives_identical_bytes() -> None:
    assert quality_dashboards(design("gitlab_ci")) == quality_dashboards(design("gitlab_ci"))


def test_pipeline_with_include_dashboards_puts_them_in_the_package_and_pr_body() -> None:
    outputs = run_on_fixture("python-pip", include_dashboards=True)
    files = outputs["ci_cd_package"]["files"]
    assert DASHBOARD_PATH in files and RULES_PATH in files
    assert "ci-quality.json" in outputs["implementation_guide"]["body"]
    assert "github-actions-exporter" in outputs["implementation_guide"]["body"]


def test_pipeline_without_include_dashboards_has_no_dashboard() -> None:
    assert DASHBOARD_PATH not in run_on_fixture("python-pip")["ci_cd_package"]["files"]
