"""`/devops setup ci` end to end: signed webhook → real web app → Redis → real worker → fake GitHub."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import github_payload
from tests.conftest import redis_url_for
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_server import ServerThread

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
REPO = "Codertocat/Hello-World"
BRANCH = "devops-bot/setup-ci"
SECRET = "integration-webhook-secret"
APP_ID = "424242"
REDIS_DB = 14


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def app_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture
def github(app_key: tuple[str, str]) -> Iterator[tuple[FakeGitHub, FakeRepo]]:
    with ServerThread() as fake:
        fake.strict_tokens = True
        fake.app_id, fake.app_public_key = APP_ID, app_key[1]
        payload = github_payload("issue_comment", "created.with-installation.payload.json")
        repo = fake.add_repo(REPO, ROOT / "examples" / "sample-service",
                             default_branch=payload["repository"]["default_branch"], repo_id=payload["repository"]["id"])
        repo.add_comment(payload["issue"]["number"], payload["comment"]["id"], "/devops setup ci",
                         payload["comment"]["user"]["login"])
        repo.grant(payload["comment"]["user"]["login"], "write")
        yield fake, repo


@pytest.fixture
def env(github: tuple[FakeGitHub, FakeRepo], app_key: tuple[str, str]) -> Iterator[dict[str, str]]:
    url = redis_url_for(REDIS_DB)
    conn = redis.Redis.from_url(url)
    conn.flushdb()
    values = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "SLACK_", "REDIS_"))}
    values.update(GITHUB_API_URL=github[0].base_url, REDIS_URL=url, GITHUB_APP_ID=APP_ID,
                  GITHUB_PRIVATE_KEY=app_key[0], GITHUB_WEBHOOK_SECRET=SECRET, PYTHONPATH=str(ROOT))
    yield values
    conn.flushdb()
    conn.close()


@pytest.fixture
def web(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    process = subprocess.Popen([PYTHON, "-m", "bot.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("web app did not start:\n" + (tmp_path / "web.log").read_text())
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def post_comment(base: str, body: str) -> requests.Response:
    """Deliver the real issue_comment payload, signed, with only the comment body changed."""
    payload = github_payload("issue_comment", "created.with-installation.payload.json")
    payload["comment"]["body"] = body
    raw = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": str(uuid.uuid4()),
               "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    return requests.post(f"{base}/github/webhook", data=raw, headers=headers, timeout=10)


def run_worker(env: dict[str, str]) -> str:
    done = subprocess.run([PYTHON, "-m", "bot.cli", "worker", "--burst"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def in_order(calls: list[str], expected: list[str]) -> list[str]:
    """The expected calls that are missing from `calls` as an ordered subsequence."""
    remaining = iter(calls)
    return [wanted for wanted in expected if not any(call.startswith(wanted) for call in remaining)]


def test_setup_ci_comment_becomes_one_pull_request_with_a_valid_workflow(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str, tmp_path: Path) -> None:
    fake, repo = github
    assert post_comment(web, "/devops setup ci").status_code == 202
    worker_log = run_worker(env)

    calls = fake.requests()
    api = f"/repos/{REPO}"
    expected = [
        "POST /app/installations/1/access_tokens",
        f"POST {api}/issues/comments/492700400/reactions",
        f"GET {api}/collaborators/Codertocat/permission",
        f"POST {api}/issues/1/comments",
        f"GET {api}/git/ref/heads/master",
        f"GET {api}/git/trees/",
        f"GET {api}/git/blobs/",
        f"GET {api}/git/ref/heads/{BRANCH}",
        f"POST {api}/git/trees",
        f"POST {api}/git/commits",
        f"POST {api}/git/refs",
        f"GET {api}/pulls",
        f"POST {api}/pulls",
        f"POST {api}/issues/2/labels",
        f"PATCH {api}/issues/comments/",
    ]
    assert in_order(calls, expected) == [], "\n".join(calls) + "\n" + worker_log
    assert sum(call.startswith(f"GET {api}/git/trees/") for call in calls) == 1
    blobs = [call for call in calls if "/git/blobs/" in call]
    assert 1 <= len(blobs) <= 8
    print(f"\nGitHub API calls for one /devops setup ci: {len(calls)} "
          f"(1 token, {len(blobs)} manifest reads):\n  " + "\n  ".join(calls))

    [pull] = repo.open_pulls()
    assert pull["head"] == BRANCH and repo.issues[2]["labels"] == ["devops-bot"]
    assert "`requirements.txt`" in pull["body"] and "pytest" in pull["body"] and "3.12" in pull["body"]
    files = repo.files_on(BRANCH)
    assert {".github/workflows/ci.yml", ".github/dependabot.yml", "docs/ci-cd.md"} <= set(files)
    for path in (".github/workflows/ci.yml", ".github/dependabot.yml"):
        (tmp_path / "tree" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tree" / path).write_text(files[path])
    from tests.validators import check_dependabot
    from tests.validators import check_github_workflow

    assert check_github_workflow(tmp_path / "tree" / ".github/workflows/ci.yml") == []
    assert check_dependabot(tmp_path / "tree" / ".github/dependabot.yml") == []
    [status] = [c["body"] for c in repo.comments_on(1) if c["user"].endswith("[bot]")]
    assert "Opened pull request #2" in status

    # the same command again: nothing new on the branch, no second pull request
    head = repo.branch_head(BRANCH)
    fake.clear_calls()
    assert post_comment(web, "/devops setup ci").status_code == 202
    run_worker(env)
    assert repo.branch_head(BRANCH) == head and len(repo.open_pulls()) == 1
    assert not [call for call in fake.requests() if call.startswith(f"POST {api}/git/commits")]
    assert "already has exactly these files" in repo.comments_on(1)[-1]["body"]
