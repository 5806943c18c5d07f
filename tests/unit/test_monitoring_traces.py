"""OpenTelemetry Collector config: the component graph and tail-sampling policies against the collector's documented
configuration, environment references, yamllint; instrumentation notes per language; golden files.

No collector binary with the tail_sampling processor is installable from the reachable registries, so
`otelcol validate` does not run here: these checks are structural."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generators.monitoring import traces
from generators.monitoring.model import Service
from generators.monitoring.model import Slo
from monitoring_extras_support import compare_golden
from monitoring_extras_support import sample_plan
from monitoring_extras_support import write
from validators import check_yaml

STACKS = ["prometheus_grafana", "elk", "datadog", "new_relic"]
# Component types (the part of an id before "/") from the collector and collector-contrib READMEs.
RECEIVERS = {"otlp"}
PROCESSORS = {"memory_limiter", "tail_sampling", "batch"}
EXPORTERS = {"otlp", "otlphttp", "datadog"}
EXTENSIONS = {"health_check"}
# tail_sampling policy types and the settings key each one needs (processor/tailsamplingprocessor README).
POLICY_KEYS = {"status_code": "status_code", "latency": "latency", "probabilistic": "probabilistic",
               "string_attribute": "string_attribute", "and": "and"}
# The collector expands ${env:NAME}, ${env:NAME:-default} and ${NAME}; "$$" is a literal dollar.
EXPANSION = re.compile(r"\$\$|\$\{(?:env:)?(\w+)(?::-[^}]*)?\}|\$(\w*)")


def loaded(stack: str = "prometheus_grafana", plan: Any = None) -> dict[str, Any]:
    return YAML(typ="safe").load(traces.generate(plan or sample_plan(stack))[traces.PATH])


def check_policy(policy: dict[str, Any]) -> None:
    assert policy["type"] in POLICY_KEYS, policy
    settings = policy[POLICY_KEYS[policy["type"]]]
    if policy["type"] == "status_code":
        assert set(settings["status_codes"]) <= {"OK", "ERROR", "UNSET"}
    elif policy["type"] == "latency":
        assert isinstance(settings["threshold_ms"], int) and settings["threshold_ms"] > 0
    elif policy["type"] == "probabilistic":
        assert 0 < settings["sampling_percentage"] <= 100
    elif policy["type"] == "string_attribute":
        assert settings["key"] and settings["values"]
    else:
        for sub in settings["and_sub_policy"]:
            check_policy(sub)


@pytest.mark.parametrize("stack", STACKS)
def test_pipeline_references_only_defined_components_and_uses_all_of_them(stack: str) -> None:
    config = loaded(stack)
    pipeline = config["service"]["pipelines"]["traces"]
    for section, kinds in (("receivers", RECEIVERS), ("processors", PROCESSORS), ("exporters", EXPORTERS)):
        assert set(pipeline[section]) == set(config[section]), section
        assert all(name.split("/")[0] in kinds for name in config[section]), section
    assert set(config["service"]["extensions"]) == set(config["extensions"]) <= EXTENSIONS


def test_memory_limiter_runs_first_and_batch_after_sampling() -> None:
    assert loaded()["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "tail_sampling", "batch"]


def test_tail_sampling_keeps_errors_traces_slower_than_each_p99_slo_and_a_baseline() -> None:
    sampling = loaded()["processors"]["tail_sampling"]
    policies = sampling["policies"]
    for policy in policies:
        check_policy(policy)
    assert len({p["name"] for p in policies}) == len(policies)
    assert policies[0] == {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}
    slow = {p["and"]["and_sub_policy"][0]["string_attribute"]["values"][0]:
            p["and"]["and_sub_policy"][1]["latency"]["threshold_ms"] for p in policies if p["type"] == "and"}
    assert slow == {"checkout": 300, "worker": 1000, "admin": 2000}
    assert policies[-1]["probabilistic"]["sampling_percentage"] == traces.BASELINE_PERCENT


@pytest.mark.parametrize("stack", STACKS)
def test_credentials_are_environment_references_and_other_dollars_are_escaped(stack: str) -> None:
    plan = sample_plan(stack)
    odd = dataclasses.replace(plan, services=(*plan.services, Service(
        name="x${env:HOME}$y", tier="tier_3", tier_reason="r", runtime="static")),
                              slos=(*plan.slos, Slo("x${env:HOME}$y", 99.0, 500, 1.0)))
    text = traces.generate(odd)[traces.PATH]
    names = {m.group(1) or m.group(2) for m in EXPANSION.finditer(text) if m.group(0) != "$$"}
    expected = {"prometheus_grafana": {"TEMPO_ENDPOINT"},
                "elk": {"ELASTIC_APM_ENDPOINT", "ELASTIC_APM_SECRET_TOKEN"},
                "datadog": {"DD_API_KEY", "DD_SITE"},
                "new_relic": {"NEW_RELIC_OTLP_ENDPOINT", "NEW_RELIC_LICENSE_KEY"}}
    assert names == expected[stack]
    assert "x$${env:HOME}$$y" in text


@pytest.mark.validators
def test_collector_config_passes_yamllint(tmp_path: Path) -> None:
    write(traces.generate(sample_plan()), tmp_path)
    assert check_yaml([tmp_path / traces.PATH]) == []


def test_instrumentation_notes_cover_each_detected_language_and_the_metric_contract() -> None:
    text = traces.generate(sample_plan())[traces.GUIDE]
    assert "## Python" in text and "`opentelemetry-distro`" in text
    assert "## Go" in text and "`go.opentelemetry.io/otel/sdk`" in text
    assert "## JavaScript / TypeScript (Node.js)" in text and "prom-client" in text
    assert "## Ruby" not in text
    assert "`http_requests_total`" in text and "`http_request_duration_seconds`" in text


def test_every_known_language_has_packages_and_aliases_map_to_them() -> None:
    assert set(traces.LANGUAGES) == {"python", "javascript", "go", "java", "ruby", "dotnet", "php"}
    plan = sample_plan()
    services = tuple(Service(name=f"s{i}", tier="tier_3", tier_reason="r", runtime="static", language=language)
                     for i, language in enumerate(["TypeScript", "csharp", "kotlin", "ruby", "php", "cobol", None]))
    text = traces.guide(dataclasses.replace(plan, services=services))
    for title in (".NET", "Java / Kotlin (JVM)", "Ruby", "PHP", "JavaScript / TypeScript (Node.js)"):
        assert f"## {title}" in text
    assert "No notes for `cobol`" in text and "## Services without a detected language" in text


def test_generating_twice_gives_identical_bytes() -> None:
    assert traces.generate(sample_plan()) == traces.generate(sample_plan())


@pytest.mark.parametrize("stack", ["prometheus_grafana", "datadog"])
def test_collector_config_and_guide_match_the_golden_files(stack: str, update_golden: bool) -> None:
    compare_golden(traces.generate(sample_plan(stack)), f"traces/{stack}", update_golden)
