"""100 concurrent redeliveries of one signed webhook over real HTTP to `devops-bot serve`: exactly one job.

(100 concurrent clicks on one Approve button: tests/unit/test_rollout_engine.py::
test_concurrent_approvals_have_exactly_one_winner.)
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from bot.queue import get_queue
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.faults.processes import deliver_comment
from tests.integration.test_setup_ci_end_to_end import app_key  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import env  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import github  # noqa: F401 (fixture)
from tests.integration.test_setup_ci_end_to_end import web  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

COPIES = 100


def test_a_hundred_concurrent_redeliveries_of_one_webhook_queue_one_job(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str) -> None:  # noqa: F811
    delivery = str(uuid.uuid4())
    barrier = threading.Barrier(COPIES)

    def redeliver(_: int) -> requests.Response:
        barrier.wait()  # all at once
        return deliver_comment(web, "/devops setup ci", delivery)

    start = time.monotonic()
    with ThreadPoolExecutor(COPIES) as pool:
        answers = list(pool.map(redeliver, range(COPIES)))
    took = time.monotonic() - start

    outcomes = sorted((answer.status_code, answer.json()["outcome"]) for answer in answers)
    assert outcomes == [(200, "duplicate")] * (COPIES - 1) + [(202, "queued")]
    conn = redis.Redis.from_url(env["REDIS_URL"])
    assert get_queue(conn).job_ids == [f"github-{delivery}"]
    conn.close()
    print(f"\n{COPIES} concurrent redeliveries of one webhook: 1 queued, {COPIES - 1} duplicates, "
          f"all answered in {took:.2f}s")
