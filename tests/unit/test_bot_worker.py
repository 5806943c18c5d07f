"""`devops-bot worker` (BotWorker): its own scheduler claims each due job once; rollout ticks skip the fork."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest
import redis as redis_lib

from bot.platforms import platform_for
from bot.platforms import register_platform
from bot.queue import BotWorker
from bot.queue import enqueue_due_jobs
from bot.queue import get_queue
from bot.queue import worker_queues
from bot.rollouts.contract import Rollout
from bot.rollouts.testing import MemoryPlatform


def _past() -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=5)


def test_workers_moving_due_jobs_at_once_enqueue_each_job_exactly_once(redis_url: str) -> None:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    queue = get_queue(conn)
    for n in range(200):
        queue.enqueue_at(_past(), "json.dumps", n, job_id=f"due-{n}")
    moved: list[int] = []

    def mover() -> None:
        own = redis_lib.Redis.from_url(redis_url)
        moved.append(enqueue_due_jobs(get_queue(own)))
        own.close()

    threads = [threading.Thread(target=mover) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(moved) == 200
    assert sorted(queue.get_job_ids()) == sorted(f"due-{n}" for n in range(200))  # no id twice
    conn.flushdb()
    conn.close()


def record_pid(url: str) -> int:
    """A job that leaves the pid of the process it ran in."""
    conn = redis_lib.Redis.from_url(url)
    conn.rpush("ran-in", os.getpid())
    conn.close()
    return os.getpid()


@pytest.mark.parametrize(("in_process", "same_pid"), [(set(), False), ({f"{__name__}.record_pid"}, True)])
def test_due_rollout_steps_run_in_the_worker_process_and_other_jobs_in_a_work_horse(
        redis_url: str, monkeypatch: pytest.MonkeyPatch, in_process: set[str], same_pid: bool) -> None:
    monkeypatch.setattr("bot.queue.IN_PROCESS_JOBS", frozenset(in_process))
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    get_queue(conn).enqueue_at(_past(), record_pid, redis_url, job_id="whose-pid")  # due: the worker runs it
    BotWorker(worker_queues(conn), connection=conn).work(burst=True, logging_level="WARNING")
    assert len(conn.lrange("ran-in", 0, -1)) == 1  # ran once
    assert (int(conn.lrange("ran-in", 0, -1)[0]) == os.getpid()) is same_pid
    conn.flushdb()
    conn.close()


def test_a_due_rollout_step_that_raises_is_handed_to_rq_which_runs_and_records_it(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.queue.IN_PROCESS_JOBS", frozenset({"builtins.int"}))
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    get_queue(conn).enqueue_at(_past(), "builtins.int", {}, job_id="raises")  # int({}) is a TypeError
    BotWorker(worker_queues(conn), connection=conn).work(burst=True, logging_level="WARNING")
    job = get_queue(conn).fetch_job("raises")
    assert job is not None and job.is_failed and "TypeError" in (job.latest_result().exc_string or "")
    conn.flushdb()
    conn.close()


def test_a_registered_platform_is_built_from_the_rollout_config_and_built_ins_stay_reserved() -> None:
    built: list[dict[str, Any]] = []

    def factory(config: dict[str, Any]) -> MemoryPlatform:
        built.append(config)
        return MemoryPlatform()

    register_platform("test-memory", factory)
    rollout = Rollout(rollout_id="r", app="a", environment="staging", strategy="canary", version="v2",
                      stable_version="v1", platform="test-memory", requested_by="U1", platform_config={"k": 1})
    assert isinstance(platform_for(rollout), MemoryPlatform) and built == [{"k": 1}]
    with pytest.raises(ValueError, match="built-in"):
        register_platform("local", factory)


def wait_for_peers(url: str, peers: int) -> None:
    """A step that finishes only once `peers` steps have started: it needs them to run at the same time."""
    conn = redis_lib.Redis.from_url(url)
    conn.incr("arrived")
    deadline = time.monotonic() + 20
    while int(conn.get("arrived") or 0) < peers:
        if time.monotonic() > deadline:
            conn.close()
            raise RuntimeError("no peer came: the steps ran one after another")
        time.sleep(0.01)
    conn.close()


def test_due_rollout_steps_run_several_at_once(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.queue.IN_PROCESS_JOBS", frozenset({f"{__name__}.wait_for_peers"}))
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    for n in range(4):
        get_queue(conn).enqueue_at(_past(), wait_for_peers, redis_url, 4, job_id=f"peer-{n}")
    BotWorker(worker_queues(conn), connection=conn).work(burst=True, logging_level="WARNING")
    assert int(conn.get("arrived") or 0) == 4
    assert [get_queue(conn).fetch_job(f"peer-{n}") for n in range(4)] == [None] * 4  # each done, none failed
    conn.flushdb()
    conn.close()
