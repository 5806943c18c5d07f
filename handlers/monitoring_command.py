"""`/devops setup monitoring [STACK]`: the arguments after `setup monitoring`, every problem at once."""

from __future__ import annotations

from typing import Any

from bot import messages
from bot import monitoring_messages
from bot.pipelines import input_enum

PIPELINE = "monitoring_setup"


def parse_setup_monitoring(words: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Options ({"monitoring_stack": STACK or None}) and problems; no STACK means .devops.yml's, else the default."""
    options: dict[str, Any] = {"monitoring_stack": None}
    problems: list[str] = []
    for index, word in enumerate(words):
        if word.startswith("--"):
            problems.append(monitoring_messages.no_options(word))
        elif index > 0:
            problems.append(messages.unexpected_argument(word))
        else:
            stack = word.lower().replace("-", "_")
            valid = input_enum(PIPELINE, "monitoring_stack")
            if stack in valid:
                options["monitoring_stack"] = stack
            else:
                problems.append(messages.invalid_choice("monitoring stack", word, valid))
    return options, problems


def setup_monitoring_words(options: dict[str, Any]) -> list[str]:
    """The `setup monitoring` arguments that parse back to `options`: the command in its normal form."""
    return [str(options["monitoring_stack"])] if options.get("monitoring_stack") else []
