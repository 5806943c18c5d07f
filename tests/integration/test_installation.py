"""Installations end to end: signed real payloads → web app → Redis → RQ worker → fake GitHub.

The worker runs in this process (SimpleWorker, burst mode) so that time can be simulated: the
write budget and the fake GitHub share one clock, and jobs scheduled for later are moved onto
the queue when the simulated clock reaches them, as RQ's scheduler would.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import hmac
import json
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

import bot.onboarding
from bot import lifecycle
from bot.github_auth import InstallationTokens
from bot.onboarding import BRANCH
from bot.onboarding import TITLE
from bot.queue import get_onboarding_queue
from bot.queue import worker_queues
from bot.settings import Settings
from bot.web import create_app
from tests.conftest import REPOS
from tests.conftest import github_payload
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_server import ServerThread
from tests.fakes.private_redis import private_redis_url

pytestmark = pytest.mark.integration

SECRET = "installation-webhook-secret"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
SMALL_REPO = {"requirements.txt": "flask==3.0.0\n", "app.py": "print('hi')\n",
              ".github/workflows/ci.yml": "name: CI\non: [push]\njobs: {}\n"}


class SimClock:
    """A clock that only moves when the test moves it."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> SimClock:
    return SimClock(1_900_000_000.0)


@pytest.fixture
def fake(clock: SimClock) -> Iterator[FakeGitHub]:
    with ServerThread() as state:
        state.clock = clock
        yield state


@pytest.fixture
def redis_url() -> Iterator[str]:
    with private_redis_url() as url:  # suites running at once must not share these queues
        yield url


@pytest.fixture
def redis(redis_url: str) -> Iterator[redis_lib.Redis]:
    conn = redis_lib.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def settings(fake: FakeGitHub, redis_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
             clock: SimClock) -> Settings:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    for name, value in {"GITHUB_APP_ID": "4242", "GITHUB_PRIVATE_KEY": key, "GITHUB_WEBHOOK_SECRET": SECRET,
                        "GITHUB_API_URL": fake.base_url, "REDIS_URL": redis_url,
                        "DEVOPS_BOT_ENV_FILE": str(tmp_path / "absent.env")}.items():
        monkeypatch.setenv(name, value)
    real_build = bot.onboarding.build_deps

    def build_with_clock(request: dict[str, Any]) -> bot.onboarding.OnboardingDeps:
        deps = real_build(request)
        deps.clock = clock  # the production deps, on simulated time
        return deps

    monkeypatch.setattr(bot.onboarding, "build_deps", build_with_clock)
    real_lifecycle = lifecycle.build_deps

    def lifecycle_with_clock() -> lifecycle.LifecycleDeps:
        deps = real_lifecycle()
        deps.clock = clock  # onboarding is planned on simulated time too
        return deps

    monkeypatch.setattr(lifecycle, "build_deps", lifecycle_with_clock)
    return Settings.from_env()


@pytest.fixture
def client(settings: Settings, redis: redis_lib.Redis) -> FlaskClient:
    return create_app(settings, redis=redis).test_client()


def deliver(client: FlaskClient, event: str, payload: dict[str, Any], delivery: str | None = None) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post("/github/webhook", data=body, headers={
        "X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()), "X-Hub-Signature-256": signature,
        "Content-Type": "application/json"})
    assert response.status_code in (200, 202), response.get_data(as_text=True)
    return dict(response.get_json())


class QuietWorker(SimpleWorker):
    """RQ's in-process worker without its pub/sub listener (remote stop commands), slow to tear down."""

    def subscribe(self) -> None:
        """Nothing to listen to in a test."""

    def unsubscribe(self) -> None:
        """Nothing was subscribed."""


def work(redis: redis_lib.Redis, max_jobs: int | None = None) -> None:
    """A fresh worker (as after a restart) runs what is queued now, main queue first."""
    QuietWorker(worker_queues(redis), connection=redis).work(burst=True, max_jobs=max_jobs, logging_level="WARNING")


def advance_to_next_scheduled(redis: redis_lib.Redis, clock: SimClock) -> bool:
    """Move the clock to the next scheduled job's time and enqueue what is due; False when none is left."""
    queue = get_onboarding_queue(redis)
    registry = ScheduledJobRegistry(queue=queue)
    due = redis.zrange(registry.key, 0, 0, withscores=True)
    if not due:
        return False
    clock.now = max(clock.now, math.ceil(due[0][1]))
    for job_id in registry.get_jobs_to_schedule(int(clock.now)):
        job = queue.fetch_job(job_id)
        registry.remove(job_id)
        if job is not None:
            queue._enqueue_job(job)
    return True


def many_repositories(count: int) -> dict[str, Any]:
    """The real installation_repositories.added payload, its one repository repeated `count` times."""
    payload = github_payload("installation_repositories", "added.payload.json")
    [template] = payload["repositories_added"]
    payload["repositories_added"] = [
        {**copy.deepcopy(template), "id": template["id"] + index, "name": f"Space-{index:03d}",
         "full_name": f"Codertocat/Space-{index:03d}"} for index in range(count)]
    return payload


def writes(fake: FakeGitHub) -> list[float]:
    return sorted(call.at for call in fake.calls if call.method in WRITES and not call.path.startswith("/app/"))


