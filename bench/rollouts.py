#!/usr/bin/env python3
"""How many concurrent canary rollouts one worker drives, and how late their stage ticks run.

A private redis-server and ONE worker process: the bot's own worker, which is its own scheduler
(bench/rollout_worker.py, which adds a synthetic `bench` platform that costs nothing). This
process starts N canary rollouts at once through the real engine (4 stages x 2 s, analysis every
1 s by default; every `--fail-every`-th rollout gets failing metrics from its second stage and must
roll back), then waits until all have ended. Tick lateness is the tick's start minus the time it
was scheduled for (RQ keeps whole seconds; the engine rounds up, so a tick is never early).
Worker CPU is the worker and any forked work horse (ticks run in the worker itself); RSS is its peak.
The machine's load average is printed too: on a shared machine the figures move with it.

    .venv/bin/python bench/rollouts.py                      # N = 50, 100, 200, 400
    .venv/bin/python bench/rollouts.py -n 200 --interval 5 --stage-seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.rollout_worker import PLATFORM  # noqa: E402
from bench.rollout_worker import SyntheticPlatform  # noqa: E402
from bench.rollout_worker import TICKS_KEY  # noqa: E402
from bench.webhook import free_port  # noqa: E402
from bot.queue import get_queue  # noqa: E402
from bot.rollouts import engine  # noqa: E402
from bot.rollouts.contract import TERMINAL  # noqa: E402
from bot.rollouts.contract import Criteria  # noqa: E402
from bot.rollouts.contract import Rollout  # noqa: E402
from bot.rollouts.contract import Stage  # noqa: E402
from bot.rollouts.store import RolloutStore  # noqa: E402

WEIGHTS = (10, 25, 50, 100)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """One sweep point."""

    n: int
    succeeded: int
    rolled_back: int
    failed: int
    unfinished: int
    expected_rollbacks: int
    wall_seconds: float
    ticks: int
    lateness_p50: float
    lateness_p99: float
    lateness_max: float
    worker_cpu_seconds: float
    worker_cpu_percent: float
    worker_rss_mib: float


class RedisServer:
    """A redis-server of the bench's own on a free loopback port, no persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--loglevel", "warning"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _proc_stat(pid: int) -> tuple[float, float]:
    """(own CPU seconds, reaped children's CPU seconds) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_cpu(pid: int) -> float:
    """CPU seconds of the worker, its reaped work horses, and its live children (the scheduler)."""
    own, reaped = _proc_stat(pid)
    return own + reaped + sum(sum(_proc_stat(child)) for child in _children(pid))


def start_worker(redis_url: str, log: Path) -> subprocess.Popen[bytes]:
    """The bot's worker with the bench platform, in its own process."""
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen([sys.executable, "-m", "bench.rollout_worker"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    conn = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 30
    # Ready when the worker has registered itself (it is its own scheduler).
    while not conn.keys("rq:worker:*"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_worker(process)
            raise RuntimeError(f"the worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (RQ's warm shutdown), then wait."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def canary(index: int, stage_seconds: float, interval: float, config: dict[str, Any]) -> Rollout:
    """One canary rollout of its own app on the bench platform."""
    stages = [Stage(weight=w, duration_seconds=stage_seconds, analysis_interval_seconds=interval,
                    criteria=Criteria(max_error_rate=0.01, max_p99_ms=500)) for w in WEIGHTS]
    return Rollout(rollout_id=f"bench{index:05d}", app=f"app{index:05d}", environment="production",
                   strategy="canary", version="v2", stable_version="v1", platform=PLATFORM,
                   requested_by="U0BENCH", stages=stages, platform_config=config)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0-1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run_point(redis_url: str, n: int, stage_seconds: float, interval: float, fail_every: int,
              log: Path, timeout: float) -> Result:
    """Start N rollouts at once on a fresh worker and wait until every one has ended."""
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    worker = start_worker(redis_url, log)
    try:
        cpu_before = worker_cpu(worker.pid)
        started = time.monotonic()
        deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=lambda r: SyntheticPlatform(r.platform_config),
                           reporters=lambda r: [])
        ids, expected_rollbacks = [], 0
        for index in range(n):
            failing = fail_every > 0 and index % fail_every == fail_every - 1
            expected_rollbacks += failing
            config = {"redis_url": redis_url, **({"fail_at_stage": 1} if failing else {})}
            ids.append(engine.start(canary(index, stage_seconds, interval, config), deps=deps).rollout_id)
        store, states = RolloutStore(conn), {}
        deadline = started + timeout
        while time.monotonic() < deadline:
            states = {rid: (r.state if (r := store.get(rid)) else "missing") for rid in ids}
            if all(state in TERMINAL for state in states.values()):
                break
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        wall = time.monotonic() - started
        cpu = worker_cpu(worker.pid) - cpu_before
        rss = _peak_rss_mib(worker.pid) + sum(_peak_rss_mib(child) for child in _children(worker.pid))
    finally:
        stop_worker(worker)
    lateness = [json.loads(raw)["lateness"] for raw in conn.lrange(TICKS_KEY, 0, -1)]
    counts = {state: sum(1 for s in states.values() if s == state) for state in ("succeeded", "rolled_back", "failed")}
    return Result(n=n, succeeded=counts["succeeded"], rolled_back=counts["rolled_back"], failed=counts["failed"],
                  unfinished=sum(1 for s in states.values() if s not in TERMINAL), expected_rollbacks=expected_rollbacks,
                  wall_seconds=round(wall, 2), ticks=len(lateness),
                  lateness_p50=round(percentile(lateness, 0.5), 3), lateness_p99=round(percentile(lateness, 0.99), 3),
                  lateness_max=round(max(lateness, default=0.0), 3), worker_cpu_seconds=round(cpu, 2),
                  worker_cpu_percent=round(100 * cpu / wall, 1) if wall else 0.0, worker_rss_mib=round(rss, 1))


def table(results: list[Result], limit: float) -> str:
    """The results as a text table, and the largest N whose p99 lateness stayed under `limit`."""
    head = (f"{'N':>5} {'ok':>5} {'rb':>4} {'fail':>4} {'left':>4} {'wall s':>7} {'ticks':>6} {'p50 s':>6} "
            f"{'p99 s':>6} {'max s':>6} {'cpu s':>6} {'cpu %':>6} {'rss MiB':>8}")
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r.n:>5} {r.succeeded:>5} {r.rolled_back:>4} {r.failed:>4} {r.unfinished:>4} "
                     f"{r.wall_seconds:>7.1f} {r.ticks:>6} {r.lateness_p50:>6.3f} {r.lateness_p99:>6.3f} "
                     f"{r.lateness_max:>6.3f} {r.worker_cpu_seconds:>6.1f} {r.worker_cpu_percent:>6.1f} "
                     f"{r.worker_rss_mib:>8.1f}")
    healthy = [r.n for r in results if r.lateness_p99 < limit and r.unfinished == 0 and r.failed == 0
               and r.rolled_back == r.expected_rollbacks]
    verdict = f"max N with every rollout right and p99 lateness < {limit:g} s: {max(healthy) if healthy else 'none'}"
    return "\n".join([*lines, verdict])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, nargs="+", default=[50, 100, 200, 400], help="concurrent rollouts per run")
    parser.add_argument("--stage-seconds", type=float, default=2.0)
    parser.add_argument("--interval", type=float, default=1.0, help="analysis interval (seconds)")
    parser.add_argument("--fail-every", type=int, default=10, help="every K-th rollout must roll back (0: none)")
    parser.add_argument("--limit", type=float, help="p99 lateness bound for the verdict (default: the interval)")
    parser.add_argument("--timeout", type=float, default=300, help="per run")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    server = RedisServer()
    results = []
    try:
        for n in args.n:
            log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-rollouts-worker-{os.getpid()}-{n}.log"
            result = run_point(server.url, n, args.stage_seconds, args.interval, args.fail_every, log, args.timeout)
            results.append(result)
            print(json.dumps(asdict(result)), file=sys.stderr)
    finally:
        server.stop()
    print(f"{len(WEIGHTS)} stages x {args.stage_seconds:g} s, analysis every {args.interval:g} s, one worker; "
          f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(table(results, args.limit if args.limit is not None else args.interval))
    if args.json_out:
        args.json_out.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
