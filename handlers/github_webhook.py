"""`POST /github/webhook`: verify, dedupe and enqueue, acknowledge; never wait on GitHub.

An event handler returns the request dict that `bot.jobs.run_github_command(request)` runs,
or None to ignore the delivery. Every request has these keys:

    kind             "setup_ci" | "help" | "reply"
    delivery_id      X-GitHub-Delivery (also the job id, after "github-")
    installation_id  int, the App installation that sent it
    repository       "owner/name"
    repository_id    int
    default_branch   str
    issue_number     int, the issue or pull request commented on
    is_pull_request  bool
    comment_id       int, the comment holding the command
    comment_url      its html_url
    commenter        login of the comment's author (the permission check is the job's)
    options          {"ci_platform": str | None, "project_type": str | None,
                      "coverage": int | float | None, "branching": str | None,
                      "deployment_targets": [{"environment", "platform", "region"}] | None,
                      "security_scan_required": False | None (None: the pipeline's default)}
    message          for "reply": the text to post (every problem and the usage); else None
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request
from rq import Queue
from werkzeug.exceptions import RequestEntityTooLarge

from bot import messages
from bot.errors import InputError
from bot.metrics import count_delivery
from bot.queue import enqueue_job
from bot.settings import Settings
from handlers.commands import empty_options
from handlers.commands import parse_comment

log = logging.getLogger(__name__)

JOB_FUNCTION = "bot.jobs.run_github_command"
JOB_TIMEOUT_SECONDS = 15 * 60
JOB_RETRIES = 3


@dataclass(frozen=True)
class Delivery:
    """What a handler knows about the delivery besides its payload."""

    event: str
    delivery_id: str
    settings: Settings


Handler = Callable[[dict[str, Any], Delivery], "dict[str, Any] | None"]


class Router:
    """Event handlers by "event.action" (or "event" for events without actions).

    Several modules may handle the same event (a push validates `.devops.yml` and refreshes bot
    pull requests); each registered handler runs, and each request it returns is its own job.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[Handler, str]]] = {}

    def on(self, name: str, *, job: str = JOB_FUNCTION) -> Callable[[Handler], Handler]:
        """Register a handler for one event, such as "issue_comment.created"; `job` runs its requests."""

        def register(fn: Handler) -> Handler:
            entries = self._handlers.setdefault(name, [])
            # re-registering the same function (a module reloaded in tests) replaces it
            entries[:] = [entry for entry in entries if entry[0].__qualname__ != fn.__qualname__
                          or entry[0].__module__ != fn.__module__]
            entries.append((fn, job))
            return fn

        return register

    def find_all(self, event: str, payload: dict[str, Any]) -> list[tuple[Handler, str]]:
        """Every (handler, job function) registered for this delivery, in registration order."""
        action = payload.get("action")
        return list(self._handlers.get(f"{event}.{action}" if action else event, []))

    def find(self, event: str, payload: dict[str, Any]) -> Handler | None:
        """The first handler for this delivery, or None when the bot does not handle it."""
        found = self.find_all(event, payload)
        return found[0][0] if found else None


router = Router()


def is_bot(user: dict[str, Any] | None, settings: Settings) -> bool:
    """Whether a GitHub user is a bot (this App included), whose comments never run commands."""
    if not user:
        return True
    login = str(user.get("login") or "")
    return user.get("type") == "Bot" or login.endswith("[bot]") or login == settings.bot_login


@router.on("issue_comment.created")
def comment_created(payload: dict[str, Any], delivery: Delivery) -> dict[str, Any] | None:
    """A `/devops` command in a new issue or pull request comment."""
    comment = payload["comment"]
    if is_bot(payload.get("sender"), delivery.settings) or is_bot(comment.get("user"), delivery.settings):
        # No reply: answering a bot (or itself) could start a loop of comments. The log says why.
        log.info("delivery %s: a comment by a bot (%s) runs no command", delivery.delivery_id,
                 (comment.get("user") or payload.get("sender") or {}).get("login"))
        return None
    if "installation" not in payload:  # only an App installation can act on the repository
        return None
    try:
        command = parse_comment(comment.get("body"))
    except InputError as error:
        return _request(payload, delivery, "reply", empty_options(), messages.command_problems(error))
    if command is None:
        return None
    return _request(payload, delivery, command.kind, command.options, None)


