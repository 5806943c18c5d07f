"""Block Kit for a rollout: the parent message the bot keeps editing, thread replies, gate buttons."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ActionsBlock
from slack_sdk.models.blocks import Block
from slack_sdk.models.blocks import ButtonElement
from slack_sdk.models.blocks import ConfirmObject
from slack_sdk.models.blocks import ContextBlock
from slack_sdk.models.blocks import HeaderBlock
from slack_sdk.models.blocks import MarkdownTextObject
from slack_sdk.models.blocks import SectionBlock

from bot.rollouts.contract import Rollout

APPROVE = "deploy_gate_approve"
REJECT = "deploy_gate_reject"
STATE_LABELS = {"pending": "⏳ starting", "running": "🚦 running", "waiting_approval": "✋ waiting for approval",
                "succeeded": "✅ succeeded", "rolled_back": "↩️ rolled back", "aborted": "⛔ aborted",
                "failed": "💥 failed"}


def escape(text: str) -> str:
    """Slack mrkdwn control characters as entities, so names cannot become mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(slack_id: str) -> str:
    """A Slack member id (U…/W…) or user group id (S…) as the mention Slack renders with the name."""
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


def progress_bar(rollout: Rollout) -> str:
    """One cell per stage: ■ done, ▶ current, □ to come, each with its percentage."""
    cells = []
    for index, stage in enumerate(rollout.stages):
        mark = "■" if index < rollout.stage_index or rollout.state == "succeeded" else \
            "▶" if index == rollout.stage_index else "□"
        cells.append(f"{mark} {stage.weight}%")
    return "  ".join(cells) or "no stages"


def _metric(value: float | None, limit: float | None, fmt: str) -> str:
    shown = "no data" if value is None else fmt.format(value)
    if limit is None:
        return shown
    flag = "" if value is None else " ✅" if value <= limit else " ❌"
    return f"{shown} / limit {fmt.format(limit)}{flag}"


def summary_text(rollout: Rollout) -> str:
    """The notification text of the parent message (and its fallback)."""
    return (f"{rollout.app} {rollout.version} → {rollout.environment} ({rollout.strategy}): "
            f"{STATE_LABELS.get(rollout.state, rollout.state)}")


def summary_blocks(rollout: Rollout) -> list[dict[str, Any]]:
    """The parent message: what, where, how far, the split, live metrics against their limits, the state."""
    stage = rollout.stages[rollout.stage_index] if 0 <= rollout.stage_index < len(rollout.stages) else None
    criteria = stage.criteria if stage else (rollout.stages[0].criteria if rollout.stages else None)
    split = ", ".join(f"{name} {weight}%" for name, weight in sorted(rollout.traffic.items())) or "no traffic yet"
    metrics = rollout.last_metrics
    error_rate = _metric(metrics.get("error_rate"), criteria.max_error_rate if criteria else None, "{:.2%}")
    p99 = _metric(metrics.get("p99_ms"), criteria.max_p99_ms if criteria else None, "{:.0f} ms")
    blocks: list[Block] = [
        HeaderBlock(text=f"Deploy {rollout.app[:60]} {rollout.version[:60]}"),
        SectionBlock(fields=[
            MarkdownTextObject(text=f"*Environment*\n{escape(rollout.environment)}"),
            MarkdownTextObject(text=f"*Strategy*\n{escape(rollout.strategy)}"),
            MarkdownTextObject(text=f"*Version*\n{escape(rollout.version)} (stable {escape(rollout.stable_version)})"),
            MarkdownTextObject(text=f"*State*\n{STATE_LABELS.get(rollout.state, escape(rollout.state))}"),
        ]),
        SectionBlock(text=MarkdownTextObject(text=f"*Progress*  {progress_bar(rollout)}\n*Traffic*  {split}")),
        SectionBlock(fields=[MarkdownTextObject(text=f"*Error rate*\n{error_rate}"),
                             MarkdownTextObject(text=f"*p99 latency*\n{p99}")]),
    ]
    footer = f"rollout `{rollout.rollout_id}` · started by <@{escape(rollout.requested_by)}>"
    if rollout.reason:
        footer += f" · {escape(rollout.reason)}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return [block.to_dict() for block in blocks]


def event_blocks(text: str) -> list[dict[str, Any]]:
    """One thread reply."""
    return [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]


def gate_value(rollout: Rollout) -> str:
    """What the buttons carry back: exactly which gate they answer."""
    return json.dumps({"rollout_id": rollout.rollout_id, "stage_index": rollout.stage_index,
                       "gate_token": rollout.gate_token}, separators=(",", ":"))


def parse_gate_value(value: str) -> tuple[str, int, str] | None:
    """(rollout_id, stage_index, gate_token) from a button's value; None when it is not one of ours."""
    try:
        data = json.loads(value)
        rollout_id, stage_index, token = data["rollout_id"], data["stage_index"], data["gate_token"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(rollout_id, str) and isinstance(stage_index, int) and isinstance(token, str)):
        return None
    return rollout_id, stage_index, token


def gate_text(rollout: Rollout) -> str:
    """The words above the buttons."""
    stage = rollout.stages[rollout.stage_index]
    return (f"✋ *{stage.weight}%* passed its analysis. Approve to go on, or reject to roll back to "
            f"{escape(rollout.stable_version)}.")


def gate_blocks(rollout: Rollout) -> list[dict[str, Any]]:
    """The gate reply with Approve / Reject."""
    value = gate_value(rollout)
    reject_confirm = ConfirmObject(title="Roll back?", text=f"All traffic goes back to {rollout.stable_version[:80]}.",
                                   confirm="Reject", deny="Cancel")
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=gate_text(rollout))),
        ActionsBlock(block_id=f"gate-{rollout.gate_token}", elements=[
            ButtonElement(text="Approve", action_id=APPROVE, value=value, style="primary"),
            ButtonElement(text="Reject", action_id=REJECT, value=value, style="danger", confirm=reject_confirm),
        ]),
    ]
    return [block.to_dict() for block in blocks]


def gate_closed_blocks(rollout: Rollout, weight: int, outcome: str, by: str | None) -> list[dict[str, Any]]:
    """The gate reply once decided: no buttons, who decided or why it closed."""
    who = f" by <@{escape(by)}>" if by else ""
    return [SectionBlock(text=MarkdownTextObject(text=f"The {weight}% gate: *{escape(outcome)}*{who}.")).to_dict()]


def status_lines(rollouts: list[Rollout]) -> str:
    """The answer to `/deploy status`."""
    if not rollouts:
        return "No rollouts yet."
    lines = []
    for r in rollouts:
        stage = f" at {r.stages[r.stage_index].weight}%" if 0 <= r.stage_index < len(r.stages) else ""
        reason = f" ({escape(r.reason)})" if r.reason and r.state != "running" else ""
        lines.append(f"• *{escape(r.app)}* {escape(r.version)} → {escape(r.environment)}, {escape(r.strategy)}: "
                     f"{STATE_LABELS.get(r.state, r.state)}{stage}{reason}")
    return "\n".join(lines)
