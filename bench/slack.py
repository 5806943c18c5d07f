#!/usr/bin/env python3
"""Ack benchmark for `/deploy` on `POST /slack/events`, against a bare echo endpoint and Bolt for JavaScript.

Same method as bench/webhook.py (whose helpers this reuses): server pinned to one core, the load
client (webhook_load.py slack, driving wrk) to another, everything in one run, so ratios matter.

  echo     the same server stack (granian WSGI, one worker) answering 200 after reading the body
  bot      devops-bot's real /slack/events: Bolt v0 signature check, grammar, durable enqueue to Redis
  bolt-js  the Bolt-JS peer (bench/peer-bolt-js: acks, keeps the command in memory), when node is here

Every request is a signed `/deploy payments-api canary to staging @v1.4.2` with its own trigger_id,
so each one is verified, parsed and enqueued once. No worker runs; the queue is emptied between runs.

    .venv/bin/python bench/slack.py                    # 5,000 requests at concurrency 16 and 64
    .venv/bin/python bench/slack.py -n 20000 --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from flask import Flask  # noqa: E402
from flask import request  # noqa: E402

from bench.webhook import PYTHON  # noqa: E402
from bench.webhook import ROOT  # noqa: E402
from bench.webhook import _median  # noqa: E402
from bench.webhook import flush  # noqa: E402
from bench.webhook import free_port  # noqa: E402
from bench.webhook import granian  # noqa: E402
from bench.webhook import start  # noqa: E402
from bench.webhook import stop  # noqa: E402

SIGNING_SECRET = "bench-slack-signing-secret"
TEXT = "payments-api canary to staging @v1.4.2"
APPS = """apps:
  payments-api:
    repository: acme/payments-api
    artifact: {type: container_registry, location: ghcr.io/acme/payments-api}
    environments: [staging, production]
    approvers: {production: [U0BENCH02]}
"""

echo_app = Flask("slack_echo")


@echo_app.post("/slack/events")
def echo() -> tuple[str, int]:
    """Read the body and acknowledge, nothing else."""
    request.get_data()
    return "", 200


def load(url: str, n: int, concurrency: int, client_cpu: int, label: str, out: Path) -> dict:
    """One webhook_load.py slack run; its JSON report."""
    cmd = [PYTHON, str(HERE / "webhook_load.py"), "slack", "--url", url, "--signing-secret", SIGNING_SECRET,
           "-n", str(n), "-c", str(concurrency), "--client-cpus", str(client_cpu), "--label", label,
           "--text", TEXT, "--json-out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
    with out.open() as handle:
        return json.loads(handle.readlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--no-bolt-js", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("note: wrk is not installed (apt-get install wrk); the Python client is much slower", file=sys.stderr)

    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    out = results_dir / f"slack-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.jsonl"
    tmp = Path(tempfile.mkdtemp())
    key = tmp / "app.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    apps = tmp / "apps.yml"
    apps.write_text(APPS, encoding="utf-8")
    bot_env = {"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY_PATH": str(key), "GITHUB_WEBHOOK_SECRET": "unused",
               "REDIS_URL": args.redis_url, "GITHUB_API_URL": "http://127.0.0.1:9",
               "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": "http://127.0.0.1:9/api/", "DEVOPS_BOT_APPS_FILE": str(apps),
               "DEVOPS_BOT_ENV_FILE": str(tmp / "absent.env")}

    servers = {
        "echo": (granian("bench.slack:echo_app", 0, False), {}, ROOT),
        "bot": (granian("bot.web:create_app", 0, True), bot_env, ROOT),
    }
    peer = HERE / "peer-bolt-js"
    if not args.no_bolt_js and shutil.which("node") and shutil.which("npm"):
        if not (peer / "node_modules").is_dir():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=peer, check=True)
        servers["bolt-js"] = (["node", "app.js"], {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "HOST": "127.0.0.1",
                                                   "LOG_LEVEL": "warn", "NODE_ENV": "production"}, peer)

    medians: dict[tuple[str, int], dict] = {}
    for name, (cmd, env, cwd) in servers.items():
        port = free_port()
        cmd = [part if part != "0" else str(port) for part in cmd]
        proc = start(cmd, {**env, "PORT": str(port)}, args.server_cpu, port, cwd)
        try:
            url = f"http://127.0.0.1:{port}/slack/events"
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
    print_table(medians, out)
    return 0


def print_table(medians: dict[tuple[str, int], dict], out: Path) -> None:
    """A Markdown table with req/s ratios against echo and Bolt-JS."""
    print(f"\nraw reports: {out}\n")
    print("| server | concurrency | req/s | p50 ms | p99 ms | non-2xx | req/s vs echo | req/s vs bolt-js |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, concurrency), figures in medians.items():
        echo_figures = medians.get(("echo", concurrency))
        peer = medians.get(("bolt-js", concurrency))
        vs_echo = f"{figures['rps'] / echo_figures['rps']:.2f}" if echo_figures else "-"
        vs_peer = f"{figures['rps'] / peer['rps']:.2f}" if peer else "-"
        print(f"| {name} | {concurrency} | {figures['rps']:.0f} | {figures['p50']:.2f} | {figures['p99']:.2f} "
              f"| {figures['non2xx']:.0f} | {vs_echo} | {vs_peer} |")


if __name__ == "__main__":
    sys.exit(main())
