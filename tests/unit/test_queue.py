"""The queue: one-shot enqueue per delivery id on real Redis, and the embedded queue running jobs in-process."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import fakeredis
import pytest
from rq.job import Job
from rq.job import JobStatus

from bot.queue import DELIVERY_TTL_SECONDS
from bot.queue import EmbeddedWorkerThread
from bot.queue import connect
from bot.queue import enqueue_job
from bot.queue import get_queue
from bot.queue import start_embedded_worker
from bot.settings import Settings


def wait_for(job: Job, status: JobStatus, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while job.get_status(refresh=True) != status:
        assert time.monotonic() < deadline, f"job {job.id} is {job.get_status()}, not {status}"
        time.sleep(0.02)


@pytest.fixture
def embedded() -> Iterator[tuple[Any, EmbeddedWorkerThread]]:
    conn = connect(Settings())
    conn.flushall()
    thread = start_embedded_worker(conn)
    yield conn, thread
    thread.stop()
    conn.flushall()


def test_enqueue_accepts_a_job_id_once(redis_conn: Any) -> None:
    queue = get_queue(redis_conn)

    first = enqueue_job(queue, "json.dumps", {"n": 1}, job_id="github-1", timeout=60, retries=2)
    second = enqueue_job(queue, "json.dumps", {"n": 2}, job_id="github-1", timeout=60, retries=2)

    assert (first, second) == (True, False)
    [job] = queue.jobs
    assert job.args == ({"n": 1},)
    assert 0 < redis_conn.ttl("delivery:github-1") <= DELIVERY_TTL_SECONDS


def test_a_job_carries_its_timeout_and_retries_with_growing_backoff(redis_conn: Any) -> None:
    queue = get_queue(redis_conn)

    enqueue_job(queue, "json.dumps", {}, job_id="j", timeout=90, retries=3)

    job = queue.fetch_job("j")
    assert job is not None
    assert job.timeout == 90
    assert job.retries_left == 3
    assert job.retry_intervals == sorted(job.retry_intervals) and len(job.retry_intervals) == 3


def test_a_job_without_retries_is_not_retried(redis_conn: Any) -> None:
    queue = get_queue(redis_conn)

    enqueue_job(queue, "json.dumps", {}, job_id="j", timeout=90, retries=0)

    job = queue.fetch_job("j")
    assert job is not None and not job.retries_left


def test_enqueueing_costs_one_round_trip(redis_conn: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = get_queue(redis_conn)
    queue.get_redis_server_version()  # asked once per process, not per delivery
    # The enqueue script is loaded once per server (SCRIPT LOAD after a NOSCRIPT): an earlier test may have run it
    # on another server, so one warm-up delivery makes this measure the steady state whatever ran before.
    enqueue_job(queue, "json.dumps", {}, job_id="warm-up", timeout=60, retries=1)
    sent: list[str] = []
    original = redis_conn.execute_command
    monkeypatch.setattr(redis_conn, "execute_command", lambda *args, **kw: sent.append(args[0]) or original(*args,
                                                                                                           **kw))

    enqueue_job(queue, "json.dumps", {}, job_id="one", timeout=60, retries=1)
    enqueue_job(queue, "json.dumps", {}, job_id="one", timeout=60, retries=1)

    assert sent == ["EVALSHA", "EVALSHA"]
    assert queue.count == 2


def test_the_embedded_server_is_shared_by_every_connection() -> None:
    first, second = connect(Settings()), connect(Settings())

    first.set("shared-check", "yes")
    try:
        assert isinstance(first, fakeredis.FakeRedis)
        assert second.get("shared-check") == b"yes"
    finally:
        first.delete("shared-check")


def test_the_embedded_queue_runs_a_job_in_process(embedded: tuple[Any, EmbeddedWorkerThread]) -> None:
    conn, _thread = embedded
    queue = get_queue(conn)

    assert enqueue_job(queue, "json.dumps", {"hello": "world"}, job_id="embedded-1", timeout=30, retries=1)

    job = queue.fetch_job("embedded-1")
    assert job is not None
    wait_for(job, JobStatus.FINISHED)
    assert job.return_value() == json.dumps({"hello": "world"})


def test_the_embedded_worker_retries_a_failing_job_after_its_backoff(
        embedded: tuple[Any, EmbeddedWorkerThread], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.queue.RETRY_BACKOFF_SECONDS", (1, 1))
    conn, _thread = embedded
    queue = get_queue(conn)

    # int({}) raises TypeError every time: the job fails, waits, is retried, and fails for good.
    enqueue_job(queue, "builtins.int", {}, job_id="embedded-fails", timeout=30, retries=1)

    job = queue.fetch_job("embedded-fails")
    assert job is not None
    wait_for(job, JobStatus.FAILED, seconds=15)
    job.refresh()
    assert job.retries_left == 0  # it ran, was retried once, and failed again


def test_a_stopped_embedded_worker_ends_its_thread() -> None:
    thread = start_embedded_worker(connect(Settings()))

    thread.stop()

    assert not thread.is_alive()
