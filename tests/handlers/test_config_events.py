"""push and pull_request deliveries that may change .devops.yml queue the config check (real payloads, real Redis)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from rq import Queue

from bot.queue import get_queue
from bot.settings import Settings
from bot.web import create_app
from handlers.config_events import JOB
from tests.conftest import github_payload

SECRET = "webhook-secret-used-only-in-tests"


@pytest.fixture
def client(redis_conn: Any) -> FlaskClient:
    settings = Settings(github_app_id="1", github_webhook_secret=SECRET, bot_login="devops-bot[bot]")
    return create_app(settings, redis=redis_conn).test_client()


@pytest.fixture
def queue(redis_conn: Any) -> Queue:
    return get_queue(redis_conn)


def post(client: FlaskClient, event: str, payload: dict[str, Any], delivery: str = "d-1") -> Any:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/github/webhook", data=body, headers={
        "X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
        "X-Hub-Signature-256": signature})


def config_jobs(queue: Queue) -> list[Any]:
    return [job for job in queue.jobs if job.func_name == JOB]


def push_touching(path: str, how: str = "modified") -> dict[str, Any]:
    """The real push payload, its first commit changing `path`."""
    payload = github_payload("push", "with-new-branch.payload.json")
    payload["commits"][0][how] = [*payload["commits"][0][how], path]
    return payload


@pytest.mark.parametrize("how", ["added", "modified"])
def test_a_push_that_changes_the_config_queues_its_check_at_the_pushed_commit(
        client: FlaskClient, queue: Queue, how: str) -> None:
    payload = push_touching(".devops.yml", how)
    response = post(client, "push", payload)
    assert response.status_code == 202
    [job] = config_jobs(queue)
    assert job.args[0] == {
        "kind": "config_check", "delivery_id": "d-1", "installation_id": payload["installation"]["id"],
        "repository": "Codertocat/Hello-World", "repository_id": payload["repository"]["id"],
        "default_branch": payload["repository"]["default_branch"], "head_sha": payload["after"],
        "ref": payload["ref"], "pull_request": None}


def test_a_push_that_does_not_touch_the_config_queues_no_check(client: FlaskClient, queue: Queue) -> None:
    payload = push_touching("docs/.devops.yml")  # only the root file is the config
    post(client, "push", payload)
    assert config_jobs(queue) == []


def test_a_deleted_branch_or_a_push_without_an_installation_queues_no_check(client: FlaskClient,
                                                                             queue: Queue) -> None:
    deleted = github_payload("push", "with-installation.payload.json")  # after is all zeros
    deleted["commits"] = [{"added": [], "modified": [".devops.yml"]}]
    post(client, "push", deleted, delivery="d-1")
    foreign = push_touching(".devops.yml")
    del foreign["installation"]
    post(client, "push", foreign, delivery="d-2")
    assert config_jobs(queue) == []


@pytest.mark.parametrize("fixture", ["opened.payload.json", "synchronize.payload.json"])
def test_an_opened_or_updated_pull_request_queues_a_check_of_its_head(client: FlaskClient, queue: Queue,
                                                                      fixture: str) -> None:
    payload = github_payload("pull_request", fixture)
    post(client, "pull_request", payload)
    [job] = config_jobs(queue)
    assert job.args[0]["pull_request"] == payload["number"]
    assert job.args[0]["head_sha"] == payload["pull_request"]["head"]["sha"]


def test_a_closed_pull_request_is_not_checked(client: FlaskClient, queue: Queue) -> None:
    post(client, "pull_request", github_payload("pull_request", "closed.payload.json"))
    assert config_jobs(queue) == []


def test_a_redelivered_push_is_checked_once(client: FlaskClient, queue: Queue) -> None:
    payload = push_touching(".devops.yml")
    post(client, "push", payload)
    post(client, "push", payload)
    assert len(config_jobs(queue)) == 1
