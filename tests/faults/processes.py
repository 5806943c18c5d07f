"""Real `devops-bot worker` processes for fault tests: start them, find their work horse, wait on a job."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.job import JobStatus

from tests.conftest import github_payload
from tests.integration.test_setup_ci_end_to_end import PYTHON
from tests.integration.test_setup_ci_end_to_end import ROOT
from tests.integration.test_setup_ci_end_to_end import SECRET


@pytest.fixture
def workers(env: dict[str, str], tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start `devops-bot worker` processes with `start_worker()`; every one still alive is stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout_log.close()  # type: ignore[attr-defined]


def start_worker(env: dict[str, str], tmp_path: Path,
                 started: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"worker-{len(started)}.log").open("w")
    process = subprocess.Popen([PYTHON, "-m", "bot.cli", "worker"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    process.stdout_log = log  # type: ignore[attr-defined]
    started.append(process)
    return process


def horse_of(worker: subprocess.Popen[bytes]) -> int:
    """The pid of the work horse the worker forked (its only child)."""
    [child] = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return int(child)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `condition()` until true; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - start


def status_of(conn: redis.Redis, job_id: str) -> JobStatus | None:
    """The RQ status of a job; None while there is no such job."""
    try:
        return Job.fetch(job_id, connection=conn).get_status()
    except NoSuchJobError:
        return None




def deliver_comment(base: str, body: str, delivery: str) -> requests.Response:
    """Deliver the real issue_comment payload, signed, under a given delivery id."""
    payload = github_payload("issue_comment", "created.with-installation.payload.json")
    payload["comment"]["body"] = body
    raw = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": delivery,
               "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    return requests.post(f"{base}/github/webhook", data=raw, headers=headers, timeout=10)
