"""A tiny fake of Prometheus's instant-query API (GET /api/v1/query) on 127.0.0.1, port 0.

It answers the two canary queries (bot/platforms/prometheus.py) in Prometheus's response shape with the
readings a test sets, only when the query selects `expect` (so a wrong label selector reads no data),
and records every query.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any


class FakePrometheus:
    """Set `error_rate` and `p99_seconds` (None: an empty vector); `queries` records what was asked."""

    def __init__(self, expect: str) -> None:
        self.expect = expect
        self.error_rate: float | None = 0.0
        self.p99_seconds: float | None = 0.05
        self.queries: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, promql: str) -> dict[str, Any]:
        """The body Prometheus would send for `promql`."""
        self.queries.append(promql)
        value = None
        if self.expect in promql:
            value = self.p99_seconds if promql.startswith("histogram_quantile") else self.error_rate
        result = [] if value is None else [{"metric": {}, "value": [1_700_000_000.0, repr(float(value))]}]
        return {"status": "success", "data": {"resultType": "vector", "result": result}}

    def __enter__(self) -> FakePrometheus:
        threading.Thread(target=self.server.serve_forever, daemon=True, name="fake-prometheus").start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(fake: FakePrometheus) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlparse(self.path)
            if url.path == "/-/ready":  # what the deployment pipeline's prerequisite check asks
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if url.path != "/api/v1/query":
                self.send_error(404)
                return
            query = urllib.parse.parse_qs(url.query).get("query", [""])[0]
            body = json.dumps(fake.answer(query)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