def most_in_any_window(times: list[float], seconds: float) -> int:
    return max((bisect.bisect_left(times, start + seconds) - index for index, start in enumerate(times)), default=0)


def test_an_installation_opens_an_onboarding_pull_request_in_each_repository(
        client: FlaskClient, fake: FakeGitHub, redis: redis_lib.Redis) -> None:
    payload = github_payload("installation", "created.payload.json")
    [listed] = payload["repositories"]
    repo = fake.add_repo(listed["full_name"], REPOS / "python-pip", repo_id=listed["id"])
    other = fake.add_repo("Codertocat/Second", REPOS / "node-npm", repo_id=listed["id"] + 1)
    payload["repositories"].append({**listed, "id": other.repo_id, "name": "Second", "full_name": other.full_name})

    assert deliver(client, "installation", payload)["outcome"] == "queued"
    work(redis)

    for each in (repo, other):
        [pull] = each.open_pulls()
        assert (pull["title"], pull["head"]) == (TITLE, BRANCH)
        assert {".devops.yml", ".github/workflows/ci.yml"} <= set(each.files_on(BRANCH))
    assert {state["state"] for state in lifecycle.states(redis, 957387).values()} == {"opened"}


def test_two_hundred_repositories_are_paced_and_none_is_lost_or_duplicated_across_a_restart(
        client: FlaskClient, fake: FakeGitHub, redis: redis_lib.Redis, clock: SimClock) -> None:
    payload = many_repositories(200)
    for item in payload["repositories_added"]:
        fake.add_repo(item["full_name"], SMALL_REPO, repo_id=item["id"])
    start = clock.now
    delivery = str(uuid.uuid4())

    deliver(client, "installation_repositories", payload, delivery)
    work(redis, max_jobs=30)  # the plan job, then some onboarding; then the worker "dies"
    assert deliver(client, "installation_repositories", payload, delivery)["outcome"] == "duplicate"
    deliver(client, "installation_repositories", payload)  # the same event under a new delivery id
    rounds = 0
    while True:
        work(redis)  # a new worker each round
        rounds += 1
        if not advance_to_next_scheduled(redis, clock):
            break

    for item in payload["repositories_added"]:
        repo = fake.repos[item["full_name"]]
        assert [pull["title"] for pull in repo.pulls.values()] == [TITLE], item["full_name"]
        assert len(repo.commits_on(BRANCH)) == 1
    assert {state["state"] for state in lifecycle.states(redis, 957387).values()} == {"opened"}
    times = writes(fake)
    assert len(times) == 200 * bot.onboarding.WRITES_PER_PULL_REQUEST
    assert most_in_any_window(times, 60) <= 80
    assert most_in_any_window(times, 3600) <= 500
    assert clock.now - start > 2 * 3600  # paced over hours, not sent at once
    assert rounds > 100


def test_commands_are_not_starved_by_a_large_onboarding(client: FlaskClient, fake: FakeGitHub,
                                                        redis: redis_lib.Redis) -> None:
    payload = many_repositories(20)
    for item in payload["repositories_added"]:
        fake.add_repo(item["full_name"], SMALL_REPO, repo_id=item["id"])
    deliver(client, "installation_repositories", payload)
    work(redis, max_jobs=1)  # the plan job: twenty onboarding jobs wait, queued or scheduled
    comment = github_payload("issue_comment", "created.with-installation.payload.json")
    comment["comment"]["body"] = "/devops help"
    hello = fake.add_repo(comment["repository"]["full_name"], REPOS / "python-pip", repo_id=comment["repository"]["id"])
    hello.add_comment(comment["issue"]["number"], comment["comment"]["id"], "/devops help", "Codertocat")

    deliver(client, "issue_comment", comment)
    work(redis, max_jobs=1)

    assert len(hello.comments_on(comment["issue"]["number"])) == 2  # the command, and its answer
    assert all(repo.pulls == {} for name, repo in fake.repos.items() if name != hello.full_name)
    scheduled = ScheduledJobRegistry(queue=get_onboarding_queue(redis)).get_job_ids()
    assert len(get_onboarding_queue(redis).get_job_ids()) + len(scheduled) == 20


@pytest.mark.parametrize("name", ["deleted.payload.json", "suspend.payload.json"])
def test_uninstalling_or_suspending_drops_the_queued_onboarding_and_the_token(
        client: FlaskClient, fake: FakeGitHub, redis: redis_lib.Redis, settings: Settings, name: str) -> None:
    stop = github_payload("installation", name)
    installation = stop["installation"]["id"]
    payload = many_repositories(5)
    payload["installation"]["id"] = installation
    for item in payload["repositories_added"]:
        fake.add_repo(item["full_name"], SMALL_REPO, repo_id=item["id"])
    tokens = InstallationTokens(redis, settings)
    tokens.token(installation)
    deliver(client, "installation_repositories", payload)
    work(redis, max_jobs=1)
    assert len(get_onboarding_queue(redis).get_job_ids()) == 5

    deliver(client, "installation", stop)
    work(redis)

    assert get_onboarding_queue(redis).get_job_ids() == []
    assert redis.get(InstallationTokens.key(installation)) is None
    assert all(repo.pulls == {} for repo in fake.repos.values())
    assert {state["state"] for state in lifecycle.states(redis, installation).values()} == {"cancelled"}
