"""A worker SIGKILLed in the middle of `/devops setup ci`: the job is retried, and one pull request is opened.

The fake GitHub holds the job's `POST /pulls` until the test has killed the worker, then serves it:
GitHub opened the pull request but the worker never heard. The retry must find it, not open another.
Real processes throughout: `devops-bot serve`, `devops-bot worker`, the work horse RQ forks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rq.job import Job
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from bot import messages
from bot.queue import get_queue
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.faults.processes import horse_of
from tests.faults.processes import start_worker
from tests.faults.processes import status_of
from tests.faults.processes import wait_for
from tests.faults.processes import workers  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import REPO
from tests.integration.test_setup_ci_end_to_end import app_key  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import env  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import github  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import post_comment
from tests.integration.test_setup_ci_end_to_end import web  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

PULLS = rf"^/repos/{REPO}/pulls$"


def assert_one_pull_request_and_one_status(repo: FakeRepo) -> None:
    [(number, pull)] = [(number, pull) for number, pull in repo.pulls.items() if pull["state"] == "open"]
    assert pull["head"] == "devops-bot/setup-ci"
    statuses = [c["body"] for c in repo.comments_on(1) if c["user"].endswith("[bot]")]
    assert len(statuses) == 1, statuses  # the retry edits the first attempt's status comment
    assert f"pull request #{number}" in statuses[0].lower(), statuses[0]


def test_a_work_horse_killed_mid_job_is_retried_by_its_worker_and_opens_one_pull_request(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str, tmp_path: Path,  # noqa: F811
        workers: list[subprocess.Popen[bytes]]) -> None:
    fake, repo = github
    worker = start_worker(env, tmp_path, workers)
    conn = redis.Redis.from_url(env["REDIS_URL"])
    hold = fake.hold("POST", PULLS)
    answer = post_comment(web, "/devops setup ci")
    assert hold.arrived.wait(120), "the job never reached POST /pulls"
    job_id = str(answer.json()["job_id"])
    os.kill(horse_of(worker), signal.SIGKILL)  # what the kernel's OOM killer does to the biggest process
    hold.release.set()
    killed_at = time.monotonic()

    wait_for(lambda: status_of(conn, job_id) == JobStatus.FINISHED, 90, "the retried job to finish")
    recovered = time.monotonic() - killed_at

    assert_one_pull_request_and_one_status(repo)
    assert Job.fetch(job_id, connection=conn).retries_left == 2  # one of its three retries was used
    assert sum(call == f"POST /repos/{REPO}/pulls" for call in fake.requests()) == 1  # found, not reopened
    print(f"\nwork horse SIGKILLed at POST /pulls: job retried and finished {recovered:.1f}s later "
          "(RQ's first retry waits 10 s); 1 pull request")
    conn.close()


def test_a_worker_and_its_horse_killed_mid_job_leave_it_started_and_the_next_worker_retries_it(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str, tmp_path: Path,  # noqa: F811
        workers: list[subprocess.Popen[bytes]]) -> None:
    fake, repo = github
    first = start_worker(env, tmp_path, workers)
    conn = redis.Redis.from_url(env["REDIS_URL"])
    hold = fake.hold("POST", PULLS)
    answer = post_comment(web, "/devops setup ci")
    assert hold.arrived.wait(120), "the job never reached POST /pulls"
    job_id = str(answer.json()["job_id"])
    horse = horse_of(first)
    os.kill(first.pid, signal.SIGKILL)  # the machine goes: worker and horse, no cleanup of any kind
    os.kill(horse, signal.SIGKILL)
    first.wait(10)
    hold.release.set()

    # Not lost: RQ still shows it started, under a heartbeat that the dead worker no longer renews.
    registry = StartedJobRegistry(queue=get_queue(conn))
    assert status_of(conn, job_id) == JobStatus.STARTED
    [entry] = [member for member in conn.zrange(registry.key, 0, -1) if member.decode().startswith(job_id)]
    lapses_in = conn.zscore(registry.key, entry) - time.time()
    assert 0 < lapses_in <= 90 + 5  # RQ's heartbeat: at most 30 s of monitoring interval + 60 s grace
    # Skip that wait: the heartbeat lapses now instead of in up to 90 s.
    conn.zadd(registry.key, {entry: time.time() - 1}, xx=True)

    start_worker(env, tmp_path, workers)
    restarted_at = time.monotonic()
    wait_for(lambda: status_of(conn, job_id) == JobStatus.FINISHED, 90, "the abandoned job to be retried")
    recovered = time.monotonic() - restarted_at

    assert_one_pull_request_and_one_status(repo)
    assert Job.fetch(job_id, connection=conn).retries_left == 2
    assert sum(call == f"POST /repos/{REPO}/pulls" for call in fake.requests()) == 1
    print(f"\nworker and horse SIGKILLed at POST /pulls: a new worker found the abandoned job and finished it "
          f"{recovered:.1f}s after it started (RQ's first retry waits 10 s); heartbeat would have lapsed in "
          f"{lapses_in:.0f}s; 1 pull request")
    conn.close()


def test_a_job_killed_with_no_retries_left_is_reported_failed_where_it_was_asked(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str, tmp_path: Path,  # noqa: F811
        workers: list[subprocess.Popen[bytes]]) -> None:
    fake, repo = github
    conn = redis.Redis.from_url(env["REDIS_URL"])
    hold = fake.hold("POST", rf"^/repos/{REPO}/git/commits$")
    job_id = str(post_comment(web, "/devops setup ci").json()["job_id"])
    conn.hset(Job.key_for(job_id), "retries_left", 0)  # as if this were its last attempt
    worker = start_worker(env, tmp_path, workers)
    assert hold.arrived.wait(120), "the job never reached POST /git/commits"
    os.kill(horse_of(worker), signal.SIGKILL)
    hold.release.set()
    killed_at = time.monotonic()

    wait_for(lambda: status_of(conn, f"{job_id}-lost") == JobStatus.FINISHED, 60, "the report of the lost job")
    reported = time.monotonic() - killed_at

    assert status_of(conn, job_id) == JobStatus.FAILED
    assert not repo.open_pulls()
    [status] = [c["body"] for c in repo.comments_on(1) if c["user"].endswith("[bot]")]
    assert status == messages.job_failed(job_id)  # the "running" status comment now says it failed
    print(f"\nwork horse SIGKILLed on its last attempt: the issue said so {reported:.1f}s later")
    conn.close()
