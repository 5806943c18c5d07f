"""GitHub Deployments for rollouts: the real reporter, App auth and PyGithub against the fake GitHub, real Redis."""

from __future__ import annotations

from typing import Any

import pytest
import redis as redis_lib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rq import Queue

from bot.github_auth import InstallationTokens
from bot.github_deployments import GitHubDeployments
from bot.github_deployments import repository_on_installation
from bot.github_deployments import short
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import Criteria
from bot.rollouts.contract import Rollout
from bot.rollouts.contract import Stage
from bot.rollouts.testing import MemoryPlatform
from bot.settings import Settings
from tests.fakes.github_deployment_routes import deployments
from tests.fakes.github_server import ServerThread
from tests.fakes.openapi_shapes import response_problems


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class World:
    def __init__(self, conn: Any, github: Any, private_key: str) -> None:
        self.conn, self.github, self.clock = conn, github, [3_000_000.0]
        self.platform = MemoryPlatform()
        self.notes: list[str] = []
        settings = Settings(github_app_id="77", github_private_key=private_key, github_api_url=github.base_url)
        repository = repository_on_installation(settings, conn, InstallationTokens(conn, settings))
        self.reporter = GitHubDeployments(repository, conn, lambda rollout, text: self.notes.append(text))
        self.deps = engine.Deps(redis=conn, queue=Queue("devops-bot", connection=conn),
                                platform=lambda _: self.platform, reporters=lambda _: [self.reporter],
                                now=lambda: self.clock[0])

    def run(self, version: str = "v2", environment: str = "production", weights: tuple[int, ...] = (10, 100),
            repository: str = "acme/checkout") -> Rollout:
        rollout = Rollout(rollout_id="", app="checkout", environment=environment, strategy="canary",
                          version=version, stable_version="v1", platform="memory", requested_by="U0DEPLOYER",
                          stages=[Stage(w, 10 if w < 100 else 0, 5, Criteria(0.01, 500)) for w in weights],
                          github={"repository": repository, "environment_url": "https://checkout.example.com"})
        return self.drive(engine.start(rollout, deps=self.deps).rollout_id)

    def drive(self, rollout_id: str) -> Rollout:
        """Run the scheduled ticks at once, jumping the clock to each."""
        for _ in range(50):
            if not driver.step(self.deps, set_clock=lambda t: self.clock.__setitem__(0, t)):
                break
        final = engine.get(rollout_id, deps=self.deps)
        assert final is not None
        return final


@pytest.fixture
def world(app_key: tuple[str, str], redis_url: str) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)  # a private redis-server: no other suite run flushes it
    conn.flushdb()
    private, public = app_key
    with ServerThread() as github:
        github.app_id, github.app_public_key, github.strict_tokens = "77", public, True
        repo = github.add_repo("acme/checkout", {"README.md": "checkout\n"})
        head = repo.branch_head("main")
        for tag in ("v2", "v3"):
            repo.git.refs[f"tags/{tag}"] = head
        yield World(conn, github, private)
    conn.flushdb()
    conn.close()


def states(deployment: dict[str, Any]) -> list[str]:
    return [status["state"] for status in deployment["statuses"]]


def test_a_successful_rollout_records_a_deployment_in_progress_then_success(world: World) -> None:
    final = world.run()
    assert final.state == SUCCEEDED
    [deployment] = deployments(world.github)
    assert deployment["request"] == {
        "ref": "v2", "task": "deploy", "auto_merge": False, "required_contexts": [], "environment": "production",
        "payload": {"rollout_id": final.rollout_id, "app": "checkout", "strategy": "canary", "stable_version": "v1",
                    "requested_by": "U0DEPLOYER"},
        "description": "canary rollout of checkout", "transient_environment": False, "production_environment": True}
    assert states(deployment) == ["in_progress", "success"]
    assert deployment["statuses"][0]["description"] == "canary of v2 to production: 10% → 100%"
    assert deployment["statuses"][0]["environment_url"] == "https://checkout.example.com"
    assert final.github["deployment_id"] == deployment["id"] and final.github["state"] == "success"
    # the App JWT found the installation, then its token made every deployment call
    assert world.github.requests()[:3] == ["GET /repos/acme/checkout/installation",
                                           "POST /app/installations/4242/access_tokens",
                                           "POST /repos/acme/checkout/deployments"]
    assert world.notes == []


