"""A real one-machine delivery stack: two app versions, HAProxy in front, Prometheus scraping them.

Everything listens on free loopback ports and lives in a temporary directory; the processes are
children of this one and stopped by PID. Used by the tests, the `deploy-demo` command and the
local platform. Commands and pitfalls: LOCAL_DELIVERY.md (shared docs), sections 2-5.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from bot.errors import UserError
from bot.platforms.haproxy import server_stats

DEMO_APP = Path(__file__).resolve().parent.parent.parent / "examples" / "demo-app" / "app.py"
BACKEND = "be_app"

HAPROXY_CFG = """global
    stats socket unix@./haproxy.sock mode 600 level admin
    stats timeout 30s

defaults
    mode http
    timeout connect 2s
    timeout client  10s
    timeout server  10s

frontend fe_app
    bind 127.0.0.1:{frontend}
    default_backend {backend}

frontend fe_admin
    bind 127.0.0.1:{admin}
    http-request use-service prometheus-exporter if {{ path /metrics }}

backend {backend}
    balance roundrobin
    option httpchk GET /healthz
    server stable 127.0.0.1:{stable} weight 100 check inter 1s
    server canary 127.0.0.1:{canary} weight 0   check inter 1s
"""

PROMETHEUS_YML = """global:
  scrape_interval: {scrape}
  evaluation_interval: {scrape}
scrape_configs:
  - job_name: haproxy
    params:
      scope: [server, backend]
    static_configs:
      - targets: ['127.0.0.1:{admin}']
  - job_name: app
    static_configs:
      - targets: ['127.0.0.1:{stable}']
        labels: {{track: stable}}
      - targets: ['127.0.0.1:{canary}']
        labels: {{track: canary}}
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binaries() -> None:
    """UserError with the install line when HAProxy or Prometheus is missing."""
    missing = [name for name in ("haproxy", "prometheus") if shutil.which(name) is None]
    if missing:
        raise UserError(f"the local platform needs {' and '.join(missing)}: "
                        f"apt-get install -y --no-install-recommends haproxy prometheus (or run scripts/setup)")


@dataclass
class LocalStack:
    """The running stack: its directory, ports and processes."""

    root: Path
    ports: dict[str, int]
    versions: dict[str, str]  # slot -> version
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    own_root: bool = True

    @property
    def url(self) -> str:
        """Where clients reach the app (HAProxy's frontend)."""
        return f"http://127.0.0.1:{self.ports['frontend']}"

    @property
    def prometheus_url(self) -> str:
        """The Prometheus HTTP API."""
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    def platform_config(self) -> dict[str, Any]:
        """What LocalPlatform needs to drive this stack (plain data, stored with the rollout)."""
        return {"haproxy_socket": str(self.root / "haproxy.sock"), "backend": BACKEND,
                "prometheus_url": self.prometheus_url,
                "slots": {slot: f"http://127.0.0.1:{self.ports[slot]}" for slot in ("stable", "canary")}}

    def set_fault(self, slot: str, error_rate: float = 0.0, latency_ms: float = 0.0) -> None:
        """Make one version fail or slow down from now on."""
        query = urllib.parse.urlencode({"error_rate": error_rate, "latency_ms": latency_ms})
        request = urllib.request.Request(f"http://127.0.0.1:{self.ports[slot]}/_fault?{query}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def stop(self) -> None:
        """Stop every process (by PID) and remove the directory."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_stack(stable_version: str = "v1", canary_version: str = "v2", *, root: Path | None = None,
                scrape_interval: str = "1s", timeout: float = 30) -> LocalStack:
    """Start both app versions, HAProxy (all traffic on stable) and Prometheus; return once samples arrive."""
    require_binaries()
    own = root is None
    root = Path(tempfile.mkdtemp(prefix="devops-bot-local-")) if root is None else root
    ports = {name: free_port() for name in ("frontend", "admin", "stable", "canary", "prometheus")}
    stack = LocalStack(root, ports, {"stable": stable_version, "canary": canary_version}, own_root=own)
    try:
        for slot in ("stable", "canary"):
            stack.processes[slot] = _spawn(root, slot, [sys.executable, str(DEMO_APP), stack.versions[slot],
                                                        str(ports[slot])])
        (root / "haproxy.cfg").write_text(HAPROXY_CFG.format(backend=BACKEND, **ports), encoding="utf-8")
        (root / "prometheus.yml").write_text(PROMETHEUS_YML.format(scrape=scrape_interval, **ports), encoding="utf-8")
        stack.processes["haproxy"] = _spawn(root, "haproxy", ["haproxy", "-db", "-f", "haproxy.cfg"])
        stack.processes["prometheus"] = _spawn(root, "prometheus", [
            "prometheus", "--config.file=prometheus.yml", "--storage.tsdb.path=./data",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}", "--log.level=warn"])
        deadline = time.monotonic() + timeout
        _wait(stack, deadline, "both app versions to answer", lambda: all(
            _http_ok(f"http://127.0.0.1:{ports[s]}/healthz") for s in ("stable", "canary")))
        _wait(stack, deadline, "HAProxy to see both servers UP", lambda: _servers_up(root / "haproxy.sock"))
        # Prometheus answers /-/ready at once but scrapes ~5.5 s later (service discovery is throttled).
        _wait(stack, deadline, "Prometheus's first samples", lambda: _scraped(stack.prometheus_url))
        return stack
    except BaseException:
        stack.stop()
        raise


def _spawn(root: Path, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    with open(root / f"{name}.log", "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(argv, cwd=root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait(stack: LocalStack, deadline: float, what: str, ready: Any) -> None:
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                tail = (stack.root / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {process.returncode} while waiting for {what}:\n{tail}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what} (logs in {stack.root})")


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return bool(response.status == 200)


def _servers_up(sock: Path) -> bool:
    if not sock.exists():
        return False
    stats = server_stats(str(sock), BACKEND)
    return all(stats.get(slot, {}).get("status") == "UP" for slot in ("stable", "canary"))


def _scraped(prometheus_url: str) -> bool:
    query = urllib.parse.urlencode({"query": 'up{job="app"} == 1'})
    with urllib.request.urlopen(f"{prometheus_url}/api/v1/query?{query}", timeout=2) as response:
        return len(json.loads(response.read())["data"]["result"]) == 2


class LoadGenerator:
    """Steady requests through HAProxy on keep-alive connections, counting answers by version and status."""

    def __init__(self, url: str, threads: int = 4, per_thread_rps: float = 50) -> None:
        self.url = urllib.parse.urlsplit(url)
        self.threads = threads
        self.pause = 1 / per_thread_rps
        self.counts: Counter[tuple[str, int]] = Counter()
        self._generation = 0  # bumped by reset(): an answer counts only if its request was sent after the reset
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self) -> LoadGenerator:
        """Begin sending."""
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        """Stop sending and wait for the threads."""
        self._stop.set()
        for worker in self._workers:
            worker.join(10)

    def reset(self) -> Counter[tuple[str, int]]:
        """The counts so far, and start counting again; answers to requests sent before now are not counted."""
        with self._lock:
            counts, self.counts = self.counts, Counter()
            self._generation += 1
        return counts

    def _run(self) -> None:
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=5)
        while not self._stop.is_set():
            generation = self._generation
            try:
                conn.request("GET", "/")
                response = conn.getresponse()
                body = response.read().decode(errors="replace").split()
                key = (body[0] if body else "", response.status)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=5)
                key = ("", 0)
            with self._lock:
                if generation == self._generation:  # a slow answer to a request sent before reset() is dropped
                    self.counts[key] += 1
            self._stop.wait(self.pause)
        conn.close()
