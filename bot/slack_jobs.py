"""RQ jobs behind `/deploy` and the gate buttons: plain data in, Slack answers and rollout events out.

handlers/slack.py only parses and enqueues; everything that talks to Slack, checks approvers (user
groups need usergroups.users.list) or moves a rollout happens here.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import slack_messages
from bot.deploy_apps import DeployApp
from bot.deploy_apps import approval_refusal
from bot.deploy_apps import load_apps
from bot.deploy_rules import apply_deploy_rules
from bot.engine import run_pipeline
from bot.errors import InputError
from bot.errors import UserError
from bot.registry import StepContext
from bot.rollouts import engine
from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import Rollout
from bot.settings import Settings
from bot.slack_reporter import SlackReporter
from bot.slack_reporter import slack_client
from bot.slack_reporter import usergroup_members

log = logging.getLogger(__name__)

REPORTER_FACTORY = "bot.slack_reporter:slack_reporter"
GITHUB_REPORTER_FACTORY = "bot.github_deployments:github_deployments"


def _slack() -> tuple[WebClient, dict[str, DeployApp]]:
    settings = Settings.from_env(require_github=False)
    return slack_client(settings), load_apps(settings.deploy_apps_file)


def _ephemeral(client: WebClient, channel: str, user: str, text: str) -> None:
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception:  # the person misses a hint; nothing else depends on it
        log.exception("chat.postEphemeral failed")


def _respond(response_url: str | None, text: str) -> None:
    """An ephemeral answer through the command's response_url, which works where the bot cannot post."""
    if not response_url:
        log.warning("no response_url to tell the user: %s", text)
        return
    try:
        WebhookClient(response_url, timeout=10).send(text=text, response_type="ephemeral")
    except Exception:  # the person misses the answer; nothing else depends on it
        log.exception("posting to the response_url failed")


def start_deploy(request: dict[str, Any], *, deps: engine.Deps | None = None) -> dict[str, Any]:
    """Apply the app repository's deploy rules, post the parent message, then run pipelines/deployment.yml."""
    deps = deps or engine.default_deps()
    client, apps = _slack()
    reporter = SlackReporter(client, deps.redis)
    rollout_id = request["rollout_id"]
    inputs = request["inputs"]
    refused: str | None = None
    rules_note: str | None = None
    app = apps.get(inputs["application_name"])
    try:
        if app is None:
            raise UserError(slack_messages.unknown_app(inputs["application_name"]))
        # Read here, not in the ack: the repository's .devops.yml deploy section over the apps file.
        inputs, rules_note = apply_deploy_rules(inputs, app, repository_reader(deps.redis),
                                                bool(request.get("strategy_from_command")))
    except UserError as error:
        refused = str(error)
    version = inputs["artifact_source"]["version"]
    if not reporter.thread(rollout_id):  # a retried job keeps the message it already posted
        posted = reporter.open_thread(rollout_id, request["channel_id"], slack_messages.thread_opening(
            inputs["application_name"], version, inputs["target_environment"], inputs["deployment_strategy"],
            request["user_id"]))
        if posted is None:  # no thread means no buttons: nobody could see or approve the rollout
            text = slack_messages.no_thread(request["channel_id"], reporter.last_error or "nothing")
            _respond(request.get("response_url"), text)
            return {"status": "refused", "rollout_id": rollout_id, "error": text}
    # An app with a repository is also recorded with GitHub's Deployments API (its Environments view).
    factories = [REPORTER_FACTORY, *([GITHUB_REPORTER_FACTORY] if inputs.get("repository") else [])]
    ctx = StepContext(open_tree=_no_tree, run_id=rollout_id,
                      extras={"rollout_deps": deps, "reporter_factories": factories})
    try:
        if refused:
            raise UserError(refused)
        if rules_note:
            reporter.reply(rollout_id, rules_note)
        run = run_pipeline("deployment", inputs, ctx)
    except (UserError, InputError) as error:
        text = slack_messages.deploy_refused(str(error))
        reporter.reply(rollout_id, text)
        reporter.retitle(rollout_id, text)
        return {"status": "refused", "rollout_id": rollout_id, "error": str(error)}
    return {"status": run.status, "rollout_id": rollout_id}


def repository_reader(redis: Any) -> Any:
    """owner/name -> PyGithub repository on the App's installation; None when no GitHub App is configured."""
    from bot.github_auth import InstallationTokens
    from bot.github_deployments import repository_on_installation

    settings = Settings.from_env(require_github=False)
    if not (settings.github_app_id and settings.github_private_key):
        return None  # a Slack-only bot: the apps file alone decides
    return repository_on_installation(settings, redis, InstallationTokens(redis, settings))


def _no_tree(path: str) -> Any:
    raise UserError("the deployment pipeline reads no repository files")


def gate_event(request: dict[str, Any], *, deps: engine.Deps | None = None) -> dict[str, Any]:
    """An Approve or Reject click: check who clicked, then let the engine decide whether the gate is open."""
    deps = deps or engine.default_deps()
    client, apps = _slack()
    user, channel = request["user_id"], request["channel_id"]
    rollout = engine.get(request["rollout_id"], deps=deps)
    if rollout is None:
        _ephemeral(client, channel, user, slack_messages.not_waiting("that rollout no longer exists"))
        return {"status": "not_found"}
    refusal = _refusal(rollout, user, apps, client)
    if refusal:
        _ephemeral(client, channel, user, slack_messages.cannot_approve(refusal))
        return {"status": "refused", "reason": refusal}
    act = engine.approve if request["action"] == "approve" else engine.reject
    outcome = act(rollout.rollout_id, request["stage_index"], request["gate_token"], user, deps=deps)
    if not outcome.ok:
        _ephemeral(client, channel, user, slack_messages.not_waiting(outcome.message))
    return {"status": outcome.code}


def _refusal(rollout: Rollout, user: str, apps: dict[str, DeployApp], client: WebClient) -> str | None:
    app = apps.get(rollout.app)
    if app is None:
        return slack_messages.unknown_app(rollout.app)
    return approval_refusal(app, rollout.environment, user, rollout.requested_by, usergroup_members(client),
                            rollout.approval)


def command_event(request: dict[str, Any], *, deps: engine.Deps | None = None) -> dict[str, Any]:
    """`/deploy abort|promote|rollback APP`: on the app's running rollout (rollback: or its last success)."""
    deps = deps or engine.default_deps()
    client, apps = _slack()
    verb, app, user, channel = request["command"], request["app"], request["user_id"], request["channel_id"]
    latest = engine.status(app, deps=deps)
    running = [r for r in latest if r.state not in TERMINAL]
    candidates = running or ([r for r in latest if r.state == SUCCEEDED] if verb == "rollback" else [])
    if not candidates:
        _ephemeral(client, channel, user, slack_messages.no_rollout(app, verb != "rollback"))
        return {"status": "not_found"}
    target = candidates[0]
    if verb == "promote":
        refusal = _refusal(target, user, apps, client)
        if refusal:
            _ephemeral(client, channel, user, slack_messages.cannot_approve(refusal).replace("approve", "promote", 1))
            return {"status": "refused", "reason": refusal}
    act = {"abort": engine.abort, "promote": engine.promote, "rollback": engine.rollback}[verb]
    outcome = act(target.app, target.environment, user, deps=deps)
    if not outcome.ok:
        _ephemeral(client, channel, user, slack_messages.not_waiting(outcome.message))
    return {"status": outcome.code, "rollout_id": target.rollout_id}
