"""The fast enqueue writes the same job RQ's own enqueue_call writes, and a worker runs it."""

from __future__ import annotations

from typing import Any

from rq import Queue
from rq import SimpleWorker
from rq.job import JobStatus

from bot import enqueue_template
from bot.queue import FAILED_JOB_TTL_SECONDS
from bot.queue import _retry
from bot.queue import enqueue_job
from bot.queue import get_queue

PAYLOAD = {"kind": "setup_ci", "delivery_id": "d-1", "options": {"coverage": 80.5, "deployment_targets": None}}
TIMESTAMPS = {b"created_at", b"enqueued_at"}


def job_hash(conn: Any, job_id: str) -> dict[bytes, bytes]:
    fields = conn.hgetall(f"rq:job:{job_id}")
    return {key: value for key, value in fields.items() if key not in TIMESTAMPS}


def test_the_template_writes_the_job_rq_writes(redis_conn: Any) -> None:
    queue = get_queue(redis_conn)
    for retries in (0, 3):
        redis_conn.flushdb()
        queue.enqueue_call("bot.jobs.run_github_command", args=(PAYLOAD,), job_id="by-rq", timeout=900,
                           retry=_retry(retries), failure_ttl=FAILED_JOB_TTL_SECONDS,
                           description="bot.jobs.run_github_command by-template")
        enqueue_job(queue, "bot.jobs.run_github_command", PAYLOAD, job_id="by-template", timeout=900,
                    retries=retries)

        assert queue.__dict__["_bot_enqueue_templates"][("bot.jobs.run_github_command", 900, retries)] is not None
        assert job_hash(redis_conn, "by-template") == job_hash(redis_conn, "by-rq")
        assert set(redis_conn.hkeys("rq:job:by-template")) == set(redis_conn.hkeys("rq:job:by-rq"))
        assert queue.job_ids == ["by-rq", "by-template"]
        job = queue.fetch_job("by-template")
        assert job is not None and job.args == (PAYLOAD,) and job.get_status() == JobStatus.QUEUED
        assert job.created_at is not None and job.enqueued_at is not None


def test_a_worker_runs_a_job_the_template_wrote(redis_conn: Any) -> None:
    queue = get_queue(redis_conn)

    enqueue_job(queue, "json.dumps", {"n": 1}, job_id="run-me", timeout=60, retries=1)
    SimpleWorker([queue], connection=redis_conn).work(burst=True)

    job = queue.fetch_job("run-me")
    assert job is not None and job.get_status() == JobStatus.FINISHED
    assert job.return_value() == '{"n": 1}'


def test_an_unexpected_rq_shape_falls_back_to_rq(redis_conn: Any, monkeypatch: Any) -> None:
    queue = Queue("template-fallback", connection=redis_conn)
    real = enqueue_template.rq_commands

    def with_extra_key(*args: Any, **kwargs: Any) -> list[list[bytes]]:
        job_id = kwargs["job_id"]
        return [*real(*args, **kwargs), [b"SADD", b"somewhere-else", job_id.encode()]]

    monkeypatch.setattr(enqueue_template, "rq_commands", with_extra_key)
    assert enqueue_template.build(queue, "json.dumps", timeout=60, retry=None, failure_ttl=60) is not None
    monkeypatch.setattr(enqueue_template, "rq_commands",
                        lambda *a, **kw: [[b"SADD", b"x", f"rq:job:{kw['job_id']}:extra".encode()]])
    assert enqueue_template.build(queue, "json.dumps", timeout=60, retry=None, failure_ttl=60) is None

    monkeypatch.setattr(enqueue_template, "rq_commands", real)
    monkeypatch.setattr(enqueue_template, "build", lambda *a, **kw: None)
    assert enqueue_job(queue, "json.dumps", {"n": 2}, job_id="fallback", timeout=60, retries=0)
    job = queue.fetch_job("fallback")
    assert job is not None and job.args == ({"n": 2},)
