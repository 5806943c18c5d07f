"""Redis killed and restarted (append-only file on) with `/devops setup ci` jobs queued: none lost, none doubled.

Real processes: redis-server with `appendonly yes, appendfsync always`, `devops-bot serve`, `devops-bot worker`.
(A rollout across a Redis restart: tests/integration/test_local_rollout_redis_restart.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq.job import JobStatus

from bot.queue import get_queue
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.faults.processes import deliver_comment
from tests.faults.processes import start_worker
from tests.faults.processes import status_of
from tests.faults.processes import wait_for
from tests.faults.processes import workers  # noqa: F401 (fixture)
from tests.integration.test_local_rollout import start_redis
from tests.integration.test_setup_ci_end_to_end import APP_ID
from tests.integration.test_setup_ci_end_to_end import ROOT
from tests.integration.test_setup_ci_end_to_end import SECRET
from tests.integration.test_setup_ci_end_to_end import app_key  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import free_port
from tests.integration.test_setup_ci_end_to_end import github  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import post_comment
from tests.integration.test_setup_ci_end_to_end import web  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

JOBS = 5


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[dict[str, object]]:
    """A private redis-server persisting every write; `restart()` SIGKILLs it and starts it on the same files."""
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    server = {"process": start_redis(port, data), "url": f"redis://127.0.0.1:{port}/0"}

    def restart() -> None:
        process: subprocess.Popen[bytes] = server["process"]  # type: ignore[assignment]
        os.kill(process.pid, signal.SIGKILL)  # a crash: no shutdown save, only what the AOF already holds
        process.wait(10)
        server["process"] = start_redis(port, data)

    server["restart"] = restart
    yield server
    process = server["process"]
    process.terminate()  # type: ignore[attr-defined]
    process.wait(10)  # type: ignore[attr-defined]


@pytest.fixture
def env(github: tuple[FakeGitHub, FakeRepo], app_key: tuple[str, str],  # noqa: F811
        aof_redis: dict[str, object]) -> dict[str, str]:
    values = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "SLACK_", "REDIS_"))}
    values.update(GITHUB_API_URL=github[0].base_url, REDIS_URL=str(aof_redis["url"]), GITHUB_APP_ID=APP_ID,
                  GITHUB_PRIVATE_KEY=app_key[0], GITHUB_WEBHOOK_SECRET=SECRET, PYTHONPATH=str(ROOT))
    return values


def test_jobs_queued_before_redis_crashes_all_run_once_after_it_restarts(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str, aof_redis: dict[str, object],  # noqa: F811
        tmp_path: Path, workers: list[subprocess.Popen[bytes]]) -> None:  # noqa: F811
    fake, repo = github
    answers = [post_comment(web, "/devops setup ci") for _ in range(JOBS)]
    assert [answer.status_code for answer in answers] == [202] * JOBS
    job_ids = [str(answer.json()["job_id"]) for answer in answers]

    aof_redis["restart"]()  # type: ignore[operator]

    conn = redis.Redis.from_url(str(aof_redis["url"]))
    assert get_queue(conn).job_ids == job_ids  # every queued job came back, in order
    # The web app's client reconnects, and the delivery ids it had seen came back too.
    redelivered = deliver_comment(web, "/devops setup ci", job_ids[0].removeprefix("github-"))
    assert redelivered.status_code == 200 and redelivered.json()["outcome"] == "duplicate"
    delivery = str(uuid.uuid4())
    assert deliver_comment(web, "/devops setup ci", delivery).status_code == 202
    job_ids.append(f"github-{delivery}")

    start_worker(env, tmp_path, workers)
    took = wait_for(lambda: all(status_of(conn, job) == JobStatus.FINISHED for job in job_ids), 120,
                    "every queued job to finish")

    assert len(repo.open_pulls()) == 1  # the first job opened it, the others found it unchanged
    statuses = [c for c in repo.comments_on(1) if c["user"].endswith("[bot]")]
    assert len(statuses) == JOBS + 1  # one status comment per job: each ran once
    print(f"\nRedis SIGKILLed and restarted (AOF, fsync always) with {JOBS} setup-ci jobs queued: all {JOBS} "
          f"back in order, plus one queued after the restart; all finished {took:.1f}s after the worker "
          "started; 1 pull request")
    conn.close()
