"""`POST /slack/events`: `/deploy` and the gate buttons through slack-bolt: verify, parse, enqueue, ack.

Bolt checks X-Slack-Signature (v0) and refuses timestamps older than five minutes before any
listener runs. Listeners answer within Slack's 3 s from Redis alone; Slack calls and rollout
changes happen in the jobs of bot/slack_jobs.py.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from typing import Any

from flask import Blueprint
from flask import Response
from flask import request
from rq import Queue
from slack_bolt import Ack
from slack_bolt import App
from slack_bolt import BoltResponse
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult

from bot import slack_messages
from bot.deploy_apps import AppsFile
from bot.deploy_apps import DeployApp
from bot.errors import UserError
from bot.queue import enqueue_job
from bot.rollouts.store import RolloutStore
from bot.settings import Settings
from bot.slack_blocks import APPROVE
from bot.slack_blocks import REJECT
from bot.slack_blocks import parse_gate_value
from bot.slack_blocks import status_lines
from bot.slack_reporter import slack_client
from handlers.slack_devops import register_devops

log = logging.getLogger(__name__)

START_JOB = "bot.slack_jobs.start_deploy"
GATE_JOB = "bot.slack_jobs.gate_event"
COMMAND_JOB = "bot.slack_jobs.command_event"
JOB_TIMEOUT_SECONDS = 15 * 60
VERBS = ("abort", "promote", "rollback")
MAX_AGE_SECONDS = 5 * 60  # Slack's own rule: older (or later) timestamps may be replays
VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")


def rollout_id_for(trigger_id: str) -> str:
    """The rollout id a slash command gets: the same trigger_id always names the same rollout."""
    return hashlib.sha256(trigger_id.encode()).hexdigest()[:16]


def parse_deploy(text: str, apps: dict[str, DeployApp]) -> dict[str, str]:
    """`APP [STRATEGY] [to ENV] [@VERSION]` → app, strategy, environment, version; UserError lists every problem."""
    words = text.split()
    problems: list[str] = []
    app_name = words[0] if words else ""
    app = apps.get(app_name)
    if app is None:
        problems.append(f"unknown app {app_name!r}" if app_name else "name the app to deploy")
    strategy = environment = version = None
    rest = words[1:]
    index = 0
    valid = slack_messages.strategies()
    while index < len(rest):
        word = rest[index]
        if word == "to":
            if index + 1 >= len(rest):
                problems.append("`to` needs an environment after it")
            elif environment is not None:
                problems.append("give the environment once")
            else:
                environment = rest[index + 1]
            index += 2
            continue
        if word.startswith("@") and len(word) > 1:
            if version is not None:
                problems.append("give the version once")
            elif not VERSION.fullmatch(word[1:]):  # it reaches image references, manifests and platform APIs
                problems.append(f"{word[1:]!r} is not a version: letters, digits, `.`, `_`, `+` and `-`")
            version = word[1:]
        elif word in valid:
            if strategy is not None:
                problems.append("give the strategy once")
            strategy = word
        else:
            problems.append(f"{word!r} is not a strategy ({', '.join(valid)}), `to ENV` or `@VERSION`")
        index += 1
    if app is not None and environment is not None and environment not in app.environments:
        problems.append(f"{app.name} deploys to {', '.join(app.environments)}, not {environment!r}")
    if problems:
        raise UserError(slack_messages.problems(problems, apps))
    assert app is not None
    return {"app": app.name, "strategy": strategy or app.strategy,
            "environment": environment or app.default_environment, "version": version or app.version}


def strategy_written(text: str) -> bool:
    """Whether a parsed `/deploy` names its strategy (it then wins over the repository's and the apps file's)."""
    return any(word in slack_messages.strategies() for word in text.split()[1:])


def pipeline_inputs(app: DeployApp, parsed: dict[str, str], user: str) -> dict[str, Any]:
    """Inputs of pipelines/deployment.yml for a parsed `/deploy`."""
    return {"application_name": app.name, "target_environment": parsed["environment"],
            "deployment_strategy": parsed["strategy"],
            "artifact_source": {"type": app.artifact.get("type", "container_registry"),
                                "location": app.artifact["location"], "version": parsed["version"]},
            "platform_config": app.platform, "rollout_settings": app.rollout_settings,
            "stable_version": app.stable_version, "requested_by": user, "repository": app.repository}


def build_bolt(settings: Settings, queue: Queue, redis: Any, apps_file: AppsFile) -> App:
    """The Bolt app with the /deploy command and the gate buttons; each command sees the apps file as it is now."""
    def authorize(**_: Any) -> AuthorizeResult:
        # One workspace, one bot token: no auth.test round-trip to Slack on a request.
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token=settings.slack_bot_token)

    bolt = App(signing_secret=settings.slack_signing_secret, authorize=authorize, process_before_response=True,
               token_verification_enabled=False, client=slack_client(settings))

    @bolt.command("/deploy")
    def deploy(ack: Ack, command: dict[str, Any]) -> None:
        """/deploy APP [STRATEGY] [to ENV] [@VERSION] | status [APP] | abort|promote|rollback APP | help"""
        words = (command.get("text") or "").split()
        head = words[0].lower() if words else "help"
        apps = apps_file.current()
        if head == "help":
            ack(slack_messages.usage(apps))
        elif head == "status" and len(words) > 1 and words[1] not in apps:
            ack(slack_messages.problems([f"unknown app {words[1]!r}"], apps))
        elif head == "status":
            store = RolloutStore(redis)
            ack(status_lines(store.latest_for_app(words[1]) if len(words) > 1 else store.all_latest()))
        elif head in VERBS:
            problems = [] if len(words) == 2 and words[1] in apps else \
                [f"`{head}` needs one known app: `/deploy {head} APP`"]
            if problems:
                ack(slack_messages.problems(problems, apps))
                return
            enqueue_job(queue, COMMAND_JOB, {"command": head, "app": words[1], "user_id": command["user_id"],
                                             "channel_id": command["channel_id"]},
                        job_id=f"slack-{rollout_id_for(command['trigger_id'])}", timeout=JOB_TIMEOUT_SECONDS, retries=0)
            ack(slack_messages.command_queued(head, words[1]))
        else:
            _start(ack, command, apps)

    def _start(ack: Ack, command: dict[str, Any], apps: dict[str, DeployApp]) -> None:
        try:
            parsed = parse_deploy(command.get("text") or "", apps)
        except UserError as error:
            ack(str(error))
            return
        payload = {"rollout_id": rollout_id_for(command["trigger_id"]), "user_id": command["user_id"],
                   "channel_id": command["channel_id"], "response_url": command.get("response_url") or "",
                   "inputs": pipeline_inputs(apps[parsed["app"]], parsed, command["user_id"]),
                   # a strategy written in the command wins over the repository's .devops.yml (bot/deploy_rules.py)
                   "strategy_from_command": strategy_written(command.get("text") or "")}
        # Slack may send the same command again (X-Slack-Retry-Num); the trigger_id dedupes it.
        enqueue_job(queue, START_JOB, payload, job_id=f"slack-{rollout_id_for(command['trigger_id'])}",
                    timeout=JOB_TIMEOUT_SECONDS, retries=0)
        ack(slack_messages.deploy_queued(parsed["app"], parsed["version"], parsed["environment"], parsed["strategy"]))

    def gate(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        target = parse_gate_value(str(action.get("value", "")))
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if target is None or not user or not channel:
            log.warning("ignored a gate click with an unreadable value or no user/channel")
            return
        rollout_id, stage_index, token = target
        verdict = "approve" if action.get("action_id") == APPROVE else "reject"
        digest = hashlib.sha256(f"{user}:{verdict}:{rollout_id}:{stage_index}:{token}".encode()).hexdigest()[:24]
        enqueue_job(queue, GATE_JOB, {"action": verdict, "rollout_id": rollout_id, "stage_index": stage_index,
                                      "gate_token": token, "user_id": user, "channel_id": channel},
                    job_id=f"slack-gate-{digest}", timeout=JOB_TIMEOUT_SECONDS, retries=0)

    @bolt.error
    def listener_failed(error: Exception) -> BoltResponse | None:
        log.error("a Slack listener failed: %r", error, exc_info=error)
        if isinstance(error, KeyError):  # signed, yet without a field Slack always sends (trigger_id, user_id)
            return BoltResponse(status=400, body=f"the request lacks {error}")
        return None

    bolt.action(APPROVE)(gate)
    bolt.action(REJECT)(gate)
    register_devops(bolt, queue)  # /devops setup monitoring OWNER/REPO (handlers/slack_devops.py)
    return bolt


def blueprint_for(settings: Settings, queue: Queue, redis: Any) -> Blueprint:
    """`POST /slack/events`, served by the Bolt app; the apps file is checked here, and re-read when it changes."""
    handler = SlackRequestHandler(build_bolt(settings, queue, redis, AppsFile(settings.deploy_apps_file)))
    blueprint = Blueprint("slack_events", __name__)

    @blueprint.post("/slack/events")
    def slack_events() -> Response:
        """Slash commands and interactivity."""
        # Bolt parses the body before it checks the signature: a non-numeric timestamp or JSON nested
        # 100k deep raised inside it (500) for anyone. Unsigned requests stop here, before Bolt reads them.
        if not _is_signed(settings.slack_signing_secret or "", request.get_data(), request.headers):
            return Response('{"error": "invalid request signature"}', status=401, mimetype="application/json")
        if request.mimetype != "application/x-www-form-urlencoded":  # the bot subscribes to no JSON events
            return Response('{"error": "Slack sends commands and clicks form-encoded"}', status=415,
                            mimetype="application/json")
        try:
            return handler.handle(request)
        except (RecursionError, ValueError, TypeError, AttributeError):  # a signed `payload=` that is no object
            return Response('{"error": "the body is not a Slack payload"}', status=400, mimetype="application/json")

    return blueprint


def _is_signed(secret: str, body: bytes, headers: Any) -> bool:
    """Whether X-Slack-Signature is this body's v0 signature at a timestamp within five minutes of now."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # Slack sends UTF-8; anything else was not signed by it
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), headers.get("X-Slack-Signature", "").encode("utf-8", "replace"))
