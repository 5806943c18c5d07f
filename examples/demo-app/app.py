"""A tiny versioned web app for the local rollout demo and tests (standard library only).

    python app.py VERSION PORT [--error-rate R] [--latency-ms MS]

GET /         200 "VERSION" (or 500 with probability R, after MS of delay)
GET /healthz  always 200, so a fault never makes HAProxy pull the server out by itself
GET /metrics  Prometheus text: app_requests_total{version,code}, app_request_duration_seconds{version}
POST /_fault?error_rate=R&latency_ms=MS   change the fault at run time (also DEMO_ERROR_RATE, DEMO_LATENCY_MS)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs
from urllib.parse import urlparse

# A bound sits exactly at the usual 500 ms gate, so histogram_quantile decides on the right side of it.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.5, 1.0, 2.5)


class State:
    """The version's behaviour and its counters."""

    def __init__(self, version: str, error_rate: float, latency_ms: float) -> None:
        self.version = version
        self.error_rate = error_rate
        self.latency_ms = latency_ms
        self.lock = threading.Lock()
        # Both series exist from the start, so rate() sees the first requests instead of a missing series.
        self.requests: dict[str, int] = {"200": 0, "500": 0}
        self.buckets = [0] * len(BUCKETS)
        self.count = 0
        self.total = 0.0

    def observe(self, code: int, seconds: float) -> None:
        with self.lock:
            self.requests[str(code)] = self.requests.get(str(code), 0) + 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[i] += 1
            self.count += 1
            self.total += seconds

    def exposition(self) -> str:
        v = self.version.replace("\\", "\\\\").replace('"', '\\"')
        lines = ["# HELP app_requests_total Requests served.", "# TYPE app_requests_total counter"]
        with self.lock:
            for code in sorted(self.requests):
                lines.append(f'app_requests_total{{version="{v}",code="{code}"}} {self.requests[code]}')
            lines += ["# HELP app_request_duration_seconds Time to answer GET /.",
                      "# TYPE app_request_duration_seconds histogram"]
            for bound, count in zip(BUCKETS, self.buckets):
                lines.append(f'app_request_duration_seconds_bucket{{version="{v}",le="{bound}"}} {count}')
            lines.append(f'app_request_duration_seconds_bucket{{version="{v}",le="+Inf"}} {self.count}')
            lines.append(f'app_request_duration_seconds_sum{{version="{v}"}} {self.total}')
            lines.append(f'app_request_duration_seconds_count{{version="{v}"}} {self.count}')
        return "\n".join(lines) + "\n"


class Server(ThreadingHTTPServer):
    """Threads per request and a listen backlog that load tests don't overflow (the default is 5)."""

    request_queue_size = 128
    daemon_threads = True


def handler_for(state: State) -> type[BaseHTTPRequestHandler]:
    """The request handler bound to one State."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else keep-alive through HAProxy runs at ~24 req/s

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would drown the demo's output

        def _send(self, code: int, body: str, content_type: str = "text/plain") -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path == "/healthz":
                self._send(200, "ok\n")
            elif path == "/metrics":
                self._send(200, state.exposition(), "text/plain; version=0.0.4")
            elif path == "/":
                started = time.perf_counter()
                if state.latency_ms:
                    time.sleep(state.latency_ms / 1000)
                code = 500 if random.random() < state.error_rate else 200
                self._send(code, f"{state.version}\n" if code == 200 else f"{state.version} failed\n")
                state.observe(code, time.perf_counter() - started)
            else:
                self._send(404, "not found\n")

        def do_POST(self) -> None:
            url = urlparse(self.path)
            if url.path != "/_fault":
                self._send(404, "not found\n")
                return
            query = parse_qs(url.query)
            state.error_rate = float(query.get("error_rate", [state.error_rate])[0])
            state.latency_ms = float(query.get("latency_ms", [state.latency_ms])[0])
            self._send(200, json.dumps({"error_rate": state.error_rate, "latency_ms": state.latency_ms}),
                       "application/json")

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve one version until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version")
    parser.add_argument("port", type=int)
    parser.add_argument("--error-rate", type=float, default=float(os.environ.get("DEMO_ERROR_RATE", "0")))
    parser.add_argument("--latency-ms", type=float, default=float(os.environ.get("DEMO_LATENCY_MS", "0")))
    args = parser.parse_args(argv)
    server = Server(("127.0.0.1", args.port), handler_for(State(args.version, args.error_rate, args.latency_ms)))
    print(f"{args.version} listening on 127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
