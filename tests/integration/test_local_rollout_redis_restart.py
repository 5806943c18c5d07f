"""A rollout survives a Redis restart (append-only file on): its state and its scheduled ticks come back."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis as redis_lib
from rq import Queue

from bot.platforms.local_stack import free_port
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import RUNNING
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.contract import Rollout
from bot.rollouts.contract import Stage
from bot.rollouts.testing import MemoryPlatform
from tests.integration.test_local_rollout import start_redis

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")]


def test_a_rollout_continues_after_redis_restarts(tmp_path: Path) -> None:
    port = free_port()
    server = start_redis(port, tmp_path)
    clock = [5_000_000.0]
    platform = MemoryPlatform()

    clients: list[redis_lib.Redis] = []

    def deps() -> engine.Deps:
        conn = redis_lib.Redis(port=port)
        clients.append(conn)
        return engine.Deps(redis=conn, queue=Queue("devops-bot", connection=conn), platform=lambda _: platform,
                           reporters=lambda _: [], now=lambda: clock[0])

    def advance(at: float) -> None:
        clock[0] = max(clock[0], at)

    try:
        rollout = Rollout("", "shop", "production", "canary", "v2", "v1", "memory", "U1",
                          stages=[Stage(10, 4, 2, manual_approval=True), Stage(100, 0, 0)])
        rollout = engine.start(rollout, deps=deps())
        assert driver.step(deps(), set_clock=advance)  # one analysis, the next tick scheduled
        before = engine.get(rollout.rollout_id, deps=deps())
        assert before.state == RUNNING
        server.terminate()  # SIGTERM: Redis flushes the append-only file and exits
        server.wait(10)
        server = start_redis(port, tmp_path)
        after = engine.get(rollout.rollout_id, deps=deps())
        assert after == before
        assert driver.step(deps(), set_clock=advance)  # the scheduled tick came back too
        gate = engine.get(rollout.rollout_id, deps=deps())
        assert gate.state == WAITING_APPROVAL
        assert engine.approve(gate.rollout_id, 0, gate.gate_token, "U2", deps=deps()).rollout.state == SUCCEEDED
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.wait(10)