def test_an_automatic_rollback_ends_the_deployment_as_a_failure_with_the_reason(world: World) -> None:
    world.platform.readings = {"error_rate": 0.2, "p99_ms": 50.0}
    final = world.run()
    assert final.state == ROLLED_BACK
    [deployment] = deployments(world.github)
    assert states(deployment) == ["in_progress", "failure"]
    description = deployment["statuses"][-1]["description"]
    assert description.startswith("automatic rollback at 10%: error rate") and len(description) <= 140


def test_a_second_successful_production_deploy_marks_the_first_inactive(world: World) -> None:
    assert world.run("v2").state == SUCCEEDED
    assert world.run("v3").state == SUCCEEDED
    first, second = deployments(world.github)
    assert states(first) == ["in_progress", "success", "inactive"]
    assert first["statuses"][-1]["description"] == "replaced by v3"
    assert states(second) == ["in_progress", "success"]


def test_outside_production_github_auto_inactive_retires_the_previous_deployment(world: World) -> None:
    assert world.run("v2", environment="staging").state == SUCCEEDED
    assert world.run("v3", environment="staging").state == SUCCEEDED
    first, second = deployments(world.github)
    assert states(first) == ["in_progress", "success", "inactive"] and states(second) == ["in_progress", "success"]
    explicit = [c for c in world.github.calls if c.path.endswith(f"/deployments/{first['id']}/statuses")]
    assert [c.json["state"] for c in explicit] == ["in_progress", "success"]  # the inactive came from GitHub


def test_github_answering_500_never_stops_the_rollout_and_is_said_once(world: World) -> None:
    world.github.fail("POST", r"/deployments$", 500)
    final = world.run()
    assert final.state == SUCCEEDED
    assert deployments(world.github) == []
    assert final.github.get("gave_up") is True
    assert len(world.notes) == 1 and "HTTP 500" in world.notes[0] and "acme/checkout" in world.notes[0]


def test_a_rate_limited_create_waits_for_retry_after_then_records_the_deployment(world: World) -> None:
    world.github.fail("POST", r"/deployments$", 403, retry_after=1)
    final = world.run()
    assert final.state == SUCCEEDED and world.notes == []
    creates = [c for c in world.github.calls if c.method == "POST" and c.path.endswith("/deployments")]
    assert [c.status for c in creates] == [403, 201]
    assert [s["state"] for s in deployments(world.github)[0]["statuses"]] == ["in_progress", "success"]


def test_a_version_that_is_not_a_ref_in_the_repository_is_said_in_the_thread(world: World) -> None:
    final = world.run("v9")
    assert final.state == SUCCEEDED
    assert world.notes == ["GitHub Deployments for acme/checkout are not recorded for this rollout "
                           "(HTTP 422: No ref found for: v9); the rollout itself goes on."]


def test_a_failed_status_is_posted_again_at_the_next_change(world: World) -> None:
    world.github.fail("POST", r"/statuses$", 502)
    final = world.run()
    assert final.state == SUCCEEDED
    [deployment] = deployments(world.github)
    assert states(deployment) == ["in_progress", "success"] and len(world.notes) == 1


def test_descriptions_are_cut_at_a_word_to_140_characters() -> None:
    text = short("automatic rollback at 25%: " + "error rate 2.5% is above the 1% limit; " * 6)
    assert len(text) <= 140 and text.endswith("…") and " limi…" not in text


def test_the_fake_answers_in_githubs_documented_shapes(world: World) -> None:
    world.run()
    [deployment] = deployments(world.github)
    body = {k: v for k, v in deployment.items() if k not in ("statuses", "request")}
    assert response_problems("POST /repos/{owner}/{repo}/deployments", "201", body) == []
    for status in deployment["statuses"]:
        assert response_problems("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", "201",
                                 status) == []
