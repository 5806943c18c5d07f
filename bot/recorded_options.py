"""The options a bot pull request was opened with, recorded in its own description.

`/devops setup ci|monitoring|infra …` (a comment, or Slack for monitoring and infra) ends the pull
request body with a hidden HTML comment holding the command's name and its arguments in normal form
as JSON; a refresh reads them back from the pull request it has already listed. No datastore is
needed, a restart loses nothing, and a later command of the same kind replaces the record. Reading
goes through the comment parser, so recorded options are checked exactly like typed ones.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot import messages
from bot import refresh_messages
from bot.errors import InputError
from bot.errors import UserError
from handlers.commands import parse_setup
from handlers.commands import setup_words

_RECORD = re.compile(r"<!-- devops-bot:options (.*?) -->", re.DOTALL)


class OptionsNoLongerValid(UserError):
    """The recorded options no longer parse; the text lists every problem, then the usage, as for a comment."""


class OptionsNeeded(UserError):
    """No options can be read, and the command cannot run without them; the text lists what it needs."""

    def __init__(self, problems: str, why_not: str) -> None:
        super().__init__(problems)
        self.why_not = why_not


def with_options(body: str, command: str, options: dict[str, Any]) -> str:
    """`body` ending with the hidden record of the `command` ("setup ci", …) options that produced it."""
    record = json.dumps({"command": command, "arguments": setup_words(_target(command), options)}, sort_keys=True)
    # escaped, `<` and `>` cannot end the HTML comment early; JSON reads the escapes back as they were
    record = record.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{body.rstrip()}\n\n<!-- devops-bot:options {record} -->\n"


def read_options(body: str | None, command: str) -> tuple[dict[str, Any] | None, str]:
    """(options, "") of `command` recorded in a pull request body, or (None, why not) when none can be read.

    Raises OptionsNoLongerValid when the record reads but its arguments no longer parse.
    """
    found = _RECORD.findall(body or "")
    if not found:
        return None, refresh_messages.options_not_recorded(command)
    try:
        record = json.loads(found[-1])  # the bot appends its record last
    except ValueError:
        return None, refresh_messages.options_unreadable(command)
    arguments = record.get("arguments") if isinstance(record, dict) and record.get("command") == command else None
    if not isinstance(arguments, list) or not all(isinstance(word, str) for word in arguments):
        return None, refresh_messages.options_unreadable(command)
    return _parse(command, arguments), ""


def options_for_refresh(body: str | None, command: str) -> tuple[dict[str, Any], str]:
    """(options, "") recorded in the body, else (the bare command's options, why none were read).

    Raises OptionsNoLongerValid as `read_options` does, and OptionsNeeded when nothing is recorded and the
    bare command is not valid on its own (`setup infra` needs a cloud).
    """
    options, why_not = read_options(body, command)
    if options is not None:
        return options, ""
    try:
        return parse_setup(_target(command), []), why_not
    except InputError as error:
        raise OptionsNeeded(messages.command_problems(error), why_not) from error


def body_after_refresh(body: str, command: str, options: dict[str, Any], why_not: str) -> str:
    """A refreshed pull request's body: the record again, or (none read) a note saying defaults were used."""
    if not why_not:
        return with_options(body, command, options)
    # no record is written: each refresh says so until someone chooses options again
    return f"{body.rstrip()}\n\n{refresh_messages.refreshed_with_default_options(command, why_not)}\n"


def _parse(command: str, arguments: list[str]) -> dict[str, Any]:
    try:
        return parse_setup(_target(command), arguments)
    except InputError as error:
        raise OptionsNoLongerValid(messages.command_problems(error)) from error


def _target(command: str) -> str:
    """"ci" of "setup ci"."""
    return command.split(" ", 1)[1]