def _request(payload: dict[str, Any], delivery: Delivery, kind: str, options: dict[str, Any],
             message: str | None) -> dict[str, Any]:
    issue, comment, repository = payload["issue"], payload["comment"], payload["repository"]
    return {
        "kind": kind,
        "delivery_id": delivery.delivery_id,
        "installation_id": payload["installation"]["id"],
        "repository": repository["full_name"],
        "repository_id": repository["id"],
        "default_branch": repository.get("default_branch"),
        "issue_number": issue["number"],
        "is_pull_request": "pull_request" in issue,
        "comment_id": comment["id"],
        "comment_url": comment.get("html_url"),
        "commenter": (comment.get("user") or payload["sender"])["login"],
        "options": dict(options),
        "message": message,
    }


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether X-Hub-Signature-256 is the HMAC-SHA256 of the raw body with the webhook secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode("utf-8", "replace"))


def _parse(body: bytes) -> Any:
    """The JSON body: orjson (several times faster on GitHub's 10-20 KB payloads), else json's own verdict.

    json decides whatever orjson refuses (NaN, lone surrogates, a UTF-8 BOM, nesting past 1,024), so
    those bodies get the answers they always got. orjson reads integers past 64 bits as floats; GitHub's
    ids are far below that, and nobody else gets a body past the signature check.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


blueprint = Blueprint("github_webhook", __name__)


def _answer(status: int, event: str, outcome: str, **extra: Any) -> Response:
    count_delivery("github", event, outcome)
    return current_app.response_class(json.dumps({"outcome": outcome, **extra}), status=status,
                                      mimetype="application/json")


@blueprint.post("/github/webhook")
def receive() -> Response:
    """Verify, dedupe, enqueue and acknowledge one GitHub delivery."""
    settings: Settings = current_app.config["BOT_SETTINGS"]
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _answer(413, "unverified", "too_large")
    if not verify_signature(settings.github_webhook_secret, body, request.headers.get("X-Hub-Signature-256")):
        # The event header is not signed: counting it would let anyone invent label values.
        return _answer(401, "unverified", "bad_signature")
    event = request.headers.get("X-GitHub-Event", "")
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    if not event or not delivery_id:
        return _answer(400, event or "none", "bad_request", error="X-GitHub-Event and X-GitHub-Delivery are required")
    try:
        payload = _parse(body)
    except ValueError:
        return _answer(400, event, "bad_request", error="the body is not JSON")
    except RecursionError:  # json raises this, not ValueError, for arrays or objects nested thousands deep
        return _answer(400, event, "bad_request", error="the body is nested too deeply")
    if not isinstance(payload, dict):
        return _answer(400, event, "bad_request", error="the body is not a JSON object")
    if event == "ping":
        return _answer(200, event, "pong", zen=payload.get("zen"))
    requests: list[tuple[dict[str, Any], str, str]] = []  # (request, job function, handler name)
    try:
        for handler, job_function in router.find_all(event, payload):
            job_request = handler(payload, Delivery(event, delivery_id, settings))
            if job_request is not None:
                requests.append((job_request, job_function, handler.__name__))
    except (KeyError, TypeError, AttributeError):
        log.exception("delivery %s: %s payload without the expected fields", delivery_id, event)
        return _answer(400, event, "bad_request", error="the payload lacks fields this event should have")
    if not requests:
        return _answer(200, event, "ignored")
    queue: Queue = current_app.config["BOT_QUEUE"]
    queued: list[str] = []
    for index, (job_request, job_function, name) in enumerate(requests):
        # the first job keeps the plain id; others add their handler's name, stable across redeliveries
        job_id = f"github-{delivery_id}" if index == 0 else f"github-{delivery_id}-{name}"
        if enqueue_job(queue, job_function, job_request, job_id=job_id, timeout=JOB_TIMEOUT_SECONDS,
                       retries=JOB_RETRIES):
            queued.append(job_id)
            log.info("delivery %s: queued %s job %s", delivery_id, job_request.get("kind"), job_id)
    if not queued:
        return _answer(200, event, "duplicate", job_id=f"github-{delivery_id}")
    return _answer(202, event, "queued", job_id=queued[0], **({"job_ids": queued} if len(queued) > 1 else {}))



# Event handlers kept in their own modules register on `router` when imported (after it exists).
from handlers import config_events  # noqa: E402,F401
