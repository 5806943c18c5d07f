"""Errors meant for people, shown as they are."""

from __future__ import annotations


class UserError(Exception):
    """A message for the person who asked (PR comment, Slack ephemeral), shown as-is."""


class InputError(UserError):
    """Several problems with one request, reported all at once."""

    def __init__(self, problems: list[str], *, heading: str = "The request has problems:") -> None:
        self.problems = list(problems)
        text = heading + "\n" + "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(text)


class SettingsError(Exception):
    """Missing or invalid settings at start-up, each with a sentence saying how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        text = "The bot cannot start:\n" + "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(text)
