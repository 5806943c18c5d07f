"""One web app with both edges on (GitHub webhook and Slack), a private Redis, and the signing helpers."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import pytest
import redis as redis_lib
from flask.testing import FlaskClient
from rq import Queue

from bot.queue import get_queue
from bot.settings import Settings
from bot.web import create_app
from tests.fakes.slack_kit import SIGNING_SECRET
from tests.fakes.slack_kit import apps_yaml

WEBHOOK_SECRET = "webhook-secret-used-only-in-attack-tests"
MAX_BODY = 64 * 1024


@dataclass
class Edges:
    """The Flask test client of an app serving /github/webhook and /slack/events, and its queue's Redis."""

    client: FlaskClient
    redis: Any
    queue: Queue

    def enqueued(self) -> int:
        """Jobs in the queue plus any RQ job hash in Redis: both must stay 0 under attack."""
        return self.queue.count + len(self.redis.keys("rq:job:*"))


def github_signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """X-Hub-Signature-256 for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def edges(redis_url: str, tmp_path: Any) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    apps_file = tmp_path / "apps.yml"
    apps_file.write_text(apps_yaml("http://127.0.0.1:9"), encoding="utf-8")
    settings = Settings(github_app_id="1", github_webhook_secret=WEBHOOK_SECRET, bot_login="devops-bot[bot]",
                        max_body_bytes=MAX_BODY, slack_bot_token="xoxb-attack-tests",
                        slack_signing_secret=SIGNING_SECRET, slack_api_url="http://127.0.0.1:9/api/",
                        deploy_apps_file=str(apps_file))
    yield Edges(create_app(settings, redis=conn).test_client(), conn, get_queue(conn))
    conn.flushdb()
    conn.close()
