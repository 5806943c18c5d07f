"""Canary rollouts on the real local stack: HAProxy's runtime API, Prometheus's PromQL, real app processes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.platforms import platform_for
from bot.platforms.local_stack import LoadGenerator
from bot.platforms.local_stack import free_port
from bot.platforms.local_stack import LocalStack
from bot.platforms.local_stack import start_stack
from bot.queue import get_queue
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.contract import Rollout
from bot.rollouts.demo import demo_stages
from bot.rollouts.testing import RecordingReporter

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (shutil.which("haproxy") and shutil.which("prometheus") and shutil.which("redis-server")),
                       reason="haproxy, prometheus or redis-server is not installed (scripts/setup installs them)"),
]

ROOT = Path(__file__).resolve().parent.parent.parent


def start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    """A private redis-server (append-only file on), so that a suite run elsewhere can never flush our data."""
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                                "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with redis_lib.Redis(port=port) as probe:
                if probe.ping():
                    return process
        except redis_lib.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError("redis-server did not start")


@pytest.fixture
def conn(tmp_path: Path) -> Any:
    port = free_port()
    server = start_redis(port, tmp_path)
    c = redis_lib.Redis(port=port)
    c.url = f"redis://127.0.0.1:{port}/0"  # type: ignore[attr-defined]
    yield c
    c.close()
    server.terminate()
    server.wait(10)


@pytest.fixture
def stack() -> Any:
    with start_stack("v1", "v2") as running:
        load = LoadGenerator(running.url).start()
        running.load = load  # type: ignore[attr-defined]
        try:
            yield running
        finally:
            load.stop()


def new_rollout(stack: LocalStack) -> Rollout:
    rollout = demo_stages(3, ["25%"])
    rollout.app, rollout.platform_config = "shop", stack.platform_config()
    return rollout


def served_now(stack: LocalStack, seconds: float = 2) -> Counter[tuple[str, int]]:
    """What HAProxy answered over the next few seconds (after in-flight requests settle)."""
    time.sleep(1)
    stack.load.reset()  # type: ignore[attr-defined]
    time.sleep(seconds)
    return stack.load.reset()  # type: ignore[attr-defined]


def test_a_canary_passes_its_gate_and_the_new_version_serves_everything(conn: Any, stack: LocalStack) -> None:
    reporter = RecordingReporter()
    deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=platform_for, reporters=lambda _: [reporter])
    rollout = engine.start(new_rollout(stack), deps=deps)
    approvals: list[engine.Outcome] = []

    def at_gate(current: Rollout) -> None:
        if current.state == WAITING_APPROVAL and not approvals:
            split = served_now(stack, 1)
            assert split[("v2", 200)] and split[("v1", 200)]  # 25/75 while the gate waits
            approvals.append(engine.approve(current.rollout_id, current.stage_index, current.gate_token, "U2",
                                            deps=deps))

    final = driver.drive(rollout.rollout_id, deps, timeout=120, on_idle=at_gate)
    assert final.state == SUCCEEDED, final.reason
    assert [o.code for o in approvals] == ["approved"]
    assert [s for s in reporter.kinds() if s in ("stage_started", "gate_waiting", "approved", "succeeded")] == [
        "stage_started", "stage_started", "gate_waiting", "approved", "stage_started", "stage_started", "succeeded"]
    analyses = [e for e in final.events if e["kind"] == "analysis"]
    assert analyses and all("error rate 0.00%" in e["text"] for e in analyses)
    served = served_now(stack)
    assert set(served) == {("v2", 200)} and served[("v2", 200)] > 50


def test_a_fault_in_the_canary_rolls_back_by_itself_and_stable_serves_everything(conn: Any,
                                                                                  stack: LocalStack) -> None:
    deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=platform_for, reporters=lambda _: [])
    stack.set_fault("canary", error_rate=0.3)
    rollout = engine.start(new_rollout(stack), deps=deps)
    final = driver.drive(rollout.rollout_id, deps, timeout=60)
    assert final.state == ROLLED_BACK
    assert final.reason.startswith("automatic rollback at 5%: error rate ")
    assert "is above the limit 1.00%" in final.reason
    assert final.traffic == {"stable": 100, "canary": 0}
    served = served_now(stack)
    assert set(served) == {("v1", 200)} and served[("v1", 200)] > 50


def test_a_real_worker_with_its_scheduler_drives_the_rollout_across_a_restart(conn: Any, stack: LocalStack) -> None:
    env = worker_env(conn)
    deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=platform_for, reporters=lambda _: [])
    rollout = engine.start(new_rollout(stack), deps=deps)
    worker = start_worker(env)
    try:
        at_gate = wait_for(conn, rollout.rollout_id, {WAITING_APPROVAL}, worker)
        assert at_gate.stage_index == 1 and at_gate.traffic == {"stable": 75, "canary": 25}
    finally:
        stop(worker)
    # No worker runs now; the approval is saved with the next stage's scheduled tick.
    assert engine.approve(rollout.rollout_id, 1, at_gate.gate_token, "U2", deps=deps).ok
    worker = start_worker(env)
    try:
        final = wait_for(conn, rollout.rollout_id, TERMINAL, worker)
    finally:
        log = stop(worker)
    assert final.state == SUCCEEDED, (final.reason, log)
    assert [e["kind"] for e in final.events].count("stage_started") == 4
    assert set(served_now(stack)) == {("v2", 200)}


def worker_env(conn: Any) -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("GITHUB_", "SLACK_", "REDIS_"))}
    # The worker checks the App's settings at start-up, though these jobs never call GitHub.
    env.update(REDIS_URL=conn.url, PYTHONPATH=str(ROOT), GITHUB_APP_ID="1", GITHUB_PRIVATE_KEY=key,
               GITHUB_WEBHOOK_SECRET="unused", GITHUB_API_URL="http://127.0.0.1:9")
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def stop(worker: subprocess.Popen[str]) -> str:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out


def wait_for(conn: Any, rollout_id: str, states: set[str] | frozenset[str],
             worker: subprocess.Popen[str], timeout: float = 90) -> Rollout:
    deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=platform_for, reporters=lambda _: [])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = engine.get(rollout_id, deps=deps)
        if current is not None and current.state in states:
            return current
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited: {worker.communicate()[0]}")
        time.sleep(0.2)
    raise AssertionError(f"rollout {rollout_id} never reached {states}: {engine.get(rollout_id, deps=deps)}")


@pytest.mark.parametrize(("args", "expected", "serving"), [
    ([], "succeeded: every stage passed", "v2 200"),
    (["--fault", "0.3"], "rolled_back: automatic rollback at 5%: error rate", "v1 200"),
])
def test_the_deploy_demo_command_prints_the_thread_and_what_haproxy_serves(args: list[str], expected: str,
                                                                          serving: str) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("GITHUB_", "SLACK_", "REDIS_"))}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "deploy-demo", "--stage-seconds", "2", *args], cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert expected in done.stdout
    last = done.stdout.strip().splitlines()[-1]
    # one entry only: every answer came from that version, with status 200
    assert re.fullmatch(rf"the last 2 s through HAProxy at http://127\.0\.0\.1:\d+: {serving}: \d+", last), last
    assert "stage 1/4: 5% of traffic" in done.stdout


def test_blue_green_previews_with_no_traffic_then_switches_everything_at_once(conn: Any, stack: LocalStack) -> None:
    from bot.rollouts.strategies import plan_stages

    deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=platform_for, reporters=lambda _: [])
    rollout = new_rollout(stack)
    rollout.strategy = "blue_green"
    rollout.stages = plan_stages("blue_green", {"smoke_duration": 2, "bake_duration": 3, "analysis_interval": 1.5,
                                                "manual_approval_points": []})
    seen: list[Counter[tuple[str, int]]] = []

    def during_preview(current: Rollout) -> None:
        if current.stage_index == 0 and not seen:
            seen.append(served_now(stack, 0.5))

    final = driver.drive(engine.start(rollout, deps=deps).rollout_id, deps, timeout=60, on_idle=during_preview)
    assert final.state == SUCCEEDED, final.reason
    assert seen and set(seen[0]) == {("v1", 200)}  # green took no traffic while it was previewed
    assert set(served_now(stack)) == {("v2", 200)}


def test_the_deployment_pipeline_hands_the_rollout_to_a_real_worker_which_writes_the_report(
        conn: Any, stack: LocalStack, tmp_path: Path) -> None:
    import json

    from ruamel.yaml import YAML

    from bot.rollouts.report import report_key

    env = worker_env(conn)
    inputs = {"application_name": "shop", "target_environment": "staging", "deployment_strategy": "canary",
              "artifact_source": {"type": "git", "location": "examples/demo-app", "version": "v2"},
              "platform_config": {"type": "local", "local": stack.platform_config()}, "stable_version": "v1",
              "rollout_settings": {"canary_stages": [{"percentage": 20, "duration": 3}, {"percentage": 100}],
                                   "manual_approval_points": [], "analysis_interval": 1.5}}
    YAML().dump(inputs, tmp_path / "inputs.yml")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "deployment", "--inputs-file",
                           str(tmp_path / "inputs.yml")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded" and len(summary["steps"]) == 9
    rollout_id = summary["run_id"][:32]
    assert engine.get(rollout_id, deps=engine.Deps(conn, get_queue(conn), platform_for, lambda _: [])).state == \
        "running"  # the run returned while the rollout goes on
    worker = start_worker(env)
    try:
        final = wait_for(conn, rollout_id, TERMINAL, worker)
        deadline = time.monotonic() + 30
        while conn.get(report_key(rollout_id)) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        log = stop(worker)
    assert final.state == SUCCEEDED, (final.reason, log)
    report = json.loads(conn.get(report_key(rollout_id)))
    assert report["status"] == SUCCEEDED and report["test_results"]["passed"]
    assert set(served_now(stack)) == {("v2", 200)}
