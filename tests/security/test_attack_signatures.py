"""Forged, missing, truncated and replayed signatures on both edges: over 1,000 attempts, none accepted, nothing queued.

Every attempt is built from a request that IS accepted (the control at the end of each test proves it), changed in
one way: another key, one flipped bit, a cut, another algorithm prefix, another header case, a changed body byte,
a stale or future Slack timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Iterator

from tests.conftest import github_payload
from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import click_body
from tests.fakes.slack_kit import command_body
from tests.security.conftest import WEBHOOK_SECRET
from tests.security.conftest import Edges
from tests.security.conftest import github_signature

Headers = dict[str, str]
SEED = 20261126


def _flip(text: str, index: int) -> str:
    """`text` with the hex digit at `index` changed to another hex digit."""
    digit = "0123456789abcdef"[("0123456789abcdef".index(text[index].lower()) + 1) % 16]
    return text[:index] + digit + text[index + 1:]


def _changed_byte(body: bytes, index: int) -> bytes:
    return body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1:]


def forged_github(body: bytes) -> Iterator[tuple[str, bytes, Headers]]:
    """(what, body, headers) for every forged, missing, truncated or replayed X-Hub-Signature-256."""
    rng = random.Random(SEED)
    good = github_signature(body)
    digest = good.removeprefix("sha256=")
    for _ in range(150):
        key = rng.randbytes(rng.randint(1, 64)).hex()
        yield "random key", body, {"X-Hub-Signature-256": github_signature(body, key)}
    yield "empty key", body, {"X-Hub-Signature-256": github_signature(body, "")}
    yield "secret with a changed case", body, {"X-Hub-Signature-256": github_signature(body, WEBHOOK_SECRET.upper())}
    for index in range(len(digest)):
        yield f"digit {index} changed", body, {"X-Hub-Signature-256": "sha256=" + _flip(digest, index)}
    for length in range(len(good)):
        yield f"cut to {length}", body, {"X-Hub-Signature-256": good[:length]}
    yield "a longer digest", body, {"X-Hub-Signature-256": good + "00"}
    sha1 = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()
    sha512 = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha512).hexdigest()
    for prefix, value in (("sha1=", digest), ("sha1=", sha1), ("sha512=", digest), ("sha512=", sha512),
                          ("SHA256=", digest), ("sha256:", digest), ("sha256 =", digest), ("", digest),
                          ("md5=", digest), ("sha256=sha256=", digest), (" sha256=", digest), ("v0=", digest)):
        yield f"prefix {prefix!r}", body, {"X-Hub-Signature-256": prefix + value}
    yield "the legacy SHA-1 header alone", body, {"X-Hub-Signature": "sha1=" + sha1}
    yield "upper-case digest", body, {"X-Hub-Signature-256": "sha256=" + digest.upper()}
    yield "signature in another header", body, {"X-Signature-256": good}
    yield "missing", body, {}
    yield "empty", body, {"X-Hub-Signature-256": ""}
    yield "signature of the empty body", body, {"X-Hub-Signature-256": github_signature(b"")}
    for index in sorted(rng.sample(range(len(body)), 300)):
        yield f"replay with byte {index} changed", _changed_byte(body, index), {"X-Hub-Signature-256": good}
    yield "replay with a byte appended", body + b" ", {"X-Hub-Signature-256": good}
    yield "replay cut short", body[:-1], {"X-Hub-Signature-256": good}


def forged_slack(body: bytes, now: int) -> Iterator[tuple[str, bytes, Headers]]:
    """(what, body, headers) for every forged, missing, truncated, stale or replayed Slack v0 signature."""
    rng = random.Random(SEED + len(body))

    def signed(ts: str, secret: str = SIGNING_SECRET, payload: bytes = body) -> str:
        return "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + payload, hashlib.sha256).hexdigest()

    def headers(signature: str | None, ts: str | None = str(now)) -> Headers:
        found = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            found["X-Slack-Signature"] = signature
        if ts is not None:
            found["X-Slack-Request-Timestamp"] = ts
        return found

    ts = str(now)
    good = signed(ts)
    digest = good.removeprefix("v0=")
    for _ in range(40):
        yield "random key", body, headers(signed(ts, rng.randbytes(rng.randint(1, 48)).hex()))
    for index in range(0, len(digest), 2):
        yield f"digit {index} changed", body, headers("v0=" + _flip(digest, index))
    for length in range(0, len(good), 3):
        yield f"cut to {length}", body, headers(good[:length])
    sha1 = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha1).hexdigest()
    for value in ("v1=" + digest, "V0=" + digest, "sha256=" + digest, digest, "v0=" + sha1, "v0:" + digest,
                  "v0=" + digest.upper()):
        yield f"wrong scheme {value[:8]!r}", body, headers(value)
    for age in (301, 302, 600, 3600, 86_400, 30 * 86_400):
        yield f"{age} s old, correctly signed", body, headers(signed(str(now - age)), str(now - age))
        # the attempts take seconds to send: a margin keeps the future ones beyond five minutes when they land
        yield f"{age} s ahead, correctly signed", body, headers(signed(str(now + age + 60)), str(now + age + 60))
    yield "timestamp 0", body, headers(signed("0"), "0")
    yield "timestamp not a number", body, headers(signed("soon"), "soon")
    yield "signed with another timestamp", body, headers(signed(str(now - 1)), ts)
    yield "no signature", body, headers(None)
    yield "no timestamp", body, headers(good, None)
    yield "neither", body, headers(None, None)
    yield "the GitHub scheme", body, {**headers(None), "X-Hub-Signature-256": github_signature(body, SIGNING_SECRET)}
    for index in sorted(rng.sample(range(len(body)), 40)):
        yield f"replay with byte {index} changed", _changed_byte(body, index), headers(good)


def test_forged_github_signatures_are_all_refused_and_nothing_is_queued(edges: Edges) -> None:
    payload = github_payload("issue_comment", "created.with-installation.payload.json")
    payload["comment"]["body"] = "/devops setup ci"
    body = json.dumps(payload).encode()
    outcomes: dict[int, int] = {}
    attempts = 0
    for number, (what, sent, headers) in enumerate(forged_github(body)):
        response = edges.client.post("/github/webhook", data=sent, headers={
            "X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": f"forged-{number}",
            "Content-Type": "application/json", **headers})
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        assert response.status_code == 401, what
        attempts += 1

    assert attempts == 608
    assert outcomes == {401: attempts}
    assert edges.enqueued() == 0
    # The control: the same body, correctly signed, is queued; a replay of it is not queued again.
    for _ in range(2):
        accepted = edges.client.post("/github/webhook", data=body, headers={
            "X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": "the-real-one", "Content-Type": "application/json",
            "X-Hub-Signature-256": github_signature(body)})
        assert accepted.status_code in (200, 202)
    assert edges.queue.count == 1


def test_forged_slack_signatures_on_commands_and_clicks_are_all_refused_and_nothing_is_queued(edges: Edges) -> None:
    now = int(time.time())
    gate = json.dumps({"rollout_id": "0123456789abcdef", "stage_index": 0, "gate_token": "t0k3n"})
    bodies = {"/deploy": command_body("checkout to staging"),
              "/devops": command_body("setup monitoring acme/shop").replace(b"%2Fdeploy", b"%2Fdevops"),
              "approve click": click_body(gate, APPROVER), "reject click": click_body(gate, APPROVER, approve=False)}
    attempts = 0
    for name, body in bodies.items():
        for what, sent, headers in forged_slack(body, now):
            response = edges.client.post("/slack/events", data=sent, headers=headers)
            assert response.status_code == 401, f"{name}: {what}"
            attempts += 1

    assert attempts == 4 * 161
    assert edges.enqueued() == 0
    # The control: each body, correctly signed now, is accepted and queues its job; an exact replay of it
    # (inside Slack's five minutes) is accepted too but queues nothing more: its trigger or click dedupes it.
    for name, body in [*bodies.items(), *bodies.items()]:
        ts = str(int(time.time()))
        signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        response = edges.client.post("/slack/events", data=body, headers={
            "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 200, name
    assert edges.queue.count == len(bodies)


def test_the_attempts_together_number_over_a_thousand() -> None:
    payload = json.dumps(github_payload("issue_comment", "created.with-installation.payload.json")).encode()
    github = sum(1 for _ in forged_github(payload))
    slack = sum(1 for _ in forged_slack(command_body("checkout"), int(time.time()))) * 4

    assert github + slack >= 1_000
