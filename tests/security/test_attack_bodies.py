"""Oversized, deeply nested, invalid UTF-8 and wrongly typed bodies on both edges: a clear 4xx, never a 500.

Each hostile body is sent both unsigned and correctly signed, so the checks after the signature are reached too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse

import pytest

from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import command_body
from tests.security.conftest import MAX_BODY
from tests.security.conftest import Edges
from tests.security.conftest import github_signature

DEPTH = 100_000
NESTED = b"[" * DEPTH + b"]" * DEPTH
NESTED_OBJECT = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
HOSTILE_JSON = {
    "oversized": b'{"zen": "' + b"x" * (MAX_BODY + 1) + b'"}',
    "100k nested arrays": NESTED[:MAX_BODY // 2 - 1] + NESTED[-(MAX_BODY // 2 - 1):],
    "100k nested objects, cut to the limit": NESTED_OBJECT[:MAX_BODY // 2] + b"1" + b"}" * (MAX_BODY // 2 - 10),
    "invalid UTF-8": b'{"action": "created", "comment": {"body": "\xff\xfe/devops setup ci \xc3\x28"}}',
    "overlong UTF-8 slash": b'{"action": "created", "comment": {"body": "\xc0\xafdevops"}}',
    "a JSON list": b"[1, 2, 3]",
    "a JSON string": b'"ping"',
    "empty": b"",
    "NUL bytes": b"\x00" * 512,
}


def _slack_headers(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain",
                                          "multipart/form-data; boundary=x"])
def test_hostile_github_bodies_get_a_clear_4xx_and_queue_nothing(edges: Edges, signed: bool,
                                                                  content_type: str) -> None:
    for name, body in HOSTILE_JSON.items():
        headers = {"X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": f"hostile-{name}",
                   "Content-Type": content_type,
                   "X-Hub-Signature-256": github_signature(body) if signed else "sha256=0"}
        response = edges.client.post("/github/webhook", data=body, headers=headers)

        assert 400 <= response.status_code < 500, name
        if response.status_code != 413:
            assert response.get_json()["outcome"] in ("bad_signature", "bad_request"), name
    assert edges.enqueued() == 0


def test_a_signed_form_encoded_github_delivery_is_refused_as_not_json(edges: Edges) -> None:
    body = urllib.parse.urlencode({"payload": json.dumps({"zen": "hi"})}).encode()
    response = edges.client.post("/github/webhook", data=body, headers={
        "X-GitHub-Event": "ping", "X-GitHub-Delivery": "form", "Content-Type": "application/x-www-form-urlencoded",
        "X-Hub-Signature-256": github_signature(body)})

    assert response.status_code == 400
    assert response.get_json()["error"] == "the body is not JSON"


HOSTILE_SLACK = {
    "oversized command": command_body("x" * (MAX_BODY + 1)),
    "100k nested payload": b"payload=" + urllib.parse.quote_from_bytes(
        NESTED[:MAX_BODY // 8] + NESTED[-(MAX_BODY // 8):]).encode(),
    "payload that is not JSON": b"payload=%7B%7B%7B",
    "payload that is a list": b"payload=%5B1%2C2%5D",
    "invalid UTF-8 command": command_body("checkout").replace(b"checkout", b"\xff\xfe\xc3\x28"),
    "invalid UTF-8 raw": b"command=%2Fdeploy&text=\xff\xfe",
    "JSON body": json.dumps({"command": "/deploy", "text": "checkout"}).encode(),
    "empty": b"",
    "NUL bytes": b"\x00" * 256,
}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json", "text/plain"])
def test_hostile_slack_bodies_get_a_clear_4xx_or_a_refusal_and_queue_nothing(edges: Edges, signed: bool,
                                                                             content_type: str) -> None:
    for name, body in HOSTILE_SLACK.items():
        headers = _slack_headers(body, content_type)
        if not signed:
            headers["X-Slack-Signature"] = "v0=" + "0" * 64
        response = edges.client.post("/slack/events", data=body, headers=headers)

        # Bolt answers 404 for a signed request no listener takes; the point is no 5xx and no job.
        assert 400 <= response.status_code < 500, (name, response.status_code, response.get_data()[:200])
    assert edges.enqueued() == 0
