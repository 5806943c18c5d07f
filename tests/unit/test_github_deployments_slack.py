"""A Slack /deploy of an app with a repository is recorded with GitHub's Deployments API, with no extra setup,
and the repository's `.devops.yml` (deploy.<env>.slo) can make its SLO the canary's success criteria.

The deploy job runs as a worker would: settings from the environment, reporters built from the rollout's
factory names (Slack thread + GitHub Deployments), the fake Slack and fake GitHub on loopback.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.deploy_apps import load_apps
from bot.queue import get_queue
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.testing import MemoryPlatform
from bot.slack_jobs import GITHUB_REPORTER_FACTORY
from bot.slack_jobs import REPORTER_FACTORY
from bot.slack_jobs import start_deploy
from handlers.slack import parse_deploy
from handlers.slack import pipeline_inputs
from tests.fakes.github_deployment_routes import deployments
from tests.fakes.github_server import ServerThread
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import CHANNEL
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import apps_yaml
from tests.fakes.slack_kit import healthy_server
from tests.fakes.slack_server import SlackServer
from tests.unit.test_rollout_slo_criteria import CONFIG as SLO_CONFIG  # the SLO of checkout-api, 99.5 %, 6x


@pytest.fixture
def world(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    healthy = healthy_server()
    apps_file = tmp_path / "apps.yml"
    apps_file.write_text(apps_yaml(f"http://127.0.0.1:{healthy.server_port}"), encoding="utf-8")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with SlackServer() as slack, ServerThread() as github:
        repo = github.add_repo("acme/checkout", {"README.md": "checkout\n"})
        repo.git.refs["tags/v2"] = repo.branch_head("main")
        for name, value in {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                            "SLACK_API_URL": slack.base_url, "GITHUB_APP_ID": "77", "GITHUB_PRIVATE_KEY": key,
                            "GITHUB_API_URL": github.base_url, "REDIS_URL": redis_url,
                            "DEVOPS_BOT_APPS_FILE": str(apps_file),
                            "DEVOPS_BOT_ENV_FILE": str(tmp_path / "absent.env")}.items():
            monkeypatch.setenv(name, value)
        clock = [time.time()]
        platform = MemoryPlatform()
        # reporters exactly as a worker builds them: from the names the rollout carries
        deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=lambda _: platform,
                           reporters=engine.reporters_from_factories, now=lambda: clock[0])
        yield deps, clock, slack, github, apps_file
    healthy.shutdown()
    healthy.server_close()
    conn.flushdb()
    conn.close()


def deploy_through_the_gate(deps: engine.Deps, clock: list[float], apps_file: Path) -> Any:
    assert start(deps, apps_file, "slackgh1")["status"] == "succeeded"
    for _ in range(20):
        rollout = engine.get("slackgh1", deps=deps)
        if rollout.state == WAITING_APPROVAL:
            break
        driver.step(deps, set_clock=lambda t: clock.__setitem__(0, t))
    assert engine.approve("slackgh1", rollout.stage_index, rollout.gate_token, APPROVER, deps=deps).ok
    return engine.get("slackgh1", deps=deps)


def test_a_slack_deploy_of_an_app_with_a_repository_is_recorded_as_a_github_deployment(world: Any) -> None:
    deps, clock, slack, github, apps_file = world
    final = deploy_through_the_gate(deps, clock, apps_file)
    assert final.state == SUCCEEDED
    assert final.reporter_factories == [REPORTER_FACTORY, GITHUB_REPORTER_FACTORY]
    [deployment] = deployments(github)
    assert deployment["ref"] == "v2" and deployment["environment"] == "production"
    assert deployment["payload"]["rollout_id"] == "slackgh1"
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "success"]
    parent_ts = next(ts for ts, m in slack.messages.items() if not m["thread_ts"])
    permalink = f"https://devops-bot-tests.slack.com/archives/{CHANNEL}/p{parent_ts.replace('.', '')}"
    assert final.github == {"repository": "acme/checkout", "deployment_id": deployment["id"], "state": "success",
                            "log_url": permalink}
    # GitHub's Environments view links each status to the rollout's Slack thread
    assert [(s["log_url"], s["target_url"]) for s in deployment["statuses"]] == [(permalink, permalink)] * 2
    assert slack.named("chat.postMessage")  # the Slack thread went on beside it


def test_github_down_during_a_slack_deploy_is_one_note_in_the_thread(world: Any) -> None:
    deps, clock, slack, github, apps_file = world
    github.fail("POST", r"/deployments$", 500)
    final = deploy_through_the_gate(deps, clock, apps_file)
    assert final.state == SUCCEEDED
    notes = [m["text"] for m in slack.named("chat.postMessage") if "GitHub Deployments" in m["text"]]
    assert notes == ["GitHub Deployments for acme/checkout are not recorded for this rollout (HTTP 500: Server "
                     "Error); the rollout itself goes on."]
    assert all(m.get("thread_ts") for m in slack.named("chat.postMessage") if "GitHub" in m["text"])


def start(deps: engine.Deps, apps_file: Path, rollout_id: str) -> dict[str, Any]:
    apps = load_apps(apps_file)
    inputs = pipeline_inputs(apps["checkout"], parse_deploy("checkout to production", apps), DEPLOYER)
    return start_deploy({"rollout_id": rollout_id, "channel_id": CHANNEL, "user_id": DEPLOYER, "inputs": inputs},
                        deps=deps)


def thread_texts(slack: Any) -> list[str]:
    return [m["text"] for m in slack.messages.values() if m["thread_ts"]]


def test_the_repositorys_slo_judges_every_canary_stage_by_its_error_budget_burn(world: Any) -> None:
    deps, clock, slack, github, apps_file = world
    github.repos["acme/checkout"].commit_on("main", {".devops.yml": SLO_CONFIG,
                                                    "prometheus/rules/slo-checkout-api.yml": "groups: []\n"})
    outcome = start(deps, apps_file, "slo1")
    assert outcome["status"] == "succeeded", outcome
    rollout = engine.get("slo1", deps=deps)
    assert [(s.criteria.slo_error_budget, s.criteria.max_burn_rate, s.criteria.slo_service) for s in rollout.stages] \
        == [(0.005, 6.0, "checkout-api")] * 2
    said = ("Success criteria: the error budget burn of `checkout-api`'s SLO (99.5 % availability; fail above 6x), "
            "from `deploy.apps.checkout.production.slo` in acme/checkout's `.devops.yml`.")
    assert any(f"• {said}" in text.split("\n") for text in thread_texts(slack))  # a line of the rules reply
    # 2 % errors: twice the apps file's fixed 1 % limit, but 4x the 0.5 % budget, under the 6x the SLO allows.
    deps.platform(None).readings = {"error_rate": 0.02, "p99_ms": 50.0}
    for _ in range(20):
        if engine.get("slo1", deps=deps).state != "running":
            break
        driver.step(deps, set_clock=lambda t: clock.__setitem__(0, t))
    assert engine.get("slo1", deps=deps).state == WAITING_APPROVAL


def test_a_burn_above_the_slos_limit_rolls_the_canary_back_naming_the_slo(world: Any) -> None:
    deps, clock, slack, github, apps_file = world
    github.repos["acme/checkout"].commit_on("main", {".devops.yml": SLO_CONFIG,
                                                    "prometheus/rules/slo-checkout-api.yml": "groups: []\n"})
    assert start(deps, apps_file, "slo2")["status"] == "succeeded"
    deps.platform(None).readings = {"error_rate": 0.04, "p99_ms": 50.0}  # 8x the 0.5 % budget
    for _ in range(20):
        if engine.get("slo2", deps=deps).state not in ("running", "rolling_back"):
            break
        driver.step(deps, set_clock=lambda t: clock.__setitem__(0, t))
    assert engine.get("slo2", deps=deps).state == "rolled_back"
    assert any("error budget burn 8.0x (error rate 4.00% against the 0.50% error budget of checkout-api's SLO) is "
               "above 6x" in text for text in thread_texts(slack))


def test_without_an_slo_in_devops_yml_the_apps_file_criteria_stand(world: Any) -> None:
    deps, _, slack, github, apps_file = world
    github.repos["acme/checkout"].commit_on("main", {".devops.yml": "deploy: {environments: {staging: "
                                                                    "{slo: {max_burn_rate: 2}}}}\n"})
    assert start(deps, apps_file, "slo3")["status"] == "succeeded"
    [stage, _] = engine.get("slo3", deps=deps).stages
    assert (stage.criteria.slo_error_budget, stage.criteria.max_error_rate) == (None, 0.01)
    assert not any("Success criteria" in text for text in thread_texts(slack))


@pytest.mark.parametrize(("files", "said"), [
    ({".devops.yml": "deploy:\n  environments:\n    production:\n      slo: {max_burn_rate: -1}\n"},
     "acme/checkout's `.devops.yml` has 1 problem:\n- .devops.yml:4:28: "
     "`deploy.environments.production.slo.max_burn_rate` must be more than 0 (it is `-1`)\n"
     "Fix it on the default branch, then deploy again."),
    ({".devops.yml": SLO_CONFIG, "prometheus/rules/slo-checkout.yml": "groups: []\n"},
     "`deploy.apps.checkout.production.slo` in acme/checkout's `.devops.yml` judges the canary by the SLO of "
     "`checkout-api`, but acme/checkout has no SLO for `checkout-api`: prometheus/rules/slo-checkout-api.yml is not "
     "on its default branch and `monitoring.inventory` does not list it (services with an SLO there: checkout). "
     "Merge the `/devops setup monitoring` pull request, or name one of those services in `slo.service`."),
])
def test_an_invalid_devops_yml_or_an_slo_that_does_not_exist_stops_the_deploy(world: Any, files: dict[str, str],
                                                                               said: str) -> None:
    deps, _, slack, github, apps_file = world
    github.repos["acme/checkout"].commit_on("main", files)
    outcome = start(deps, apps_file, "slo4")
    assert outcome["status"] == "refused" and said in outcome["error"]
    assert engine.get("slo4", deps=deps) is None  # nothing started on criteria the repository did not mean
    [reply] = thread_texts(slack)
    assert reply.startswith("❌ The deploy did not start: ") and said.split("\n")[0] in reply


def test_a_repository_the_app_cannot_read_leaves_the_apps_files_rules_and_the_thread_says_why(world: Any) -> None:
    deps, _, slack, github, apps_file = world
    github.fail("GET", r"/repos/acme/checkout/installation$", 404)
    assert start(deps, apps_file, "slo5")["status"] == "succeeded"
    [stage, _] = engine.get("slo5", deps=deps).stages
    assert (stage.criteria.slo_error_budget, stage.criteria.max_error_rate) == (None, 0.01)
    assert thread_texts(slack)[0].startswith(
        "Rules for this deploy: the apps file's, because I could not read acme/checkout's `.devops.yml` "
        "(devops-bot is not installed on it, or it does not exist).")
