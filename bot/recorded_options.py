"""The options a setup-ci pull request was opened with, recorded in its own description.

`/devops setup ci …` ends the pull request body with a hidden HTML comment holding its arguments in
normal form as JSON; a refresh reads them back from the pull request it has already listed. No
datastore is needed, a restart loses nothing, and a later `/devops setup ci …` replaces the record.
Reading goes through the comment parser, so recorded options are checked exactly like typed ones.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot import messages
from bot.errors import InputError
from bot.errors import UserError
from handlers.commands import parse_setup_ci
from handlers.commands import setup_ci_words

COMMAND = "setup ci"
_RECORD = re.compile(r"<!-- devops-bot:options (.*?) -->", re.DOTALL)


class OptionsNoLongerValid(UserError):
    """The recorded options no longer parse; the text lists every problem, then the usage, as for a comment."""


def with_options(body: str, options: dict[str, Any]) -> str:
    """`body` ending with the hidden record of the `setup ci` options that produced it."""
    record = json.dumps({"command": COMMAND, "arguments": setup_ci_words(options)}, sort_keys=True)
    # escaped, `<` and `>` cannot end the HTML comment early; JSON reads the escapes back as they were
    record = record.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{body.rstrip()}\n\n<!-- devops-bot:options {record} -->\n"


def read_options(body: str | None) -> tuple[dict[str, Any] | None, str]:
    """(options, "") recorded in a pull request body, or (None, why not) when none can be read.

    Raises OptionsNoLongerValid when the record reads but its arguments no longer parse.
    """
    found = _RECORD.findall(body or "")
    if not found:
        return None, messages.options_not_recorded()
    try:
        record = json.loads(found[-1])  # the bot appends its record last
    except ValueError:
        return None, messages.options_unreadable()
    arguments = record.get("arguments") if isinstance(record, dict) and record.get("command") == COMMAND else None
    if not isinstance(arguments, list) or not all(isinstance(word, str) for word in arguments):
        return None, messages.options_unreadable()
    try:
        return parse_setup_ci(arguments), ""
    except InputError as error:
        raise OptionsNoLongerValid(messages.command_problems(error)) from error
