"""A fake Slack Web API on 127.0.0.1 (port 0): the few methods the bot calls, in Slack's response shapes.

Shapes follow the examples of slack_web_openapi_v2.json (tests/fixtures/shared/slack/slack-api-specs).
Every call is recorded; `rate_limit(method, times)` makes the next calls answer 429 with Retry-After.
Posts to a `response_url` under `/response/` are recorded as the method "response_url".
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any


@dataclass
class SlackState:
    """What the fake knows and what it was asked."""

    base_url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> {"channel", "text", "blocks", ...}
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    limited: dict[str, int] = field(default_factory=dict)
    fail: dict[str, str] = field(default_factory=dict)  # method -> Slack error code, answered every time
    retry_after: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: int = 0

    def rate_limit(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` get 429 + Retry-After."""
        self.limited[method] = times

    def named(self, method: str) -> list[dict[str, Any]]:
        """The recorded arguments of every call of `method`, in order."""
        return [args for name, args in self.calls if name == method]

    def methods(self) -> list[str]:
        """Every method called, in order."""
        return [name for name, _ in self.calls]

    def next_ts(self) -> str:
        self._ts += 1
        return f"1503435956.{self._ts:06d}"


def _params(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    query = urllib.parse.urlsplit(handler.path).query
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    if body and "json" in (handler.headers.get("Content-Type") or ""):
        params.update(json.loads(body))
    elif body:
        params.update(urllib.parse.parse_qsl(body.decode()))
    for key in ("blocks", "attachments"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _answer(state: SlackState, method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method in state.fail:
        return {"ok": False, "error": state.fail[method]}
    if method == "response_url":
        return {"ok": True}
    if method == "chat.postMessage":
        ts = state.next_ts()
        channel = params.get("channel", "")
        state.messages[ts] = {"channel": channel, "text": params.get("text", ""), "blocks": params.get("blocks"),
                              "thread_ts": params.get("thread_ts")}
        return {"ok": True, "channel": channel, "ts": ts,
                "message": {"bot_id": "B19LU7CSY", "subtype": "bot_message", "text": params.get("text", ""),
                            "ts": ts, "type": "message", "username": "devops-bot"}}
    if method == "chat.update":
        ts = params.get("ts", "")
        if ts not in state.messages:
            return {"ok": False, "error": "message_not_found"}
        state.messages[ts].update(text=params.get("text", ""), blocks=params.get("blocks"))
        return {"ok": True, "channel": params.get("channel"), "ts": ts, "text": params.get("text", ""),
                "message": {"text": params.get("text", ""), "user": "U34567890"}}
    if method == "chat.getPermalink":
        ts, channel = params.get("message_ts", ""), params.get("channel", "")
        if ts not in state.messages or state.messages[ts]["channel"] != channel:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://devops-bot-tests.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": state.next_ts()}
    if method == "usergroups.users.list":
        group = params.get("usergroup", "")
        if group not in state.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(state.usergroups[group])}
    return {"ok": False, "error": "unknown_method"}


def _handler(state: SlackState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            # A command's response_url pointed at the fake (…/response/…) is recorded as "response_url".
            method = "response_url" if path.startswith("/response/") else path.rsplit("/", 1)[-1]
            params = _params(self)
            with state.lock:
                state.calls.append((method, params))
                if state.limited.get(method):
                    state.limited[method] -= 1
                    self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(state.retry_after)})
                    return
                answer = _answer(state, method, params)
            self._send(200, answer, {})

        do_GET = do_POST = _serve

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class SlackServer:
    """Context manager: the fake on a free loopback port; yields its SlackState (base_url ends in /api/)."""

    def __init__(self) -> None:
        self.state = SlackState()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.state.base_url = f"http://127.0.0.1:{self.server.server_port}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlackState:
        self.thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
