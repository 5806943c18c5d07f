"""Reporters: what people see on GitHub while a job runs (reaction, one status comment, replies)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from github.Issue import Issue
from github.IssueComment import IssueComment

log = logging.getLogger(__name__)

MARKER = "<!-- devops-bot:status -->"  # lets people (and the bot) tell its status comments apart
SYMBOLS = {"pending": "○", "running": "…", "succeeded": "✓", "skipped": "–", "failed": "✗"}


def add_reaction(comment: IssueComment, content: str = "eyes") -> None:
    """React to a comment (GitHub answers 200 instead of 201 when the reaction is already there)."""
    comment.create_reaction(content)


def reply(issue: Issue, text: str) -> IssueComment:
    """Post a new comment on an issue or pull request."""
    return issue.create_comment(text)


class StatusComment:
    """One comment per job, edited in place: a heading, a checklist of steps, then the outcome.

    Edits are spaced at least `min_interval` seconds apart (the final one always goes out), so a
    pipeline of many fast steps costs a couple of requests, not one per step.
    """

    def __init__(self, issue: Issue, heading: str, steps: list[str], *, comment_id: int | None = None,
                 min_interval: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.issue = issue
        self.heading = heading
        self.states: dict[str, str] = {step: "pending" for step in steps}
        self.durations: dict[str, float] = {}
        self.comment: IssueComment | None = issue.get_comment(comment_id) if comment_id else None
        self._id = comment_id  # kept apart: reading .id of a comment built from an id would fetch it
        self.min_interval = min_interval
        self.clock = clock
        self.last_edit: float | None = None
        self.last_body: str | None = None
        self.outcome: str | None = None

    @property
    def comment_id(self) -> int | None:
        """The comment's id once it exists."""
        return self._id

    def start(self, note: str = "") -> int:
        """Create the comment (or, on a retried job, take over the one it made before)."""
        body = self.render(note)
        if self.comment is None:
            self.comment = reply(self.issue, body)
            self._id = int(self.comment.id)
        else:
            self.comment.edit(body)
        self.last_edit, self.last_body = self.clock(), body
        return int(self._id or 0)

    def on_event(self, event: Any) -> None:
        """Engine progress callback: mark the step, and edit the comment if it is time to."""
        status = {"started": "running"}.get(event.status, event.status)
        self.states[event.step] = status
        if getattr(event, "duration_seconds", None) is not None:
            self.durations[event.step] = float(event.duration_seconds)
        now = self.clock()
        if self.last_edit is None or now - self.last_edit >= self.min_interval:
            self._edit(self.render())

    def finish(self, outcome: str) -> None:
        """Final state: the checklist as it ended, then the outcome sentence."""
        self.outcome = outcome
        for step, state in self.states.items():
            if state == "running":  # the step raised; the engine reported it failed or never will
                self.states[step] = "failed"
        self._edit(self.render())

    def render(self, note: str = "") -> str:
        """The comment's Markdown."""
        lines = [MARKER, self.heading, ""]
        for step, state in self.states.items():
            took = f" ({self.durations[step]:.1f}s)" if self.durations.get(step, 0) >= 0.1 and state == "succeeded" else ""
            lines.append(f"- {SYMBOLS.get(state, '?')} {step.replace('_', ' ')}{took}")
        if note:
            lines += ["", note]
        if self.outcome:
            lines += ["", self.outcome]
        return "\n".join(lines)

    def _edit(self, body: str) -> None:
        if self.comment is None:
            self.start()
            return
        if body == self.last_body:
            return
        self.comment.edit(body)
        self.last_edit, self.last_body = self.clock(), body
