"""PyGithub clients for one installation: retry policy, call counting, transient-error test."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import requests
from github import Auth
from github import Github
from github import GithubException
from github import GithubRetry
from github import RateLimitExceededException
from urllib3.response import BaseHTTPResponse

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"


@dataclass
class CallCounter:
    """How many GitHub API requests a piece of work made (retries counted apart)."""

    calls: int = 0
    retries: int = 0
    statuses: list[int] = field(default_factory=list)  # status of each retried attempt, for logs

    def reset(self) -> None:
        """Start counting from zero."""
        self.calls = 0
        self.retries = 0
        self.statuses.clear()


class CountingToken(Auth.Token):
    """An installation token that counts each request it authenticates."""

    def __init__(self, token: str, counter: CallCounter) -> None:
        super().__init__(token)
        self.counter = counter

    def authentication(self, headers: dict) -> None:
        """Add the Authorization header and count the request."""
        # PyGithub calls this once per logical request and passes the same Auth to every
        # Requester it derives (lazy objects, pagination), so nothing escapes the count.
        self.counter.calls += 1
        super().authentication(headers)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on in-request retries; job-level retries (RQ) come on top."""

    total: int = 3
    backoff_factor: float = 1.0  # 1s, 2s, 4s
    max_wait_seconds: float = 60.0  # longest Retry-After or rate-limit pause honoured in-process
    secondary_rate_wait: float = 60.0  # pause after a secondary rate limit that gave no Retry-After


class BotRetry(GithubRetry):
    """GitHub's retry rules, except a POST that failed with 5xx is not repeated in-process.

    A 5xx on POST may have been applied (a comment posted, a pull request opened), so the job
    retries instead: it looks before it writes. A 403/429 rate-limit answer was refused, so
    repeating it is safe.
    """

    def __init__(self, counter: CallCounter | None = None, max_wait_seconds: float = 60.0, **kwargs: Any) -> None:
        self.counter = counter
        self.max_wait_seconds = max_wait_seconds
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> BotRetry:
        """Copy with this policy's extras carried along (urllib3 copies on every attempt)."""
        kw.setdefault("counter", self.counter)
        kw.setdefault("max_wait_seconds", self.max_wait_seconds)
        return super().new(**kw)  # type: ignore[return-value]

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Retryable unless it is a POST that the server may have applied."""
        if method.upper() == "POST" and status_code >= 500:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """Retry-After, capped so that a worker never sleeps for long."""
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_wait_seconds)

    def increment(self, *args: Any, **kwargs: Any) -> BotRetry:  # type: ignore[override]
        """Count the retry, then let GitHub's rules decide."""
        response = kwargs.get("response") if "response" in kwargs else (args[2] if len(args) > 2 else None)
        if self.counter is not None:
            self.counter.retries += 1
            if response is not None:
                self.counter.statuses.append(int(response.status))
        return super().increment(*args, **kwargs)  # type: ignore[return-value]


def make_retry(policy: RetryPolicy, counter: CallCounter | None = None) -> BotRetry:
    """The urllib3 Retry for one client."""
    return BotRetry(
        counter=counter,
        max_wait_seconds=policy.max_wait_seconds,
        secondary_rate_wait=policy.secondary_rate_wait,
        max_rate_limit_wait=policy.max_wait_seconds,
        total=policy.total,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.max_wait_seconds,
        status_forcelist=[429, 500, 502, 503, 504],  # GithubRetry adds 403 and inspects it
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer reaches PyGithub, which raises GithubException
    )


def make_github(
    token: str,
    api_url: str = DEFAULT_API_URL,
    *,
    counter: CallCounter | None = None,
    policy: RetryPolicy | None = None,
    timeout: int = 15,
) -> Github:
    """A lazy PyGithub client for an installation token at `api_url`, counting into `counter`."""
    counter = counter if counter is not None else CallCounter()
    return Github(
        auth=CountingToken(token, counter),
        base_url=api_url.rstrip("/"),
        timeout=timeout,
        retry=make_retry(policy or RetryPolicy(), counter),
        # lazy: objects built from ids (repo, issue, comment) cost no request until used
        lazy=True,
        # one job makes a handful of writes; spacing them 1s apart (PyGithub's default) only
        # delays the user, and secondary rate limits are handled by the retry policy
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def is_transient(error: BaseException) -> bool:
    """True for failures worth retrying the job for: 5xx, rate limits, network trouble."""
    if isinstance(error, RateLimitExceededException):
        return True
    if isinstance(error, GithubException):
        status = error.status or 0
        if status >= 500 or status == 429:
            return True
        headers = {key.lower(): value for key, value in (error.headers or {}).items()}
        message = str((error.data or {}).get("message", "")) if isinstance(error.data, dict) else ""
        return status == 403 and ("retry-after" in headers or "rate limit" in message.lower())
    if isinstance(error, requests.HTTPError) and error.response is not None:  # minting a token
        return error.response.status_code >= 500 or error.response.status_code == 429
    return isinstance(error, (requests.ConnectionError, requests.Timeout))
