"""Jobs whose worker died: an idle worker retries them, and one with no retries left is reported, not dropped."""

from __future__ import annotations

import threading
import time
from typing import Any

import redis as redis_lib
from rq import Retry
from rq.job import JobStatus
from rq.registry import FailedJobRegistry
from rq.registry import StartedJobRegistry

from bot.queue import ABANDONED_JOB_SCAN_SECONDS
from bot.queue import BotWorker
from bot.queue import get_queue
from bot.queue import worker_queues


def abandon(conn: Any, func: str = "os.getpid", args: tuple[Any, ...] = (), retries: int = 1) -> str:
    """A job left STARTED by a worker that died, its heartbeat lapsed."""
    queue = get_queue(conn)
    job = queue.enqueue(func, *args, retry=Retry(max=retries) if retries else None, job_id="github-abandoned")
    assert queue.pop_job_id() == job.id  # dequeued by the worker that is about to die
    job.set_status(JobStatus.STARTED)
    registry = StartedJobRegistry(queue=queue)
    conn.zadd(registry.key, {f"{job.id}:dead-execution": time.time() - 1})  # its heartbeat lapsed a second ago
    return job.id


def test_an_idle_worker_retries_a_job_abandoned_by_a_dead_worker(redis_url: str) -> None:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    worker = BotWorker(worker_queues(conn), connection=conn, maintenance_interval=1)
    worker.last_cleaned_at = None
    worker.run_maintenance_tasks()  # what `work()` does on startup, before the job is abandoned
    job_id = abandon(conn)
    guard = threading.Timer(10, lambda: setattr(worker, "_stop_requested", True))
    guard.start()
    started = time.monotonic()
    try:
        result = worker.dequeue_job_and_maintain_ttl(timeout=5)
    finally:
        guard.cancel()
    assert result is not None, "an idle worker never looked for abandoned jobs"
    job, _queue = result
    assert job.id == job_id and job.retries_left == 0  # retried, one retry used
    assert time.monotonic() - started < 5
    conn.close()


def test_the_worker_looks_for_abandoned_jobs_every_minute(redis_url: str) -> None:
    # RQ's heartbeat lapses 90 s after a worker dies; a scan every minute retries its job within 2.5 minutes
    # instead of up to RQ's default 10.
    conn = redis_lib.Redis.from_url(redis_url)
    assert BotWorker(worker_queues(conn), connection=conn).maintenance_interval == ABANDONED_JOB_SCAN_SECONDS <= 60
    conn.close()


def test_an_abandoned_command_job_without_retries_left_gets_its_failure_reported(redis_url: str) -> None:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    request = {"kind": "setup_ci", "repository": "octo-org/shop", "issue_number": 7}
    job_id = abandon(conn, "bot.jobs.run_github_command", (request,), retries=0)
    BotWorker(worker_queues(conn), connection=conn).run_maintenance_tasks()
    assert FailedJobRegistry(queue=get_queue(conn)).get_job_ids() == [job_id]
    report = get_queue(conn).fetch_job(f"{job_id}-lost")
    assert report is not None and report.func_name == "bot.jobs.report_lost_job"
    assert report.args == (request, job_id)
    conn.close()
