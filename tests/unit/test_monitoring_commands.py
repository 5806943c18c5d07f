"""`/devops setup monitoring [STACK]`: parsed in comments, run as a job against the fake GitHub, one pull request."""

from __future__ import annotations

from typing import Any

import pytest

from bot import messages
from bot.engine import run_pipeline
from bot.errors import InputError
from bot.jobs import Deps
from bot.jobs import run_github_command
from bot.monitoring_job import BRANCH
from bot.github_client import CallCounter
from bot.github_client import make_github
from handlers.commands import parse_comment
from tests.conftest import github_payload
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import FAST
from tests.fakes.job_kit import command_request
from tests.unit.monitoring_support import SHOP

DEVOPS_YML = """monitoring:
  stack: prometheus_grafana
  alert_channels:
    - {type: slack, target: "#shop-alerts"}
    - {type: pagerduty, target: PAGERDUTY_ROUTING_KEY}
  sla: {availability: 99.5, response_time_p99: 250, error_rate: 1}
"""


@pytest.fixture
def payload() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


def seed_shop(fake: FakeGitHub, payload: dict[str, Any], body: str, extra: dict[str, str] | None = None) -> Any:
    from tests.fakes.git_objects import read_directory

    repository = payload["repository"]
    files = {**read_directory(SHOP), **{k: v.encode() for k, v in (extra or {}).items()}}
    repo = fake.add_repo(repository["full_name"], files, default_branch=repository["default_branch"],
                         repo_id=repository["id"])
    comment = payload["comment"]
    repo.add_comment(payload["issue"]["number"], comment["id"], body, comment["user"]["login"])
    repo.grant(comment["user"]["login"], "write")
    return repo


def deps(fake: FakeGitHub) -> Deps:
    counter = CallCounter()
    return Deps(github=make_github("ghs_test", fake.base_url, counter=counter, policy=FAST), job_id="github-job-9",
                counter=counter, memo={}, status_interval=3600, runner=run_pipeline)


def bot_comments(repo: Any) -> list[str]:
    return [c["body"] for c in repo.comments_on(1) if c["user"].endswith("[bot]")]


def test_setup_monitoring_parses_with_and_without_a_stack() -> None:
    assert parse_comment("/devops setup monitoring").options == {"monitoring_stack": None}
    command = parse_comment("/devops setup monitoring Datadog")
    assert (command.kind, command.options) == ("setup_monitoring", {"monitoring_stack": "datadog"})


def test_a_bad_stack_and_stray_words_are_answered_together() -> None:
    with pytest.raises(InputError) as caught:
        parse_comment("/devops setup monitoring nagios extra --fast")
    assert caught.value.problems == [
        messages.invalid_choice("monitoring stack", "nagios", ["prometheus_grafana", "elk", "datadog", "new_relic",
                                                               "custom"]),
        messages.unexpected_argument("extra"),
        "`--fast` is not an option of `setup monitoring`; it takes only a stack, and reads channels, SLA and "
        "inventory from `monitoring` in `.devops.yml`.",
    ]


def test_help_lists_setup_monitoring_and_its_stacks() -> None:
    text = messages.help_text()
    assert "`/devops setup monitoring [STACK]`" in text
    assert "`STACK`: `prometheus_grafana` (default), `elk`, `datadog`, `new_relic`" in text


def test_the_job_opens_one_pull_request_on_devops_bot_monitoring_with_devops_yml_channels(
        fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed_shop(fake_github, payload, "/devops setup monitoring", {".devops.yml": DEVOPS_YML})
    request = command_request(payload, "setup_monitoring", monitoring_stack=None)
    summary = run_github_command(request, deps=deps(fake_github))
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert (pull["head"], pull["base"]) == (BRANCH, payload["repository"]["default_branch"])
    assert pull["title"] == "Monitoring (prometheus_grafana): SLOs, burn-rate alerts and routing for 3 services"
    assert "| `checkout` | tier_1 | public endpoint backed by orders-db |" in pull["body"]
    files = repo.files_on(BRANCH)
    assert "channel: '#shop-alerts'" in files["alertmanager/alertmanager.yml"]
    assert "routing_key_file: /etc/alertmanager/secrets/PAGERDUTY_ROUTING_KEY" in files["alertmanager/alertmanager.yml"]
    assert "(14.4 * 0.005)" in files["prometheus/rules/slo-checkout.yml"]  # 99.5 % from .devops.yml
    url = f"https://github.com/{payload['repository']['full_name']}/blob/{payload['repository']['default_branch']}"
    assert f"runbook_url: {url}/docs/runbooks/ServiceDown.md" in files["prometheus/rules/alerts.yml"]
    assert f"Opened pull request #{summary['pull_request']} with the monitoring setup" in bot_comments(repo)[-1]

    again = run_github_command(request, deps=deps(fake_github))
    assert again["outcome"] == "unchanged" and len(repo.open_pulls()) == 1


def test_a_bad_channel_in_devops_yml_stops_the_job_with_the_problem(fake_github: FakeGitHub,
                                                                     payload: dict[str, Any]) -> None:
    config = "monitoring:\n  alert_channels:\n    - {type: sms, target: 'call me'}\n"
    repo = seed_shop(fake_github, payload, "/devops setup monitoring", {".devops.yml": config})
    summary = run_github_command(command_request(payload, "setup_monitoring", monitoring_stack=None),
                                 deps=deps(fake_github))
    assert summary["outcome"] == "user_error" and repo.open_pulls() == []
    assert ("`alerting_channels[0]` (sms) `phone_number` is 'call me'; it must be an E.164 phone number such as "
            "+447700900123.") in bot_comments(repo)[-1]


def test_someone_without_write_access_is_refused(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed_shop(fake_github, payload, "/devops setup monitoring")
    repo.grant(payload["comment"]["user"]["login"], "read")
    summary = run_github_command(command_request(payload, "setup_monitoring", monitoring_stack=None),
                                 deps=deps(fake_github))
    assert summary["outcome"] == "not_allowed" and repo.open_pulls() == []


def test_refresh_regenerates_the_monitoring_pull_request_from_the_new_devops_yml(
        fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed_shop(fake_github, payload, "/devops setup monitoring", {".devops.yml": DEVOPS_YML})
    run_github_command(command_request(payload, "setup_monitoring", monitoring_stack=None), deps=deps(fake_github))
    base = payload["repository"]["default_branch"]
    repo.commit_on(base, {".devops.yml": DEVOPS_YML.replace("#shop-alerts", "#checkout-oncall")},
                   message="Alerts to the on-call channel")
    summary = run_github_command(command_request(payload, "refresh"), deps=deps(fake_github))
    assert {"branch": BRANCH, "outcome": "updated"}.items() <= summary["pulls"][0].items()
    assert "channel: '#checkout-oncall'" in repo.files_on(BRANCH)["alertmanager/alertmanager.yml"]
