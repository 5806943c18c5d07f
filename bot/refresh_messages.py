"""What people see when the bot refreshes its pull requests (bot/refresh.py, bot/recorded_options.py).

`command` is a setup command without the prefix, as recorded: "setup ci", "setup monitoring", "setup infra".
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages import COMMAND
from bot.templating import markdown_code


def stale_pull_request(branch: str) -> str:
    """Comment on a bot pull request someone pushed to, after the default branch changed what it is built from."""
    return (f"The default branch changed files this pull request is generated from, but someone has pushed to "
            f"{markdown_code(branch)}, so I will not update it on my own and overwrite that work. Comment "
            f"`{COMMAND} refresh` to regenerate it on top of those commits (your changes to the same files would be "
            "replaced), or merge or close it.")


def refresh_results(lines: list[str], answers: Sequence[str] = ()) -> str:
    """Reply to `/devops refresh`: one line per bot pull request, then what a person must fix."""
    if not lines:
        return "There is no open devops-bot pull request in this repository to refresh."
    return "\n\n".join(["\n".join(["Refreshed the open devops-bot pull requests:", "", *lines]), *answers])


def refresh_line(branch: str, number: int, url: str, outcome: str) -> str:
    """One line of the `/devops refresh` reply."""
    said = {"updated": "updated with a new commit", "unchanged": "already up to date",
            "branch_not_ours": "left alone: someone else pushed to it", "user_error": "could not be regenerated",
            "invalid_options": "left alone: the options it was opened with are no longer valid (below)",
            "options_needed": "left alone: it cannot be regenerated without the options it was opened with (below)"}
    return f"- #{number} ({markdown_code(branch)}): {said.get(outcome, outcome)}. {url}"


def options_not_recorded(command: str) -> str:
    """Why a refresh has no options to use: the pull request's body records none."""
    return (f"its description holds no record of the `{COMMAND} {command}` options it was opened with (it was "
            "opened by an older devops-bot, or the record was edited out)")


def options_unreadable(command: str) -> str:
    """Why a refresh has no options to use: the record in the pull request's body cannot be read."""
    return f"the record of the `{COMMAND} {command}` options in its description cannot be read (it was edited)"


def refreshed_with_default_options(command: str, why: str) -> str:
    """Pull request body, refreshed without its options: say so, and how to choose them again."""
    return (f"**Refreshed with the default options**: {why}, so this refresh used the default options and "
            f"`.devops.yml`. Comment `{COMMAND} {command}` with your options to choose them again; "
            "refreshes keep them from then on.")


def recorded_options_invalid(number: int, command: str, problems: str) -> str:
    """Why a pull request was not refreshed: the options it was opened with are no longer valid."""
    return (f"I did not refresh #{number}: the `{COMMAND} {command}` options it was opened with are no longer "
            f"valid. Comment `{COMMAND} {command}` with valid options to update it.\n\n{problems}")


def recorded_options_needed(number: int, command: str, why: str, problems: str) -> str:
    """Why a pull request was not refreshed: no options were read, and its command needs some."""
    return (f"I did not refresh #{number}: {why}, and `{COMMAND} {command}` cannot run without them. Comment "
            f"`{COMMAND} {command}` with your options to update it; refreshes keep them from then on."
            f"\n\n{problems}")
