"""Monitoring dashboards: Grafana schema type check, promtool on every query, grid and id invariants, links, golden."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generators.monitoring import dashboards
from generators.monitoring.model import error_ratio
from generators.monitoring.model import slo_error_budget_remaining
from monitoring_extras_support import HOSTILE
from monitoring_extras_support import compare_golden
from monitoring_extras_support import hostile_plan
from monitoring_extras_support import sample_plan
from test_ci_dashboards import PLAIN
from test_ci_dashboards import SCHEMA
from test_ci_dashboards import TSC
from test_ci_dashboards import promql_errors

# The veneer types annotation targets as DataQuery; the JSON's own schema (the CUE-generated raw types) has
# AnnotationTarget, and Prometheus annotations keep `expr` beside it (Grafana's prometheus datasource
# prepareAnnotation moves it into the target when it loads the dashboard).
ANNOTATIONS = ("import type { AnnotationQuery } from '@grafana/schema/dist/esm/raw/dashboard/x/dashboard_types.gen';\n"
               "type Annotation = Plain<AnnotationQuery> & { expr?: string };\n"
               "type Checked = Plain<Omit<Dashboard, 'annotations'>> & { annotations: { list: Annotation[] } };\n")


def type_errors(tmp_path: Path, text: str) -> str:
    if not TSC.exists() or not SCHEMA.exists():
        pytest.skip("tools/node_modules lacks typescript or @grafana/schema; run `npm ci --prefix tools`")
    (tmp_path / "dashboard.ts").write_text(f"import type {{ Dashboard }} from '@grafana/schema';\n{PLAIN}\n"
                                           f"{ANNOTATIONS}export const d: Checked = {text};\n")
    (tmp_path / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "noEmit": True, "skipLibCheck": True, "moduleResolution": "node",
                            "module": "commonjs", "target": "es2020", "baseUrl": ".", "typeRoots": [],
                            "paths": {"@grafana/schema": [str(SCHEMA)], "@grafana/schema/*": [f"{SCHEMA}/*"]}},
        "files": ["dashboard.ts"]}))
    done = subprocess.run([str(TSC), "--noEmit", "-p", str(tmp_path)], capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr if done.returncode else ""


def generated(hostile: bool = False) -> dict[str, dict[str, Any]]:
    files = dashboards.generate(hostile_plan() if hostile else sample_plan())
    return {path: json.loads(text) for path, text in files.items()}


def all_panels(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["panels"]


def test_the_plan_gets_an_overview_an_infrastructure_and_one_health_dashboard_per_service() -> None:
    assert sorted(dashboards.generate(sample_plan())) == [
        "grafana/dashboards/infrastructure.json", "grafana/dashboards/overview.json",
        "grafana/dashboards/service-admin.json", "grafana/dashboards/service-checkout.json",
        "grafana/dashboards/service-worker.json"]


@pytest.mark.parametrize("hostile", [False, True])
def test_panel_ids_are_unique_and_the_grid_has_no_overlap(hostile: bool) -> None:
    for path, data in generated(hostile).items():
        panels = all_panels(data)
        ids = [p["id"] for p in panels]
        assert len(ids) == len(set(ids)), path
        cells: set[tuple[int, int]] = set()
        for panel in panels:
            grid = panel["gridPos"]
            assert 0 < grid["w"] and grid["x"] + grid["w"] <= 24, (path, panel["title"])
            covered = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                       for y in range(grid["y"], grid["y"] + grid["h"])}
            assert not covered & cells, (path, panel["title"])
            cells |= covered


def test_every_target_has_a_ref_id_and_the_templated_datasource() -> None:
    for path, data in generated().items():
        for panel in all_panels(data):
            refs = [t["refId"] for t in panel.get("targets", [])]
            assert len(refs) == len(set(refs)) and all(refs), (path, panel["title"])
            for target in panel.get("targets", []):
                assert target["datasource"]["uid"] == "${datasource}"


@pytest.mark.validators
def test_every_dashboard_type_checks_against_grafana_schema(tmp_path: Path) -> None:
    for index, text in enumerate(dashboards.generate(hostile_plan()).values()):
        folder = tmp_path / str(index)
        folder.mkdir()
        assert type_errors(folder, text) == ""


@pytest.mark.validators
def test_type_check_rejects_a_wrong_panel_field_and_an_unknown_annotation_field(tmp_path: Path) -> None:
    data = generated()["grafana/dashboards/overview.json"]
    data["panels"][0]["gridPos"]["w"] = "eight"
    data["annotations"]["list"][0]["colour"] = "purple"
    errors = type_errors(tmp_path, json.dumps(data))
    assert "not assignable" in errors and "colour" in errors


@pytest.mark.validators
def test_every_panel_and_annotation_query_parses_with_promtool(tmp_path: Path) -> None:
    exprs = [t["expr"] for data in generated(hostile=True).values() for p in all_panels(data)
             for t in p.get("targets", [])]
    exprs += [a["expr"] for data in generated().values() for a in data["annotations"]["list"] if a.get("expr")]
    assert len(exprs) > 30
    assert promql_errors(tmp_path, exprs) == ""


def test_queries_read_the_recorded_series_the_rules_define() -> None:
    text = json.dumps(generated())
    used = set(re.findall(r"(?:service|slo):[a-z_:0-9]+", text))
    assert used == set(dashboards.RECORDED_SERIES)


def test_every_series_the_dashboards_read_is_recorded_by_the_generated_rules() -> None:
    from ruamel.yaml import YAML

    from generators.monitoring.package import prometheus_files

    records = {rule["record"] for path, text in prometheus_files(sample_plan()).items()
               if path.startswith("prometheus/rules/")
               for group in YAML(typ="safe").load(text)["groups"] for rule in group["rules"] if "record" in rule}
    assert set(dashboards.RECORDED_SERIES) <= records


def test_service_health_shows_red_slo_budget_and_burn_rate_for_that_service_only() -> None:
    data = generated()["grafana/dashboards/service-checkout.json"]
    titles = [p["title"] for p in data["panels"]]
    assert {"Rate", "Errors", "Duration", "Availability (30 days)", "Error budget left (30 days)",
            "Error budget burn rate"} <= set(titles)
    exprs = [t["expr"] for p in data["panels"] for t in p.get("targets", [])]
    assert all('service="checkout"' in e for e in exprs)
    burn = next(p for p in data["panels"] if p["title"] == "Error budget burn rate")
    assert [t["expr"] for t in burn["targets"]] == [f'{error_ratio("1h")}{{service="checkout"}} / 0.0005',
                                                    f'{error_ratio("6h")}{{service="checkout"}} / 0.0005']
    budget = next(p for p in data["panels"] if p["title"] == "Error budget left (30 days)")
    assert budget["targets"][0]["expr"].startswith(slo_error_budget_remaining("30d"))


def test_latency_threshold_follows_the_slo() -> None:
    data = generated()["grafana/dashboards/service-checkout.json"]
    p99 = next(p for p in data["panels"] if p["title"] == "p99 latency vs. SLO")
    assert [s.get("value") for s in p99["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 0.3]


def test_infrastructure_covers_cpu_memory_disk_network_and_probes() -> None:
    data = generated()["grafana/dashboards/infrastructure.json"]
    text = json.dumps(data["panels"])
    for metric in ("node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_filesystem_avail_bytes",
                   "node_network_receive_bytes_total", "probe_success"):
        assert metric in text
    assert [v["name"] for v in data["templating"]["list"]] == ["datasource", "instance"]


def test_dashboards_link_to_each_other_and_annotate_deployments() -> None:
    files = generated()
    overview = files["grafana/dashboards/overview.json"]
    content = next(p for p in overview["panels"] if p["type"] == "text")["options"]["content"]
    for uid in ("service-checkout", "service-worker", "service-admin", "monitoring-infrastructure"):
        assert f"/d/{uid}" in content
    for data in files.values():
        assert data["links"][0]["tags"] == [dashboards.TAG] and data["links"][0]["type"] == "dashboards"
        assert dashboards.TAG in data["tags"]
    checkout = files["grafana/dashboards/service-checkout.json"]["annotations"]["list"]
    assert [a["name"] for a in checkout] == ["Deployments", "Kubernetes rollouts"]
    assert checkout[0]["target"]["tags"] == ["deploy", "checkout"] and 'deployment=~"checkout"' in checkout[1]["expr"]
    admin = files["grafana/dashboards/service-admin.json"]["annotations"]["list"]
    assert [a["name"] for a in admin] == ["Deployments"]


def test_user_strings_reach_the_json_escaped_and_markdown_inert() -> None:
    text = dashboards.generate(hostile_plan())["grafana/dashboards/service-checkout.json"]
    data = json.loads(text)
    about = data["panels"][0]["options"]["content"]
    assert "pay\"ments $\\{x\\} $\\(id\\) \\`id\\` team" in about
    assert HOSTILE not in about


def test_long_service_names_keep_uids_within_grafanas_limit() -> None:
    assert len(dashboards.service_uid("a" * 63)) <= 40
    assert dashboards.service_uid("a" * 63) != dashboards.service_uid("a" * 62)


def test_generating_twice_gives_identical_bytes() -> None:
    assert dashboards.generate(sample_plan()) == dashboards.generate(sample_plan())


def test_dashboards_match_the_golden_files(update_golden: bool) -> None:
    compare_golden(dashboards.generate(sample_plan()), "dashboards/kubernetes", update_golden)
