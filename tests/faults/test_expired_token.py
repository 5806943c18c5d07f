"""An installation token GitHub no longer accepts (expired early, revoked): forgotten, minted again, job retried.

Real processes: `devops-bot serve` and `devops-bot worker` against the fake GitHub, which accepts only
tokens it issued (strict_tokens), so the cached token planted in Redis answers 401 like an expired one.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rq.job import Job
from rq.job import JobStatus

from bot.github_auth import InstallationTokens
from tests.conftest import github_payload
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.faults.processes import start_worker
from tests.faults.processes import status_of
from tests.faults.processes import wait_for
from tests.faults.processes import workers  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import app_key  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import env  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import github  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import post_comment
from tests.integration.test_setup_ci_end_to_end import web  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def test_a_token_github_refuses_is_replaced_once_and_the_job_retried_to_one_pull_request(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str, tmp_path: Path,  # noqa: F811
        workers: list[subprocess.Popen[bytes]]) -> None:  # noqa: F811
    fake, repo = github
    conn = redis.Redis.from_url(env["REDIS_URL"])
    installation = github_payload("issue_comment", "created.with-installation.payload.json")["installation"]["id"]
    # Our cache still thinks it has 50 minutes to live; GitHub says it is dead.
    conn.set(InstallationTokens.key(installation),
             json.dumps({"token": "ghs_expired0000000000000000000000000000", "expires_at": time.time() + 3000}))

    job_id = str(post_comment(web, "/devops setup ci").json()["job_id"])
    start_worker(env, tmp_path, workers)
    took = wait_for(lambda: status_of(conn, job_id) == JobStatus.FINISHED, 90, "the job to finish")

    statuses = [call.status for call in fake.calls]
    assert statuses.count(401) == 1  # the first call with the dead token, and no other
    assert sum(call.path.endswith("/access_tokens") for call in fake.calls) == 1  # one new token
    assert Job.fetch(job_id, connection=conn).retries_left == 2  # one retry used
    assert len(repo.open_pulls()) == 1
    bodies = [c["body"] for c in repo.comments_on(1) if c["user"].endswith("[bot]")]
    assert len(bodies) == 1 and "Opened pull request" in bodies[0]
    print(f"\nexpired installation token: 1 x 401, token minted again once, job finished {took:.1f}s after the "
          "worker started (RQ's first retry waits 10 s)")
    conn.close()
