"""Slack `/deploy` applies the `deploy` rules of the app repository's `.devops.yml`, with the apps file as the
operator's floor (bot/deploy_rules.py).

The world of test_slack.py (signed commands and clicks, real Redis queue and rollout engine, fake Slack, in-memory
platform) plus the GitHub App: the deploy job reads the file from the fake GitHub through the installation, as a
worker would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.rollouts import driver
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_server import ServerThread
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import GROUP
from tests.fakes.slack_kit import World
from tests.fakes.slack_kit import click_body
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import post
from tests.handlers.test_slack import ephemerals
from tests.handlers.test_slack import gate_value
from tests.handlers.test_slack import world  # noqa: F401  (the fixture)

REPO_APPROVER = "U0REPOAPPR"


@pytest.fixture
def github(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:  # noqa: F811
    """acme/checkout on a fake GitHub, with the App's settings in the environment the jobs read."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with ServerThread() as fake:
        fake.add_repo("acme/checkout", {"README.md": "checkout\n"})
        for name, value in {"GITHUB_APP_ID": "77", "GITHUB_PRIVATE_KEY": key,
                            "GITHUB_API_URL": fake.base_url}.items():
            monkeypatch.setenv(name, value)
        yield fake


def devops_yml(fake: FakeGitHub, text: str) -> None:
    fake.repos["acme/checkout"].commit_on("main", {".devops.yml": text})


def deploy(world: World, text: str = "checkout", user: str = DEPLOYER) -> None:
    assert post(world.client, command_body(text, user=user)).status_code == 200
    world.run_jobs()


def rules_reply(world: World) -> str:
    [reply] = [m["text"] for m in world.slack.named("chat.postMessage")
               if m.get("thread_ts") and m["text"].startswith("Rules for this deploy")]
    return reply


def click(world: World, user: str) -> None:
    assert post(world.client, click_body(gate_value(world), user)).status_code == 200
    world.run_jobs()


def without_staging_approvers(world: World) -> None:
    text = world.apps_file.read_text()
    world.apps_file.write_text(text.replace(f"      staging: [{APPROVER}, {DEPLOYER}, {GROUP}]\n", ""))


def test_the_repositorys_strategy_approval_points_and_gate_win_over_the_apps_file(world: World, github: Any) -> None:
    devops_yml(github, "deploy:\n  environments:\n    staging:\n      strategy: rolling\n"
                       "      manual_approval_points: ['50%']\n      gate: {timeout_minutes: 5, on_timeout: pause}\n")
    deploy(world)
    rollout = world.latest()
    assert rollout.strategy == "rolling"  # the apps file says canary
    assert [s.weight for s in rollout.stages if s.manual_approval] == [50]  # the apps file gates 10%
    assert (rollout.gate_timeout_seconds, rollout.on_gate_timeout) == (300.0, "pause")
    lines = rules_reply(world).split("\n")
    assert lines[0] == "Rules for this deploy: acme/checkout's `.devops.yml` (main) over the apps file."
    assert lines[1:4] == ["• strategy: `rolling` (`deploy.environments.staging.strategy`)",
                          "• approval points: 50% (`deploy.environments.staging.manual_approval_points`)",
                          "• gate: 5 min, then pause (`deploy.environments.staging.gate`)"]
    assert "• success criteria: the apps file's (apps file)" in lines


def test_a_strategy_written_in_the_command_wins_over_the_repositorys(world: World, github: Any) -> None:
    devops_yml(github, "deploy:\n  apps:\n    checkout:\n      staging: {strategy: rolling}\n")
    deploy(world, "checkout blue_green")
    assert world.latest().strategy == "blue_green"
    assert "• strategy: `blue_green` (your command)" in rules_reply(world).split("\n")


@pytest.mark.parametrize(("apps_file_allows", "repository_allows", "refused_because"), [
    (True, False, "acme/checkout's `.devops.yml` forbids it (deploy.environments.staging.allow_self_approval: false)"),
    (False, True, "the apps file does not allow self-approval (allow_self_approval: false)"),
])
def test_self_approval_is_allowed_only_when_neither_side_forbids_it(world: World, github: Any, apps_file_allows: bool,
                                                                     repository_allows: bool,
                                                                     refused_because: str) -> None:
    # the deployer is one of checkout's staging approvers in the apps file
    world.apps_file.write_text(world.apps_file.read_text() + f"    allow_self_approval: {str(apps_file_allows).lower()}\n")
    devops_yml(github, "deploy:\n  environments:\n    staging:\n"
                       f"      allow_self_approval: {str(repository_allows).lower()}\n")
    deploy(world)
    assert world.advance_to_gate_or_end().state == "waiting_approval"
    click(world, DEPLOYER)
    assert world.latest().state == "waiting_approval"
    [refusal] = ephemerals(world, DEPLOYER)
    assert refusal == f"You can't approve this, because you started this deploy, and {refused_because}."
    assert "• self-approval: not allowed" in rules_reply(world)
    click(world, APPROVER)
    assert world.latest().state == "succeeded"


def test_the_apps_files_approvers_stand_and_the_thread_names_the_repositorys_other_ones(world: World,
                                                                                       github: Any) -> None:
    devops_yml(github, f"deploy:\n  environments:\n    production:\n      approvers: [{REPO_APPROVER}, alice]\n")
    deploy(world, "checkout to production")
    reply = rules_reply(world)
    assert f"• approvers: <@{APPROVER}> (apps file)" in reply.split("\n")
    assert ("acme/checkout's `deploy.environments.production.approvers` lists other approvers (U0REPOAPPR, alice); "
            "the apps file's list is used, because the operator's approvers stand.") in reply
    assert world.advance_to_gate_or_end().state == "waiting_approval"
    click(world, REPO_APPROVER)
    assert world.latest().state == "waiting_approval"
    [refusal] = ephemerals(world, REPO_APPROVER)
    assert "you are not an approver of checkout in production" in refusal and "in the apps file" in refusal
    click(world, APPROVER)
    assert world.latest().state == "succeeded"


