"""A Reporter that prints the rollout as a plain-text thread (the CLI demo, logs)."""

from __future__ import annotations

import re
import sys
import time
from typing import TextIO

from bot.rollouts.analysis import describe
from bot.rollouts.contract import Rollout


def progress_bar(rollout: Rollout) -> str:
    """[5%]━[25%]━(50%)━ 100% : done stages in brackets, the current one in parentheses."""
    marks = []
    for index, stage in enumerate(rollout.stages):
        label = f"{stage.weight}%"
        if index < rollout.stage_index:
            label = f"[{label}]"
        elif index == rollout.stage_index:
            label = f"({label})"
        marks.append(label)
    return "━".join(marks)


class TextReporter:
    """contract.Reporter writing one line per event and a summary line per change."""

    def __init__(self, out: TextIO | None = None, summaries: bool = True) -> None:
        self.out = out or sys.stdout
        self.summaries = summaries
        self.started = time.monotonic()
        self._last_summary = ""

    def _line(self, text: str) -> None:
        text = re.sub(r"<@([^>]+)>", r"@\1", text)  # Slack mentions read as @name on a terminal
        self.out.write(f"[{time.monotonic() - self.started:6.1f}s] {text}\n")
        self.out.flush()

    def changed(self, rollout: Rollout) -> None:
        """A summary line, printed only when it says something new."""
        split = ", ".join(f"{name} {weight}%" for name, weight in sorted(rollout.traffic.items()))
        summary = (f"{rollout.app} {rollout.version} → {rollout.environment} | {progress_bar(rollout)} | "
                   f"{split or 'no traffic yet'} | {describe(rollout.last_metrics)} | {rollout.state}")
        if self.summaries and summary != self._last_summary:
            self._last_summary = summary
            self._line(f"== {summary}")

    def event(self, rollout: Rollout, kind: str, text: str) -> None:
        """A thread reply."""
        self._line(f"  └ {text}")

    def gate_opened(self, rollout: Rollout) -> None:
        """The buttons, as text."""
        self._line(f"  └ [Approve] [Reject]  (rollout {rollout.rollout_id}, stage {rollout.stage_index})")

    def gate_closed(self, rollout: Rollout, outcome: str, by: str | None) -> None:
        """The buttons are gone."""
        self._line(f"  └ gate {outcome}" + (f" by {by}" if by else ""))


def stdout_reporter(rollout: Rollout) -> TextReporter:
    """Factory for Rollout.reporter_factories: "bot.rollouts.text:stdout_reporter"."""
    return TextReporter()
