"""`.devops.yml` `permissions` for Slack's `/devops setup monitoring|infra OWNER/REPO`: Slack members and user
groups a rule lists (`slack:U…`, `slack:S…`) may run it; others get an ephemeral refusal naming the rule."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ConfigError
from bot.config import load_config
from bot.engine import run_pipeline
from bot.github_client import make_github
from bot.settings import Settings
from bot.slack_infra import setup_infra_from_slack
from bot.slack_monitoring import setup_monitoring_from_slack
from bot.slack_reporter import slack_client
from tests.fakes.git_objects import read_directory
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import FAST
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import GROUP
from tests.fakes.slack_kit import GROUP_MEMBER
from tests.fakes.slack_kit import STRANGER
from tests.fakes.slack_server import SlackServer
from tests.unit.monitoring_support import SHOP

LISTED = f"""permissions:
  setup monitoring: [alice, "@acme/ops", "slack:{DEPLOYER}", "slack:{GROUP}"]
"""


@pytest.fixture
def slack() -> Any:
    with SlackServer() as server:
        server.usergroups[GROUP] = [GROUP_MEMBER]
        yield server


def run(fake_github: FakeGitHub, slack: Any, user: str, job: Any = setup_monitoring_from_slack,
        **request: Any) -> dict[str, Any]:
    settings = Settings(github_app_id="1", github_webhook_secret="unused", slack_bot_token="xoxb-test",
                        slack_api_url=slack.base_url)
    return job({"repository": "acme/shop", "stack": None, "user_id": user, "channel_id": CHANNEL, **request},
               repository_for=lambda name: make_github("ghs_test", fake_github.base_url, policy=FAST).get_repo(name),
               client=slack_client(settings), runner=run_pipeline)


def ephemerals(slack: Any) -> list[tuple[str, str]]:
    return [(m["user"], m["text"]) for m in slack.named("chat.postEphemeral")]


@pytest.mark.parametrize("user", [DEPLOYER, GROUP_MEMBER])
def test_a_listed_slack_member_or_a_member_of_a_listed_group_opens_the_pull_request(
        fake_github: FakeGitHub, slack: Any, user: str) -> None:
    repo = fake_github.add_repo("acme/shop", {**read_directory(SHOP), ".devops.yml": LISTED})
    assert run(fake_github, slack, user)["outcome"] == "opened"
    assert len(repo.open_pulls()) == 1 and ephemerals(slack) == []


def test_someone_the_list_does_not_admit_gets_an_ephemeral_refusal_naming_the_rule(
        fake_github: FakeGitHub, slack: Any) -> None:
    repo = fake_github.add_repo("acme/shop", {".devops.yml": LISTED})
    summary = run(fake_github, slack, STRANGER)
    assert summary["outcome"] == "forbidden"
    assert ephemerals(slack) == [(STRANGER, (
        "Sorry, you can't run `/devops setup monitoring` on acme/shop: `permissions.setup monitoring` in acme/shop's "
        f"`.devops.yml` lets only `alice`, `@acme/ops`, `slack:{DEPLOYER}`, `slack:{GROUP}` run it, and of those it "
        f"admits <@{DEPLOYER}>, <!subteam^{GROUP}> in Slack; you (<@{STRANGER}>) are not among them."))]
    assert repo.open_pulls() == [] and slack.named("chat.postMessage") == []


def test_a_list_of_github_logins_only_admits_nobody_in_slack(fake_github: FakeGitHub, slack: Any) -> None:
    fake_github.add_repo("acme/shop", {".devops.yml": "permissions:\n  default: [alice]\n"})
    assert run(fake_github, slack, DEPLOYER)["outcome"] == "forbidden"
    [(_, text)] = ephemerals(slack)
    assert ("`permissions.default` in acme/shop's `.devops.yml` lets only `alice` run it, and of those it admits no "
            "Slack member or user group in Slack") in text


def test_a_level_the_file_writes_refuses_slack_users_for_setup_infra_too(fake_github: FakeGitHub, slack: Any) -> None:
    repo = fake_github.add_repo("acme/shop", {".devops.yml": "permissions:\n  setup infra: maintain\n"})
    summary = run(fake_github, slack, DEPLOYER, setup_infra_from_slack,
                  options={"cloud_provider": "aws", "environment_type": "staging"})
    assert summary["outcome"] == "forbidden"
    assert ephemerals(slack) == [(DEPLOYER, (
        "Sorry, you can't run `/devops setup infra` on acme/shop from Slack: `permissions.setup infra` in acme/shop's "
        "`.devops.yml` is `maintain`, a GitHub role that Slack users do not have. To let Slack users run it, list "
        "them there as `slack:U…` (member ids) or `slack:S…` (user group ids)."))]
    assert repo.open_pulls() == []


def test_slack_entries_admit_nobody_on_github_and_bad_ones_are_refused_by_the_schema() -> None:
    config = load_config(LISTED)
    allowed, why = config.may_run("setup monitoring", DEPLOYER, "write")
    assert not allowed and f"`slack:{DEPLOYER}`" in why
    assert config.may_run("setup monitoring", "alice", "read")[0]
    with pytest.raises(ConfigError, match=r"\.devops\.yml:2:"):
        load_config("permissions:\n  setup monitoring: ['slack:alice']\n")
