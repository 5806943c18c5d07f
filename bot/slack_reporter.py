"""contract.Reporter for Slack: one parent message kept up to date, a thread reply per event, gate buttons.

Where a rollout's thread lives (channel, parent ts, the open gate's reply) is kept in Redis beside the
rollout, so any worker can report on it. A Slack call that fails is logged and dropped: the rollout
never waits on Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot import slack_blocks
from bot.rollouts.contract import Rollout
from bot.settings import Settings

log = logging.getLogger(__name__)

THREAD_TTL_SECONDS = 31 * 24 * 3600  # a day longer than finished rollouts are kept
# gate_opened already shows the gate with its buttons; a second reply would say it twice.
_SHOWN_BY_GATE = {"gate_waiting"}


# Longest Retry-After waited out in-process. Rollout ticks call Slack while holding the rollout's lock (120 s):
# three waits of at most this stay far inside it, and a longer one drops the message, as any failed call does.
MAX_RETRY_AFTER_SECONDS = 10


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, except that a Retry-After longer than MAX_RETRY_AFTER_SECONDS is not waited."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None  # a 429 has a response
        values = next((value for name, value in response.headers.items() if name.lower() == "retry-after"), ["1"])
        try:
            return int(values[0]) <= MAX_RETRY_AFTER_SECONDS
        except (TypeError, ValueError, IndexError):
            return False  # an unreadable Retry-After: the base handler would fail on it


def slack_client(settings: Settings) -> WebClient:
    """A WebClient on SLACK_API_URL that waits out 429s (Retry-After up to 10 s) up to three times."""
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10,
                     retry_handlers=[CappedRateLimitRetryHandler(max_retry_count=3)])


def usergroup_members(client: WebClient) -> Callable[[str], set[str]]:
    """group id -> its members' ids (usergroups.users.list); an empty set when Slack cannot say."""
    def members(group: str) -> set[str]:
        try:
            return set(client.usergroups_users_list(usergroup=group)["users"])
        except Exception:  # unknown group or Slack down: nobody is a member, so nobody gets in through it
            log.exception("usergroups.users.list failed for %s", group)
            return set()

    return members


def thread_key(rollout_id: str) -> str:
    """Redis hash of a rollout's Slack thread: channel, ts, gate_ts, gate_weight."""
    return f"devops-bot:slack-thread:{rollout_id}"


class SlackReporter:
    """Reports one rollout in its Slack thread."""

    def __init__(self, client: WebClient, redis: Any) -> None:
        self.client = client
        self.redis = redis
        self.last_error: str | None = None  # Slack's error code (or the exception) of the last failed call

    # --- the thread record -------------------------------------------------------------------------

    def open_thread(self, rollout_id: str, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
                    extra: dict[str, str] | None = None) -> str | None:
        """Post the parent message and remember it for the rollout; its ts, or None when Slack refused."""
        response = self._call("chat_postMessage", channel=channel, text=text, blocks=blocks)
        if response is None:
            return None
        ts = str(response["ts"])
        key = thread_key(rollout_id)
        self.redis.hset(key, mapping={"channel": str(response.get("channel") or channel), "ts": ts, **(extra or {})})
        self.redis.expire(key, THREAD_TTL_SECONDS)
        return ts

    def thread(self, rollout_id: str) -> dict[str, str]:
        """The stored thread record ({} when none)."""
        raw = self.redis.hgetall(thread_key(rollout_id))
        return {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                for k, v in raw.items()}

    def reply(self, rollout_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        """A reply in the rollout's thread; its ts, or None."""
        where = self.thread(rollout_id)
        if not where:
            return None
        response = self._call("chat_postMessage", channel=where["channel"], thread_ts=where["ts"], text=text,
                              blocks=blocks or slack_blocks.event_blocks(text))
        return str(response["ts"]) if response is not None else None

    def retitle(self, rollout_id: str, text: str) -> None:
        """Replace the parent message with plain text (a deploy that never started has no summary)."""
        where = self.thread(rollout_id)
        if where:
            self._call("chat_update", channel=where["channel"], ts=where["ts"], text=text,
                       blocks=slack_blocks.event_blocks(text))

    # --- contract.Reporter -------------------------------------------------------------------------

    def changed(self, rollout: Rollout) -> None:
        """chat.update of the parent message."""
        where = self.thread(rollout.rollout_id)
        if where:
            self._call("chat_update", channel=where["channel"], ts=where["ts"],
                       text=slack_blocks.summary_text(rollout), blocks=slack_blocks.summary_blocks(rollout))

    def event(self, rollout: Rollout, kind: str, text: str) -> None:
        """A thread reply."""
        if kind not in _SHOWN_BY_GATE:
            self.reply(rollout.rollout_id, text)

    def gate_opened(self, rollout: Rollout) -> None:
        """A reply with Approve / Reject; its ts is kept so the buttons can be removed."""
        ts = self.reply(rollout.rollout_id, slack_blocks.gate_text(rollout), slack_blocks.gate_blocks(rollout))
        if ts is not None:
            weight = rollout.stages[rollout.stage_index].weight
            self.redis.hset(thread_key(rollout.rollout_id), mapping={"gate_ts": ts, "gate_weight": str(weight)})

    def gate_closed(self, rollout: Rollout, outcome: str, by: str | None) -> None:
        """chat.update of the gate reply: the buttons go, who decided (or why it closed) stays."""
        where = self.thread(rollout.rollout_id)
        if not where.get("gate_ts"):
            return
        weight = int(where.get("gate_weight") or 0)
        blocks = slack_blocks.gate_closed_blocks(rollout, weight, outcome, by)
        text = f"The {weight}% gate: {outcome}" + (f" by <@{by}>" if by else "")
        if self._call("chat_update", channel=where["channel"], ts=where["gate_ts"], text=text,
                      blocks=blocks) is not None:
            self.redis.hdel(thread_key(rollout.rollout_id), "gate_ts", "gate_weight")

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**{k: v for k, v in kwargs.items() if v is not None})
        except SlackApiError as error:
            self.last_error = str(error.response.get("error"))
            log.warning("Slack %s failed: %s", method, self.last_error)
        except Exception as error:  # network, timeouts: the rollout goes on without this message
            self.last_error = f"{type(error).__name__}: {error}"
            log.exception("Slack %s failed", method)
        return None


def slack_reporter(rollout: Rollout) -> SlackReporter:
    """Factory for Rollout.reporter_factories: "bot.slack_reporter:slack_reporter"."""
    from bot.queue import connect

    settings = Settings.from_env(require_github=False)
    return SlackReporter(slack_client(settings), connect(settings))
