"""Every sentence `/deploy` shows people in Slack (acks, ephemeral refusals, command answers)."""

from __future__ import annotations

from bot.deploy_apps import DeployApp
from bot.deploy_apps import ENVIRONMENTS
from bot.pipelines import input_enum
from bot.rollouts.strategies import STRATEGIES
from bot.slack_blocks import escape

COMMAND = "/deploy"


def strategies() -> list[str]:
    """Valid strategies: the deployment pipeline's enum when it ships, else the engine's list."""
    try:
        return input_enum("deployment", "deployment_strategy")
    except (KeyError, TypeError):
        return list(STRATEGIES)


def usage(apps: dict[str, DeployApp]) -> str:
    """The command reference with the valid values."""
    names = ", ".join(f"`{escape(name)}`" for name in sorted(apps)) or "none yet (set DEVOPS_BOT_APPS_FILE)"
    return "\n".join([
        "*Usage*",
        f"• `{COMMAND} APP [STRATEGY] [to ENV] [@VERSION]`: start a rollout (defaults from the app's config)",
        f"• `{COMMAND} status [APP]`: the latest rollout of every app, or of APP in each environment",
        f"• `{COMMAND} abort APP`: stop APP's running rollout and send all traffic back to the stable version",
        f"• `{COMMAND} promote APP`: skip the remaining analysis and go to 100% (approvers only)",
        f"• `{COMMAND} rollback APP`: back to the previous version, during or after a rollout",
        f"• `{COMMAND} help`: this message",
        f"`APP`: {names}",
        f"`STRATEGY`: {', '.join(f'`{s}`' for s in strategies())}",
        f"`ENV`: {', '.join(f'`{e}`' for e in ENVIRONMENTS)} (each app lists its own)",
    ])


def problems(found: list[str], apps: dict[str, DeployApp]) -> str:
    """Every problem with the command at once, then the usage."""
    return "I can't run that:\n" + "\n".join(f"• {escape(p)}" for p in found) + "\n\n" + usage(apps)


def deploy_queued(app: str, version: str, environment: str, strategy: str) -> str:
    """The ack of a deploy."""
    return (f"Deploying *{escape(app)}* {escape(version)} to *{escape(environment)}* ({escape(strategy)}). "
            "I'll post the rollout in this channel and keep it up to date in its thread.")


def command_queued(verb: str, app: str) -> str:
    """The ack of abort / promote / rollback."""
    return f"Asking for {verb} of *{escape(app)}*…"


def thread_opening(app: str, version: str, environment: str, strategy: str, user: str) -> str:
    """The parent message before the rollout starts."""
    return (f"Preparing the {escape(strategy)} deploy of {escape(app)} {escape(version)} to {escape(environment)} "
            f"for <@{escape(user)}>…")


def deploy_refused(error: str) -> str:
    """The deploy did not start (prerequisites, platform, a rollout already running)."""
    return f"❌ The deploy did not start: {escape(error)}"


def no_thread(channel: str, error: str) -> str:
    """The deploy job could not post its parent message, so the rollout did not start."""
    hint = " Invite me with `/invite @devops-bot`, then deploy again." \
        if error in ("not_in_channel", "channel_not_found") else " Deploy again once Slack answers."
    return (f"❌ The deploy did not start: I could not post its thread in <#{escape(channel)}> "
            f"(Slack said {escape(error)}), and a rollout nobody can see could not be approved.{hint}")


def cannot_approve(reason: str) -> str:
    """The ephemeral answer to a click by someone who may not decide."""
    return f"You can't approve this, because {reason}."


def not_waiting(message: str) -> str:
    """A click that changed nothing."""
    return f"Nothing changed: {escape(message)}."


def no_rollout(app: str, running_only: bool) -> str:
    """abort / promote / rollback with nothing to act on."""
    what = "running rollout" if running_only else "rollout"
    return f"There is no {what} of {escape(app)} to act on."


def unknown_app(app: str) -> str:
    """An app the apps file no longer lists."""
    return f"{escape(app)} is no longer in the apps file"
