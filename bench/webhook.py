#!/usr/bin/env python3
"""Acknowledgement benchmark for `POST /github/webhook`, against a bare echo endpoint and Probot.

Everything is measured in the same run, server pinned to one core and the load client
(webhook_load.py, driving wrk) to another, so only ratios matter:

  echo    the same server stack (granian WSGI, one worker) answering 200 after reading the body
  bot     devops-bot's real webhook: HMAC check, JSON, dedupe + durable enqueue to Redis
  probot  the Probot peer (in-memory array, no Redis), when node and npm are available

Each valid request is a signed `/devops setup ci` issue_comment with its own delivery id, so
every one is verified, deduplicated and enqueued. No worker runs; the queue is emptied
between runs. Needs wrk (apt-get install wrk) for meaningful figures.

    .venv/bin/python bench/webhook.py                 # 5,000 requests at concurrency 16 and 64
    .venv/bin/python bench/webhook.py -n 20000 --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
SECRET = "bench-webhook-secret"
COMMENT = "/devops setup ci"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, seconds: float = 20) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def start(cmd: list[str], env: dict[str, str], cpu: int, port: int, cwd: Path = ROOT) -> subprocess.Popen:
    proc = subprocess.Popen(["taskset", "-c", str(cpu), *cmd], cwd=cwd, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def granian(target: str, port: int, factory: bool) -> list[str]:
    cmd = [str(Path(PYTHON).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--log-level", "warning"]
    return [*cmd, "--factory", target] if factory else [*cmd, target]


def load(url: str, n: int, concurrency: int, client_cpu: int, label: str, out: Path) -> dict:
    cmd = [PYTHON, str(HERE / "webhook_load.py"), "github", "--url", url, "--secret", SECRET,
           "-n", str(n), "-c", str(concurrency), "--client-cpus", str(client_cpu), "--label", label,
           "--comment-body", COMMENT, "--json-out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
    with out.open() as handle:
        return json.loads(handle.readlines()[-1])


def flush(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--no-probot", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("note: wrk is not installed (apt-get install wrk); the Python client is much slower", file=sys.stderr)

    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    out = results_dir / f"webhook-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.jsonl"
    tmp = Path(tempfile.mkdtemp())
    key = tmp / "app.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    bot_env = {"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY_PATH": str(key), "GITHUB_WEBHOOK_SECRET": SECRET,
               "REDIS_URL": args.redis_url, "GITHUB_API_URL": "http://127.0.0.1:9"}

    servers = {
        "echo": (granian("bench.echo_app:app", 0, False), {}, "/github/webhook", ROOT),
        "bot": (granian("bot.web:create_app", 0, True), bot_env, "/github/webhook", ROOT),
    }
    probot_dir = HERE / "peer-probot"
    if not args.no_probot and shutil.which("node") and shutil.which("npm"):
        if not (probot_dir / "node_modules").is_dir():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=probot_dir, check=True)
        probot_env = {"APP_ID": "123456", "PRIVATE_KEY_PATH": str(key), "WEBHOOK_SECRET": SECRET,
                      "HOST": "127.0.0.1", "LOG_LEVEL": "warn", "NODE_ENV": "production"}
        servers["probot"] = (["node", "server.js"], probot_env, "/api/github/webhooks", probot_dir)

    medians: dict[tuple[str, int], dict] = {}
    for name, (cmd, env, path, cwd) in servers.items():
        port = free_port()
        cmd = [part if part != "0" else str(port) for part in cmd]
        env = {**env, "PORT": str(port)}
        flush(args.redis_url)
        proc = start(cmd, env, args.server_cpu, port, cwd)
        try:
            url = f"http://127.0.0.1:{port}{path}"
            for concurrency in args.concurrency:
                load(url, 1000, concurrency, args.client_cpu, f"{name}-warmup", tmp / "warm.jsonl")
                reports = []
                for _ in range(args.reps):
                    flush(args.redis_url)  # no worker runs: empty the queue between runs
                    reports.append(load(url, args.requests, concurrency, args.client_cpu, name, out))
                medians[(name, concurrency)] = _median(reports)
        finally:
            stop(proc)
    flush(args.redis_url)
    _print_table(medians, args.concurrency, out)
    return 0


def _median(reports: list[dict]) -> dict:
    return {
        "rps": statistics.median(report["throughput_rps"] for report in reports),
        "p50": statistics.median(report["latency_ms"]["p50"] for report in reports),
        "p99": statistics.median(report["latency_ms"]["p99"] for report in reports),
        "non2xx": statistics.median(report["non_2xx"] + report["no_response"] for report in reports),
    }


def _print_table(medians: dict[tuple[str, int], dict], concurrencies: list[int], out: Path) -> None:
    print(f"\nraw reports: {out}\n")
    print("| server | concurrency | req/s | p50 ms | p99 ms | non-2xx | req/s vs echo | req/s vs probot |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, concurrency), figures in medians.items():
        echo = medians.get(("echo", concurrency))
        probot = medians.get(("probot", concurrency))
        vs_echo = f"{figures['rps'] / echo['rps']:.2f}" if echo else "-"
        vs_probot = f"{figures['rps'] / probot['rps']:.2f}" if probot else "-"
        print(f"| {name} | {concurrency} | {figures['rps']:.0f} | {figures['p50']:.2f} | {figures['p99']:.2f} "
              f"| {figures['non2xx']:.0f} | {vs_echo} | {vs_probot} |")


if __name__ == "__main__":
    sys.exit(main())