def test_without_approvers_in_the_apps_file_the_repositorys_slack_ids_approve_and_logins_are_named(
        world: World, github: Any) -> None:
    without_staging_approvers(world)
    devops_yml(github, "deploy:\n  apps:\n    checkout:\n      staging:\n"
                       f"        approvers: [{REPO_APPROVER}, alice, '@acme/ops']\n")
    deploy(world)
    reply = rules_reply(world)
    assert f"• approvers: <@{REPO_APPROVER}> (`deploy.apps.checkout.staging.approvers`)" in reply.split("\n")
    assert ("These approvers in acme/checkout's `deploy.apps.checkout.staging.approvers` cannot approve in Slack, "
            "which does not know GitHub logins or teams: alice, @acme/ops. Write Slack member ids (U…/W…) or user "
            "group ids (S…).") in reply
    assert world.advance_to_gate_or_end().state == "waiting_approval"
    click(world, APPROVER)  # an approver of production in the apps file, not of staging here
    assert world.latest().state == "waiting_approval"
    click(world, REPO_APPROVER)
    assert world.latest().state == "succeeded"


def test_approvers_the_operator_adds_to_the_apps_file_mid_rollout_replace_the_repositorys_at_once(
        world: World, github: Any) -> None:
    without_staging_approvers(world)
    devops_yml(github, f"deploy:\n  environments:\n    staging: {{approvers: [{REPO_APPROVER}]}}\n")
    deploy(world)
    assert world.advance_to_gate_or_end().state == "waiting_approval"
    world.apps_file.write_text(world.apps_file.read_text().replace(
        "    approvers:\n", f"    approvers:\n      staging: [{APPROVER}]\n"))
    click(world, REPO_APPROVER)
    assert world.latest().state == "waiting_approval"
    assert "approvers.staging in the apps file" in ephemerals(world, REPO_APPROVER)[0]
    click(world, APPROVER)
    assert world.latest().state == "succeeded"


def test_a_gate_only_github_logins_could_approve_waits_and_never_proceeds_by_itself(world: World,
                                                                                    github: Any) -> None:
    without_staging_approvers(world)
    devops_yml(github, "deploy:\n  environments:\n    staging:\n      approvers: [alice, '@acme/ops']\n"
                       "      gate: {timeout_minutes: 1, on_timeout: proceed}\n")
    deploy(world)
    reply = rules_reply(world)
    assert "cannot approve in Slack, which does not know GitHub logins or teams: alice, @acme/ops." in reply
    assert ("⚠️ Nobody can approve the 10% gate in Slack (no approvers for this environment): it waits 1 min, then "
            "rolls back (not `proceed`: a gate nobody could approve never passes by itself).") in reply
    assert world.advance_to_gate_or_end().state == "waiting_approval"
    click(world, APPROVER)
    assert world.latest().state == "waiting_approval"
    assert "nobody is configured to approve checkout in staging" in ephemerals(world, APPROVER)[0]
    for _ in range(6):
        driver.step(world.deps, set_clock=lambda t: world.clock.__setitem__(0, t))
        if world.latest().state != "waiting_approval":
            break
    assert world.latest().state == "rolled_back" and world.platform.live == "v1"


def test_an_invalid_devops_yml_in_the_repository_stops_the_deploy_with_every_problem(world: World,
                                                                                    github: Any) -> None:
    devops_yml(github, "deploy:\n  environments:\n    staging:\n      strategy: sideways\n"
                       "      manual_approval_points: [half]\n")
    deploy(world)
    assert world.deps.redis.keys("devops-bot:rollout:*") == []
    [reply] = [m["text"] for m in world.slack.named("chat.postMessage") if m.get("thread_ts")]
    assert reply.startswith("❌ The deploy did not start: acme/checkout's `.devops.yml` has 2 problems:")
    assert "`deploy.environments.staging.strategy`" in reply and "manual_approval_points" in reply
    assert reply.endswith("Fix it on the default branch, then deploy again.")


def test_a_repository_github_will_not_answer_for_leaves_the_apps_files_rules_and_says_so(world: World,
                                                                                        github: Any) -> None:
    devops_yml(github, "deploy:\n  environments:\n    staging: {strategy: rolling}\n")
    github.fail("GET", r"/repos/acme/checkout$", 500, times=10)  # past the client's retries
    deploy(world)
    rollout = world.latest()
    assert rollout.strategy == "canary" and [s.weight for s in rollout.stages if s.manual_approval] == [10]
    reply = rules_reply(world)
    assert reply.startswith("Rules for this deploy: the apps file's, because I could not read acme/checkout's "
                            "`.devops.yml` (GitHub answered HTTP 500")
    assert "• strategy: `canary` (apps file)" in reply.split("\n")


def test_a_repository_without_devops_yml_leaves_the_apps_files_rules_and_says_so(world: World, github: Any) -> None:
    deploy(world)
    assert world.latest().strategy == "canary"
    assert rules_reply(world).startswith("Rules for this deploy: the apps file's, because acme/checkout has no "
                                         "`.devops.yml` on main.")
