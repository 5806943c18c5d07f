"""Slack `/devops setup monitoring OWNER/REPO [STACK]`: parse, enqueue, acknowledge within Slack's 3 s."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from rq import Queue
from slack_bolt import Ack
from slack_bolt import App

from bot import infra_messages
from bot import monitoring_messages
from bot.pipelines import input_enum
from bot.queue import enqueue_job

JOB = "bot.slack_monitoring.setup_monitoring_from_slack"
JOB_TIMEOUT_SECONDS = 15 * 60
REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")


def parse_devops(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """({"repository", "stack"}, []) for `setup monitoring OWNER/REPO [STACK]`; (None, []) for help; else problems."""
    words = text.split()
    if not words or words[0].lower() == "help":
        return None, []
    if [w.lower() for w in words[:2]] == ["setup", "infra"]:
        from handlers.slack_infra import parse_slack_infra

        return parse_slack_infra(words[2:], REPOSITORY)
    if [w.lower() for w in words[:2]] != ["setup", "monitoring"]:
        return None, [f"`{' '.join(words[:2])}` is not a /devops command here; " + monitoring_messages.slack_usage()]
    problems = []
    repository = words[2] if len(words) > 2 else ""
    if not REPOSITORY.match(repository):
        problems.append(f"name the repository as OWNER/REPO (got `{repository or 'nothing'}`)")
    stack = words[3].lower().replace("-", "_") if len(words) > 3 else None
    valid = input_enum("monitoring_setup", "monitoring_stack")
    if stack is not None and stack not in valid:
        problems.append(f"`{words[3]}` is not a monitoring stack; use one of {', '.join(valid)}")
    if len(words) > 4:
        problems.append(f"`{' '.join(words[4:])}` is not expected after the stack")
    return ({"repository": repository, "stack": stack} if not problems else None), problems


def register_devops(bolt: App, queue: Queue) -> None:
    """Add the /devops command to the Bolt app."""

    @bolt.command("/devops")
    def devops(ack: Ack, command: dict[str, Any]) -> None:
        """/devops setup monitoring OWNER/REPO [STACK] | setup infra OWNER/REPO CLOUD [ENVIRONMENT] [...] | help"""
        request, problems = parse_devops(command.get("text") or "")
        if problems:
            ack("I could not run that: " + "; ".join(problems) + ".")
            return
        if request is None:
            ack(monitoring_messages.slack_usage() + "\n" + infra_messages.slack_usage())
            return
        request.update(user_id=command["user_id"], channel_id=command["channel_id"],
                       response_url=command.get("response_url"))
        # Slack may send the same command again; its trigger_id names the job, so it runs once.
        digest = hashlib.sha256(str(command["trigger_id"]).encode()).hexdigest()[:16]
        job = request.pop("job", JOB)  # setup infra names its own job
        enqueue_job(queue, job, request, job_id=f"slack-devops-{digest}", timeout=JOB_TIMEOUT_SECONDS, retries=0)
        if job != JOB:
            ack(infra_messages.slack_queued(request["repository"], request["options"]))
            return
        ack(monitoring_messages.slack_queued(request["repository"], request["stack"] or "the repository's stack"))
