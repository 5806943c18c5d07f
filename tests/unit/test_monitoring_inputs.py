"""Monitoring setup inputs: every bad value answered precisely, all at once; tiers and their reasons."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from generators.monitoring.inputs import read_channels
from generators.monitoring.inputs import read_inventory
from generators.monitoring.inputs import read_sla
from generators.monitoring.topology import analyze
from tests.unit.monitoring_support import run_monitoring

CONTAINERS = [{"name": "api", "port": 8080, "public": True}]


def problems_of(**inputs: object) -> list[str]:
    with pytest.raises(InputError) as caught:
        run_monitoring({"monitoring_stack": "prometheus_grafana",
                        "infrastructure_inventory": {"containers": CONTAINERS}, **inputs})
    return caught.value.problems


def test_an_unknown_stack_names_the_valid_stacks() -> None:
    with pytest.raises(InputError) as caught:
        run_monitoring({"monitoring_stack": "nagios", "infrastructure_inventory": {"containers": CONTAINERS}})
    assert caught.value.problems == ["`monitoring_stack` is 'nagios'; valid values: prometheus_grafana, elk, datadog, "
                                     "new_relic, custom"]


def test_the_custom_stack_is_refused_with_what_can_be_generated() -> None:
    assert problems_of(monitoring_stack="custom") == [
        "`monitoring_stack` is `custom`: devops-bot cannot generate a stack it does not know; choose one of "
        "prometheus_grafana, elk, datadog, new_relic."]


@pytest.mark.parametrize(("sla", "expected"), [
    ({"availability": 100.5}, "`sla_requirements.availability` is 100.5; it must be a percentage above 0 and "
                              "below 100, such as 99.9."),
    ({"availability": 100}, "`sla_requirements.availability` is 100; it must be a percentage above 0 and below "
                            "100, such as 99.9."),
    ({"response_time_p99": 0}, "`sla_requirements.response_time_p99` is 0; it must be milliseconds above 0, such "
                               "as 1000."),
    ({"error_rate": 101}, "`sla_requirements.error_rate` is 101; it must be a percentage from 0 to 100, such as "
                          "0.1."),
])
def test_sla_values_out_of_range_name_the_value_and_the_range(sla: dict[str, float], expected: str) -> None:
    assert problems_of(sla_requirements=sla) == [expected]


def test_channels_without_their_config_or_with_inline_secrets_are_refused_all_at_once() -> None:
    problems = problems_of(sla_requirements={"availability": 120}, alerting_channels=[
        {"type": "slack", "config": {}},
        {"type": "pagerduty", "config": {"routing_key": "abc123"}},
        {"type": "sms", "config": {"phone_number": "0770 090"}},
        {"type": "webhook", "config": {"url": "ftp://x"}},
        {"type": "email", "config": {"to": "not-an-address"}},
    ])
    assert problems == [
        "`sla_requirements.availability` is 120; it must be a percentage above 0 and below 100, such as 99.9.",
        "`alerting_channels[0]` (slack) needs `config.channel`: a channel such as #alerts.",
        "`alerting_channels[1]` (pagerduty) sets `routing_key` inline; secrets are never written into the generated "
        "files: store it as a secret and give its name as `routing_key_secret`.",
        "`alerting_channels[1]` (pagerduty) needs `config.routing_key_secret`: the name of the secret holding the "
        "Events v2 routing key, such as PAGERDUTY_ROUTING_KEY.",
        "`alerting_channels[2]` (sms) `phone_number` is '0770 090'; it must be an E.164 phone number such as "
        "+447700900123.",
        "`alerting_channels[3]` (webhook) `url` is 'ftp://x'; it must start with http:// or https://.",
        "`alerting_channels[4]` (email) `to` is 'not-an-address'; it must be an email address.",
    ]


def test_an_unknown_channel_type_is_refused_by_the_pipeline_schema() -> None:
    with pytest.raises(InputError) as caught:
        run_monitoring({"monitoring_stack": "prometheus_grafana", "infrastructure_inventory": {"containers": CONTAINERS},
                        "alerting_channels": [{"type": "carrier_pigeon"}]})
    assert caught.value.problems == ["`alerting_channels[0].type` is 'carrier_pigeon'; valid values: email, slack, "
                                     "pagerduty, webhook, sms"]


def test_devops_yml_channel_targets_fill_the_required_setting() -> None:
    channels, problems = read_channels([{"type": "slack", "target": "#alerts"},
                                        {"type": "pagerduty", "target": "payments-primary"},
                                        {"type": "email", "target": "ops@example.com"}])
    assert problems == []
    assert [(c.name, c.config, c.severities) for c in channels] == [
        ("slack", {"channel": "#alerts"}, ("page", "ticket")),
        ("pagerduty", {"routing_key_secret": "payments-primary"}, ("page",)),
        ("email", {"to": "ops@example.com"}, ("ticket",))]


def test_inventory_problems_name_the_entry_and_the_valid_values() -> None:
    _, problems = read_inventory({"containers": [{"name": "API", "port": 70000}, {"name": "web", "depends_on": ["db"]}],
                                  "databases": [{"name": "cache", "kind": "memcached"}], "vms": []})
    assert problems == [
        "`infrastructure_inventory.vms` is not a section; the sections are servers, containers, serverless, databases.",
        "`infrastructure_inventory.containers[0].name` is 'API'; a name is a DNS label: lowercase letters, digits and "
        "`-`, at most 63 characters.",
        "`infrastructure_inventory.containers[0].port` is 70000; a port is a whole number 1-65535.",
        "`infrastructure_inventory.databases[0].kind` is 'memcached'; valid: postgresql, mysql, redis, mongodb, kafka, "
        "rabbitmq, elasticsearch.",
        "service `web` depends on `db`, which the inventory does not have; known: web.",
    ]


def test_no_inventory_and_no_repository_is_answered() -> None:
    with pytest.raises(InputError) as caught:
        run_monitoring({"monitoring_stack": "prometheus_grafana"})
    assert "`infrastructure_inventory` is empty and there is no `project_path`" in caught.value.problems[0]


def test_read_sla_accepts_the_spec_defaults() -> None:
    assert read_sla({"availability": 99.9, "response_time_p99": 1000, "error_rate": 0.1}) == (
        {"availability": 99.9, "response_time_p99": 1000.0, "error_rate": 0.1}, [])


def test_tiers_come_with_their_reason() -> None:
    inventory, problems = read_inventory({
        "containers": [{"name": "shop", "port": 80, "public": True, "depends_on": ["auth", "db"]},
                       {"name": "auth", "port": 81, "depends_on": ["sessions"]},
                       {"name": "docs", "port": 82, "public": True},
                       {"name": "mailer", "port": 83, "depends_on": ["queue"]},
                       {"name": "cron", "port": 84}],
        "databases": [{"name": "db", "kind": "postgresql"}, {"name": "sessions", "kind": "redis"},
                      {"name": "queue", "kind": "rabbitmq"}]})
    assert problems == []
    tiers = {s["name"]: (s["tier"], s["tier_reason"]) for s in analyze(inventory)["services"]}
    assert tiers == {
        "shop": ("tier_1", "public endpoint backed by db"),
        "auth": ("tier_1", "on the critical path of shop (public endpoint backed by db)"),
        "docs": ("tier_2", "public endpoint without a datastore"),
        "mailer": ("tier_2", "internal service that uses queue"),
        "cron": ("tier_3", "internal and stateless"),
    }
    result = analyze(inventory)
    assert result["critical_paths"] == [["docs"], ["shop", "auth", "sessions"], ["shop", "db"]]
    assert {"component": "shop", "reason": "tier_1 service with a single replica"} in result["single_points_of_failure"]
