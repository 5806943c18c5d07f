"""Slack `/devops setup infra OWNER/REPO CLOUD [ENVIRONMENT] [--compliance F,F] [--budget USD] [--priority P] [--iac T]`."""

from __future__ import annotations

from typing import Any

from handlers.infra_command import parse_setup_infra

JOB = "bot.slack_infra.setup_infra_from_slack"


def parse_slack_infra(words: list[str], repository_pattern: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """The words after `setup infra`: ({"repository", "options", "job"}, []) or (None, every problem)."""
    repository = words[0] if words else ""
    problems = [] if repository_pattern.match(repository) else [
        f"name the repository as OWNER/REPO (got `{repository or 'nothing'}`)"]
    options, found = parse_setup_infra(words[1:])
    problems += found
    if problems:
        return None, problems
    return {"repository": repository, "options": options, "job": JOB}, []
