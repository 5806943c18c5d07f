"""Monitoring setup: golden files, and every Prometheus/Alertmanager file proven by promtool and amtool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.unit.monitoring_support import GOLDEN
from tests.unit.monitoring_support import check
from tests.unit.monitoring_support import inventory_inputs
from tests.unit.monitoring_support import own_files
from tests.unit.monitoring_support import promtool_for_config
from tests.unit.monitoring_support import pull_request_text
from tests.unit.monitoring_support import repository_inputs
from tests.unit.monitoring_support import run_monitoring
from tests.unit.monitoring_support import tool
from tests.unit.monitoring_support import write

CASES = {"inventory": inventory_inputs, "repository": repository_inputs}


@pytest.fixture(scope="module")
def outputs() -> dict[str, Any]:
    """Each case run once for the module."""
    return {case: run_monitoring(make()) for case, make in CASES.items()}


def yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_files_match_the_golden_files(case: str, outputs: dict[str, Any], update_golden: bool) -> None:
    files = {**own_files(outputs[case]), "pull_request.md": pull_request_text(outputs[case])}
    root = GOLDEN / case / "expected"
    if update_golden:
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        write(files, root)
    expected = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}
    assert files == expected


def test_a_second_run_gives_byte_identical_files(outputs: dict[str, Any]) -> None:
    again = run_monitoring(inventory_inputs())
    assert again.outputs["monitoring_package"] == outputs["inventory"].outputs["monitoring_package"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_promtool_accepts_the_config_lints_the_rules_and_passes_the_generated_unit_tests(
        case: str, outputs: dict[str, Any], tmp_path: Path) -> None:
    files = own_files(outputs[case])
    root = write(files, tmp_path)
    rules = sorted(p for p in files if p.startswith("prometheus/rules/"))
    tests = sorted(p for p in files if p.startswith("prometheus/tests/"))
    # one test file per SLO rule file, and one for the health and saturation alerts
    assert rules and len(tests) == len([p for p in rules if "/slo-" in p]) + 1 and "prometheus/tests/alerts.yml" in tests
    check([promtool_for_config(files["prometheus/prometheus.yml"]), "check", "config",
           "prometheus/prometheus.yml"], root)
    check([tool("promtool"), "check", "config", "prometheus/prometheus-longterm.yml"], root)
    check([tool("promtool"), "check", "rules", "--lint-fatal", *rules], root)
    done = check([tool("promtool"), "test", "rules", *tests], root)
    assert done.stdout.count("SUCCESS") == len(tests)


def test_the_generated_unit_tests_fail_when_the_page_would_not_fire(outputs: dict[str, Any], tmp_path: Path) -> None:
    files = own_files(outputs["inventory"])
    slo = files["prometheus/rules/slo-checkout.yml"]
    # Both page conditions at 30x: the generated 20x burn no longer pages, and its test must say so.
    broken = slo.replace("(14.4 * 0.0005)", "(30 * 0.0005)").replace("(6 * 0.0005)", "(30 * 0.0005)")
    assert broken != slo
    root = write({**files, "prometheus/rules/slo-checkout.yml": broken}, tmp_path)
    import subprocess

    done = subprocess.run([tool("promtool"), "test", "rules", "prometheus/tests/slo-checkout.yml"], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "AvailabilityBudgetBurnPage" in done.stdout + done.stderr


def test_each_slo_has_fast_slow_and_healthy_cases_for_availability_and_latency(outputs: dict[str, Any]) -> None:
    tests = yaml(own_files(outputs["inventory"])["prometheus/tests/slo-checkout.yml"])["tests"]
    names = [test["name"] for test in tests]
    for kind in ("availability", "latency"):
        assert f"checkout {kind}: a 20x burn pages within 10 minutes" in names
        assert f"checkout {kind}: a 4x burn opens a ticket and never pages" in names
        assert f"checkout {kind}: half the budget fires nothing" in names


def test_every_alert_has_severity_team_summary_description_and_a_runbook_in_the_pr(outputs: dict[str, Any]) -> None:
    for case in CASES:
        files = own_files(outputs[case])
        alerts = [rule for path, text in files.items() if path.startswith("prometheus/rules/")
                  for group in yaml(text)["groups"] for rule in group["rules"] if "alert" in rule]
        assert len({a["alert"] for a in alerts}) >= 15
        for alert in alerts:
            assert alert["labels"]["severity"] in ("page", "ticket") and alert["labels"]["team"]
            assert alert["annotations"]["summary"] and alert["annotations"]["description"]
            url = alert["annotations"]["runbook_url"]
            assert url == f"https://github.com/acme/shop/blob/main/docs/runbooks/{alert['alert']}.md"
            assert f"docs/runbooks/{alert['alert']}.md" in files


def test_saturation_alerts_cover_threshold_rate_of_change_and_prediction(outputs: dict[str, Any]) -> None:
    rules = yaml(own_files(outputs["inventory"])["prometheus/rules/alerts.yml"])
    exprs = {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule}
    for threshold, change, prediction in (("DiskSpaceLow", "DiskFillingFast", "DiskWillFillIn4h"),
                                          ("MemoryPressure", "MemoryDroppingFast", "MemoryExhaustionPredicted"),
                                          ("DatastoreConnectionsHigh", "DatastoreConnectionsRisingFast",
                                           "DatastoreConnectionsExhaustionPredicted")):
        assert " > 0.8" in exprs[threshold] or " < 0.10" in exprs[threshold] or "> 0.90" in exprs[threshold]
        assert "offset" in exprs[change] or "delta(" in exprs[change]
        assert "predict_linear(" in exprs[prediction]
    assert "pg_stat_activity_count" in str(rules)


def test_scrape_jobs_follow_the_tiers_kubernetes_discovery_static_targets_and_probes(outputs: dict[str, Any]) -> None:
    config = yaml(own_files(outputs["inventory"])["prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["checkout"]["scrape_interval"] == "15s" and "kubernetes_sd_configs" in jobs["checkout"]
    assert jobs["worker"]["scrape_interval"] == "15s"  # tier_1: on checkout's critical path
    assert jobs["admin"]["scrape_interval"] == "300s"
    assert jobs["admin"]["static_configs"] == [{"targets": ["admin:3000"], "labels": {
        "service": "admin", "tier": "tier_3", "node": "node-1"}}]
    assert jobs["blackbox-http"]["static_configs"] == [{"targets": ["http://checkout:8080/healthz"],
                                                        "labels": {"service": "checkout"}}]
    assert jobs["node-static"]["static_configs"][0]["targets"] == ["10.0.0.11:9100"]
    assert config["rule_files"] == ["rules/*.yml"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_amtool_accepts_the_config_and_routes_by_team_severity_tier_and_escalates(outputs: dict[str, Any],
                                                                                  tmp_path: Path) -> None:
    files = own_files(outputs["inventory"])
    root = write(files, tmp_path)
    amtool = tool("amtool")
    check([amtool, "check-config", "alertmanager/alertmanager.yml"], root)
    expected = {("team=payments", "severity=page", "tier=tier_1"): "escalation,payments-page",
                ("team=payments", "severity=ticket", "tier=tier_1"): "payments-ticket",
                ("team=backoffice", "severity=page", "tier=tier_3"): "backoffice-page",
                ("team=platform", "severity=page", "alertname=NodeDown"): "platform-page",
                ("severity=page",): "default"}
    for labels, receivers in expected.items():
        done = check([amtool, "config", "routes", "test", "--config.file=alertmanager/alertmanager.yml", *labels],
                     root)
        assert done.stdout.strip() == receivers, labels


def test_alertmanager_references_secrets_and_never_inlines_them(outputs: dict[str, Any]) -> None:
    text = own_files(outputs["inventory"])["alertmanager/alertmanager.yml"]
    config = yaml(text)
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["payments-page"]["slack_configs"][0]["api_url_file"] == \
        "/etc/alertmanager/secrets/SLACK_WEBHOOK_URL"
    assert receivers["escalation"]["pagerduty_configs"][0]["routing_key_file"] == \
        "/etc/alertmanager/secrets/PAGERDUTY_ROUTING_KEY"
    assert "slack_configs" not in receivers["backoffice-ticket"] or all(
        c["channel"] == "#ops" for c in receivers["backoffice-ticket"]["slack_configs"])  # team-scoped channel
    assert "hooks.slack.com" not in text and "routing_key:" not in text and "api_url:" not in text
    inhibit = config["inhibit_rules"]
    assert inhibit[0]["source_matchers"][0] == 'severity="page"' and inhibit[0]["equal"] == ["service", "slo"]
    assert inhibit[1]["source_matchers"] == ['alertname="NodeDown"'] and inhibit[1]["equal"] == ["node"]
    assert [t["name"] for t in config["time_intervals"]] == ["business-hours", "off-hours"]


def test_repository_case_reads_services_tiers_and_single_points_of_failure(outputs: dict[str, Any]) -> None:
    run = outputs["repository"]
    text = pull_request_text(run)
    assert "| `checkout` | tier_1 | public endpoint backed by orders-db |" in text
    assert "| `worker` | tier_1 | on the critical path of checkout" in text
    assert "| `admin` | tier_2 | public endpoint without a datastore |" in text
    assert "checkout → worker → sessions" in text
    assert "**`orders-db`**: one postgresql shared by checkout and worker" in text
    config = yaml(own_files(run)["prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"checkout", "worker", "admin", "orders-db-exporter", "sessions-exporter", "node"} <= set(jobs)
    receivers = {r["name"]: r for r in yaml(own_files(run)["alertmanager/alertmanager.yml"])["receivers"]}
    assert receivers["escalation"]["sns_configs"][0]["phone_number"] == "+447700900123"
    assert receivers["platform-ticket"]["email_configs"][0]["to"] == "ops@example.com"


def test_the_package_gathers_dashboards_collectors_playbooks_and_docs(outputs: dict[str, Any]) -> None:
    files = outputs["inventory"].outputs["monitoring_package"]["files"]
    assert {"grafana/dashboards/overview.json", "grafana/dashboards/service-checkout.json",
            "collectors/vector.yaml", "collectors/otel-collector.yaml", "playbooks/README.md",
            "docs/monitoring/operations.md", "docs/monitoring/compliance.md"} <= set(files)
    guide = outputs["inventory"].outputs["operational_guide"]["files"]
    assert "docs/monitoring/operations.md" in guide and "docs/monitoring/compliance.md" not in guide
    assert list(outputs["inventory"].outputs["compliance_report"]["files"]) == ["docs/monitoring/compliance.md"]


@pytest.mark.parametrize(("stack", "own", "prometheus"), [("elk", "elk/filebeat.yml", True),
                                                         ("datadog", "datadog/main.tf", False),
                                                         ("new_relic", "newrelic/main.tf", False)])
def test_other_stacks_get_their_own_files_runbooks_and_prometheus_only_where_alerts_stay_there(
        stack: str, own: str, prometheus: bool) -> None:
    run = run_monitoring({**inventory_inputs(), "monitoring_stack": stack})
    files = run.outputs["monitoring_package"]["files"]
    assert own in files and "docs/runbooks/AvailabilityBudgetBurnPage.md" in files
    assert ("prometheus/rules/slo-checkout.yml" in files) is prometheus
    assert ("alertmanager/alertmanager.yml" in files) is prometheus
    assert not any(path.startswith("grafana/") for path in files)
    body = run.outputs["monitoring_package"]["pull_request"]["body"]
    assert ("## Checked" in body) is prometheus and "## Not generated" in body


def test_the_generated_alert_tests_fail_when_the_disk_prediction_looks_too_short(outputs: dict[str, Any],
                                                                                  tmp_path: Path) -> None:
    import subprocess

    files = own_files(outputs["inventory"])
    alerts = files["prometheus/rules/alerts.yml"]
    broken = alerts.replace("[6h], 4 * 3600) < 0", "[6h], 600) < 0")
    assert broken != alerts
    root = write({**files, "prometheus/rules/alerts.yml": broken}, tmp_path)
    done = subprocess.run([tool("promtool"), "test", "rules", "prometheus/tests/alerts.yml"], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "DiskWillFillIn4h" in done.stdout + done.stderr
    tests = yaml(files["prometheus/tests/alerts.yml"])["tests"]
    assert [t["alert_rule_test"][0]["alertname"] for t in tests] == [
        "NodeDown", "DiskSpaceLow", "DiskWillFillIn4h", "MemoryPressure", "DatastoreConnectionsHigh"]


def test_the_long_term_prometheus_federates_exactly_the_5m_and_1h_aggregates(outputs: dict[str, Any]) -> None:
    files = own_files(outputs["inventory"])
    config = YAML(typ="safe").load(files["prometheus/prometheus-longterm.yml"])
    [job] = config["scrape_configs"]
    assert (job["metrics_path"], job["honor_labels"], job["static_configs"]) == (
        "/federate", True, [{"targets": ["prometheus:9090"]}])
    recorded = {rule["record"] for path, text in files.items() if path.startswith("prometheus/rules/")
                for group in YAML(typ="safe").load(text)["groups"] for rule in group["rules"] if "record" in rule}
    assert job["params"]["match[]"] == sorted(name for name in recorded if name.endswith(("5m", "1h")))
    assert {"service:http_requests:rate5m", "service:http_requests_errors:ratio_rate1h",
            "service:http_request_duration_seconds:p99_1h",
            "service:http_request_duration_seconds:slow_ratio_rate5m"} <= set(job["params"]["match[]"])
    assert not any(name.startswith("http_") or name.endswith(("30m", "6h", "30d")) for name in job["params"]["match[]"])
    assert "--storage.tsdb.retention.time=365d" in files["prometheus/prometheus-longterm.yml"]
