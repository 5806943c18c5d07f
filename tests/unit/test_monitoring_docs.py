"""Operational guide and compliance notes: the SPEC's sections, per-stack content, escaping, golden files."""

from __future__ import annotations

import re

import pytest

from generators.monitoring import docs
from monitoring_extras_support import HOSTILE
from monitoring_extras_support import compare_golden
from monitoring_extras_support import hostile_plan
from monitoring_extras_support import sample_plan

STACKS = ["prometheus_grafana", "elk", "datadog", "new_relic"]


def table_rows_are_regular(text: str) -> list[str]:
    """Rows of each Markdown table whose cell count differs from the header's (unescaped pipes counted)."""
    bad: list[str] = []
    width = None
    for line in text.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))
        if width is None:
            width = cells
        elif cells != width:
            bad.append(line)
    return bad


def test_operations_guide_has_the_spec_sections() -> None:
    text = docs.generate(sample_plan())[docs.OPERATIONS]
    for heading in ("## Architecture", "## Setup", "## Dashboard guide", "## Alert response procedures",
                    "### Error budget policy and freeze conditions", "## Troubleshooting", "## Maintenance"):
        assert heading in text


def test_compliance_notes_cover_retention_access_encryption_and_regulations() -> None:
    text = docs.generate(sample_plan())[docs.COMPLIANCE]
    for heading in ("## Data retention", "## Access controls", "## Encryption", "## Regulatory mappings",
                    "## Personal data and secrets in telemetry"):
        assert heading in text
    assert "| raw metric samples | Prometheus | 7d |" in text
    assert "| 1-hour aggregates | recording rules, long-term Prometheus (federated) | 365d |" in text


def test_guide_lists_every_service_with_its_tier_slo_and_dashboard() -> None:
    text = docs.generate(sample_plan())[docs.OPERATIONS]
    assert "| checkout | tier_1 | public endpoint on the critical path of payments | payments | kubernetes | " \
           "99.95 % / 300 ms / 0.05 % |" in text
    assert "`grafana/dashboards/service-checkout.json`" in text
    assert "s_checkout --> d_orders_db" in text and "s_checkout --> s_worker" in text


def test_channel_secrets_are_named_by_key_never_by_value() -> None:
    text = docs.generate(sample_plan())[docs.COMPLIANCE]
    assert "`pagerduty-oncall: routing_key_secret`" in text
    assert "PAGERDUTY_ROUTING_KEY" not in text


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_gets_its_own_setup_and_stores(stack: str) -> None:
    files = docs.generate(sample_plan(stack))
    setup = files[docs.OPERATIONS].split("## Setup")[1].split("## Dashboard guide")[0]
    expected = {"prometheus_grafana": "promtool check config", "elk": "index lifecycle policy",
                "datadog": "`datadog/`", "new_relic": "`newrelic/`"}
    assert expected[stack] in setup
    assert table_rows_are_regular(files[docs.OPERATIONS]) == []
    assert table_rows_are_regular(files[docs.COMPLIANCE]) == []


def test_user_strings_cannot_break_tables_or_the_diagram() -> None:
    files = docs.generate(hostile_plan())
    for text in files.values():
        assert HOSTILE not in text
        assert table_rows_are_regular(text) == []
    assert "pay\"ments $\\{x\\} $\\(id\\) \\`id\\` team" in files[docs.OPERATIONS]
    assert 'for `acme/sh"op`' in files[docs.OPERATIONS]


def test_the_table_check_catches_a_stray_pipe() -> None:
    assert table_rows_are_regular("| a | b |\n| --- | --- |\n| x | y | z |\n") == ["| x | y | z |"]


def testmermaid_labels_escape_quotes() -> None:
    assert docs.mermaid_label('a"b<c>') == "a#34;b#60;c#62;"


def test_generating_twice_gives_identical_bytes() -> None:
    assert docs.generate(sample_plan()) == docs.generate(sample_plan())


@pytest.mark.parametrize("stack", ["prometheus_grafana", "datadog"])
def test_docs_match_the_golden_files(stack: str, update_golden: bool) -> None:
    compare_golden(docs.generate(sample_plan(stack)), f"docs/{stack}", update_golden)
