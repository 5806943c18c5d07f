"""`.devops.yml` checks end to end: signed real push/pull_request payloads → web app → Redis → RQ worker → fake GitHub."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from rq import SimpleWorker

from bot.queue import worker_queues
from bot.settings import Settings
from bot.web import create_app
from tests.conftest import github_payload
from tests.conftest import redis_url_for
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_check_routes import check_runs
from tests.fakes.github_check_routes import set_pull_files
from tests.fakes.github_server import FakeGitHub

pytestmark = pytest.mark.integration

SECRET = "config-check-webhook-secret"
APP_ID = "515151"
REDIS_DB = 9
BAD = "ci:\n  platform: travis\n  quality_gates:\n    test_coverage_threshold: \"80%\"\n  colour: blue\n"


@pytest.fixture
def redis() -> Iterator[redis_lib.Redis]:
    conn = redis_lib.Redis.from_url(redis_url_for(REDIS_DB))
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def app_env(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeGitHub:
    """The worker's settings point at the fake GitHub, which verifies the App JWT and accepts only its tokens."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    fake_github.app_id = APP_ID
    fake_github.app_public_key = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    fake_github.strict_tokens = True
    for name, value in {"GITHUB_APP_ID": APP_ID, "GITHUB_PRIVATE_KEY": private, "GITHUB_WEBHOOK_SECRET": SECRET,
                        "GITHUB_API_URL": fake_github.base_url, "REDIS_URL": redis_url_for(REDIS_DB),
                        "DEVOPS_BOT_ENV_FILE": str(tmp_path / "absent.env")}.items():
        monkeypatch.setenv(name, value)
    return fake_github


@pytest.fixture
def client(app_env: FakeGitHub, redis: redis_lib.Redis) -> FlaskClient:
    return create_app(Settings.from_env(), redis=redis).test_client()


def deliver(client: FlaskClient, event: str, payload: dict[str, Any], delivery: str) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post("/github/webhook", data=body, headers={
        "X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature,
        "Content-Type": "application/json"})
    return dict(response.get_json())


def work(redis: redis_lib.Redis) -> None:
    SimpleWorker(worker_queues(redis), connection=redis).work(burst=True)


def seed(fake: FakeGitHub, payload: dict[str, Any]) -> FakeRepo:
    repository = payload["repository"]
    return fake.add_repo(repository["full_name"], {"README.md": "# hello\n"},
                         default_branch=repository["default_branch"], repo_id=repository["id"])


def test_a_push_of_a_bad_config_gets_a_failing_check_run_annotating_every_problem(
        client: FlaskClient, app_env: FakeGitHub, redis: redis_lib.Redis) -> None:
    payload = github_payload("push", "with-new-branch.payload.json")
    repo = seed(app_env, payload)
    branch = payload["ref"].removeprefix("refs/heads/")
    repo.git.refs[f"heads/{branch}"] = repo.branch_head(repo.default_branch) or ""
    payload["after"] = repo.commit_on(branch, {".devops.yml": BAD})
    payload["commits"][-1]["added"].append(".devops.yml")

    assert deliver(client, "push", payload, "push-1")["outcome"] == "queued"
    work(redis)

    [run] = check_runs(app_env)
    assert (run["name"], run["head_sha"], run["conclusion"]) == ("devops-bot / config", payload["after"], "failure")
    assert [(note["start_line"], note["start_column"]) for note in run["annotations"]] == [(2, 13), (4, 30), (5, 3)]
    assert run["output"]["title"] == ".devops.yml has 3 problems"
    assert [call for call in app_env.requests() if call.startswith("POST /app/")] == [
        f"POST /app/installations/{payload['installation']['id']}/access_tokens"]


def test_a_pull_request_fixing_the_config_gets_a_passing_check_and_others_get_none(
        client: FlaskClient, app_env: FakeGitHub, redis: redis_lib.Redis) -> None:
    payload = github_payload("pull_request", "synchronize.payload.json")
    repo = seed(app_env, payload)
    head = payload["pull_request"]["head"]["ref"]
    repo.git.refs[f"heads/{head}"] = repo.branch_head(repo.default_branch) or ""
    payload["pull_request"]["head"]["sha"] = repo.commit_on(head, {".devops.yml": "ci:\n  platform: jenkins\n"})
    set_pull_files(app_env, repo, payload["number"], [".devops.yml"])
    untouched = github_payload("pull_request", "opened.payload.json")
    untouched["number"] = payload["number"] + 1
    set_pull_files(app_env, repo, untouched["number"], ["README.md"])

    assert deliver(client, "pull_request", payload, "pr-1")["outcome"] == "queued"
    assert deliver(client, "pull_request", untouched, "pr-2")["outcome"] == "queued"
    work(redis)

    [run] = check_runs(app_env)
    assert (run["head_sha"], run["conclusion"]) == (payload["pull_request"]["head"]["sha"], "success")
