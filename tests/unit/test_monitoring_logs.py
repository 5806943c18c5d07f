"""Vector config: every VRL program compiled and run by the real VRL compiler (vrl-python), the component graph
checked against Vector's documented component types, redaction on sample lines, yamllint, golden files.

Vector itself (`vector validate`) is not installable from the reachable registries, so the Vector-level check is
this structural one plus the real VRL compiler."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generators.monitoring import logs
from generators.monitoring.model import Service
from monitoring_extras_support import compare_golden
from monitoring_extras_support import sample_plan
from monitoring_extras_support import write
from validators import check_yaml

vrl = pytest.importorskip("vrl_python")

# Component types and their required options, from Vector's configuration reference.
SOURCES = {"kubernetes_logs": set(), "docker_logs": set(), "file": {"include"}, "internal_metrics": set()}
TRANSFORMS = {"remap": {"source"}}
SINKS = {"loki": {"endpoint", "encoding", "labels"}, "elasticsearch": {"endpoints"},
         "datadog_logs": {"default_api_key"}, "new_relic": {"account_id", "license_key", "api"},
         "prometheus_exporter": set()}
# Every option used, per component type: all are documented options (Vector rejects unknown fields).
DOCUMENTED_OPTIONS = {
    "kubernetes_logs": {"extra_label_selector"}, "docker_logs": {"include_containers"},
    "file": {"include", "ignore_older_secs"}, "internal_metrics": set(), "remap": {"inputs", "source"},
    "loki": {"inputs", "endpoint", "encoding", "labels"},
    "elasticsearch": {"inputs", "endpoints", "mode", "data_stream", "auth"},
    "datadog_logs": {"inputs", "default_api_key", "site", "compression"},
    "new_relic": {"inputs", "api", "account_id", "license_key", "region"},
    "prometheus_exporter": {"inputs", "address"},
}
# Vector's interpolation: `$$` is a literal dollar, `${NAME}`, `${NAME:-default}` and `$NAME` read the environment.
INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?::?-[^}]*)?\}|\$(\w+)")


def loaded(stack: str = "prometheus_grafana", plan: Any = None) -> dict[str, Any]:
    return YAML(typ="safe").load(logs.generate(plan or sample_plan(stack))[logs.PATH])


def program(config: dict[str, Any], name: str) -> str:
    return config["transforms"][name]["source"].replace("$$", "$")


def run_chain(config: dict[str, Any], enrich: str, event: dict[str, Any]) -> dict[str, Any]:
    for name in (enrich, "parse", "redact"):
        event = vrl.VRLRuntime.run(program(config, name), event, None).processed_event
    return event


def environment_names(text: str) -> set[str]:
    return {m.group(1) or m.group(2) for m in INTERPOLATION.finditer(text) if m.group(0) != "$$"}


@pytest.mark.parametrize("stack", ["prometheus_grafana", "elk", "datadog", "new_relic"])
def test_every_remap_program_compiles_with_the_real_vrl_compiler(stack: str) -> None:
    config = loaded(stack)
    for name, transform in config["transforms"].items():
        assert vrl.VRLRuntime.check_syntax(program(config, name)) is None, name


def test_the_vrl_check_rejects_an_unknown_redaction_filter() -> None:
    assert vrl.VRLRuntime.check_syntax('.m = redact("x", filters: ["credit_card"])') is not None


@pytest.mark.parametrize("stack", ["prometheus_grafana", "elk", "datadog", "new_relic"])
def test_components_have_documented_types_required_options_and_existing_inputs(stack: str) -> None:
    config = loaded(stack)
    known = {**config["sources"], **config["transforms"]}
    for section, types in (("sources", SOURCES), ("transforms", TRANSFORMS), ("sinks", SINKS)):
        for name, component in config[section].items():
            assert re.fullmatch(r"[a-z0-9_]+", name), name
            assert component["type"] in types, (name, component["type"])
            assert types[component["type"]] <= set(component), name
            assert set(component) - {"type"} <= DOCUMENTED_OPTIONS[component["type"]], name
            assert all(source in known for source in component.get("inputs", [])), name
    consumed = {source for section in ("transforms", "sinks") for component in config[section].values()
                for source in component["inputs"]}
    assert set(known) <= consumed


@pytest.mark.parametrize("stack", ["prometheus_grafana", "elk", "datadog", "new_relic"])
def test_every_log_reaches_its_sink_only_through_redaction(stack: str) -> None:
    config = loaded(stack)
    log_sinks = [s for s in config["sinks"].values() if s["type"] != "prometheus_exporter"]
    assert len(log_sinks) == 1 and log_sinks[0]["inputs"] == ["redact"]
    assert config["transforms"]["redact"]["inputs"] == ["parse"]
    enrich = [name for name in config["transforms"] if name.startswith("enrich_")]
    assert sorted(config["transforms"]["parse"]["inputs"]) == sorted(enrich)


def test_each_stack_ships_to_its_own_log_store_with_secrets_from_the_environment() -> None:
    expected = {"prometheus_grafana": "loki", "elk": "elasticsearch", "datadog": "datadog_logs",
                "new_relic": "new_relic"}
    for stack, sink_type in expected.items():
        text = logs.generate(sample_plan(stack))[logs.PATH]
        types = {s["type"] for s in YAML(typ="safe").load(text)["sinks"].values()}
        assert types == {sink_type, "prometheus_exporter"}
    assert environment_names(logs.generate(sample_plan("elk"))[logs.PATH]) == {
        "ELASTICSEARCH_ENDPOINT", "ELASTICSEARCH_USER", "ELASTICSEARCH_PASSWORD"}
    assert environment_names(logs.generate(sample_plan("datadog"))[logs.PATH]) == {"DD_API_KEY", "DD_SITE"}


def test_sources_follow_the_runtime_of_each_service() -> None:
    plan = sample_plan()
    compose = dataclasses.replace(plan, services=(*plan.services, Service(
        name="cart", tier="tier_2", tier_reason="r", runtime="compose")))
    config = loaded(plan=compose)
    assert config["sources"]["kubernetes"]["extra_label_selector"] == "app.kubernetes.io/name in (checkout,worker)"
    assert config["sources"]["docker"]["include_containers"] == ["cart"]
    assert config["sources"]["file_admin"]["include"] == ["/var/log/admin/*.log"]


def test_json_lines_are_parsed_and_secrets_and_personal_data_redacted() -> None:
    config = loaded()
    line = ('{"level": "ERROR", "message": "payment failed for ann@example.com card 4111 1111 1111 1111",'
            ' "service": "spoofed", "password": "hunter2",'
            ' "request": {"authorization": "Basic abc", "id": 1732612345678},'
            ' "ssn": "123-45-6789"}')
    event = run_chain(config, "enrich_kubernetes",
                      {"message": line, "kubernetes": {"pod_labels": {"app.kubernetes.io/name": "checkout"}}})
    assert event["service"] == "checkout" and event["level"] == "error" and event["log_format"] == "json"
    assert event["message"] == "payment failed for [REDACTED] card [REDACTED]"
    assert event["password"] == "[REDACTED]" and event["request"]["authorization"] == "[REDACTED]"
    assert event["request"]["id"] == 1732612345678 and event["ssn"] == "[REDACTED]"


def test_plain_text_lines_fall_back_to_the_regex_and_are_redacted() -> None:
    config = loaded()
    line = ("2026-11-26T10:00:00Z WARN retry with Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl "
            "key AKIAABCDEFGHIJKLMNOP token=s3cr3t gh=ghp_" + "a" * 36)
    event = run_chain(config, "enrich_file_admin", {"message": line})
    assert event["service"] == "admin" and event["level"] == "warn" and event["log_format"] == "text"
    assert event["log_timestamp"] == "2026-11-26T10:00:00Z"
    for secret in ("eyJ", "AKIA", "s3cr3t", "ghp_"):
        assert secret not in event["message"]
    unparsed = run_chain(config, "enrich_file_admin", {"message": "plain words user=bob"})
    assert unparsed["log_format"] == "unparsed" and unparsed["message"] == "plain words user=bob"


def test_dollar_signs_are_literal_and_only_documented_variables_are_read() -> None:
    plan = sample_plan()
    odd = dataclasses.replace(plan, services=(Service(name='ad"min${HOME}$(id)', tier="tier_3", tier_reason="r",
                                                      runtime="static"),))
    text = logs.generate(odd)[logs.PATH]
    assert environment_names(text) == {"LOKI_ENDPOINT"}
    config = YAML(typ="safe").load(text)
    (enrich,) = [name for name in config["transforms"] if name.startswith("enrich_")]
    assert vrl.VRLRuntime.run(program(config, enrich), {}, None).processed_event["service"] == 'ad"min${HOME}$(id)'
    assert re.fullmatch(r"enrich_file_[a-z0-9_]+", enrich)


@pytest.mark.validators
def test_vector_config_passes_yamllint(tmp_path: Path) -> None:
    write(logs.generate(sample_plan()), tmp_path)
    assert check_yaml([tmp_path / logs.PATH]) == []


def test_generating_twice_gives_identical_bytes() -> None:
    assert logs.generate(sample_plan()) == logs.generate(sample_plan())


@pytest.mark.parametrize("stack", ["prometheus_grafana", "elk"])
def test_vector_config_matches_the_golden_files(stack: str, update_golden: bool) -> None:
    compare_golden(logs.generate(sample_plan(stack)), f"logs/{stack}", update_golden)
