"""GitHub App authentication: the app's JWT, and installation tokens cached in Redis for every worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime

import jwt
import redis
import requests
from redis.exceptions import LockError

from bot.settings import Settings

# GitHub judges the App JWT by its own clock: iat must be in its past, exp at most 10 minutes in its future.
# iat 3 minutes back and exp 7 minutes ahead (10 minutes apart) survive our clock being up to 3 minutes
# ahead of GitHub's; behind it, the JWT just has less life left, and it is used at once.
JWT_LIFETIME_SECONDS = 7 * 60
JWT_BACKDATE_SECONDS = 3 * 60
# A token is replaced this long before it expires, so a job never starts with one about to die.
REFRESH_MARGIN_SECONDS = 5 * 60
LOCK_SECONDS = 10
HTTP_TIMEOUT_SECONDS = 10
API_VERSION = "2022-11-28"


def app_jwt(app_id: str | int, private_key: str, now: float) -> str:
    """The App's own RS256 JWT, for the /app endpoints (minting installation tokens)."""
    issued = int(now) - JWT_BACKDATE_SECONDS
    claims = {"iat": issued, "exp": int(now) + JWT_LIFETIME_SECONDS, "iss": str(app_id)}
    return jwt.encode(claims, private_key, algorithm="RS256")


def _expiry(text: str) -> float:
    """Seconds since the epoch of GitHub's `expires_at` ("2016-07-11T22:14:10Z")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class InstallationTokens:
    """Installation access tokens, minted on demand and shared by all processes through Redis."""

    def __init__(self, redis_conn: redis.Redis, settings: Settings, http_session: requests.Session | None = None,
                 *, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis_conn
        self._settings = settings
        self._http = http_session or requests.Session()
        self._clock = clock

    @staticmethod
    def key(installation_id: int | str) -> str:
        """The Redis key holding one installation's token."""
        return f"github:installation-token:{installation_id}"

    def token(self, installation_id: int | str) -> str:
        """A token for the installation valid for at least five more minutes."""
        cached = self._cached(installation_id)
        if cached:
            return cached
        lock = self._redis.lock(self.key(installation_id) + ":lock", timeout=LOCK_SECONDS,
                                blocking_timeout=LOCK_SECONDS, sleep=0.05)
        acquired = lock.acquire()
        try:
            # Another worker may have minted one while we waited for the lock.
            cached = self._cached(installation_id)
            if cached:
                return cached
            return self._mint(installation_id)
        finally:
            if acquired:
                try:
                    lock.release()
                except LockError:  # it expired while GitHub was slow; nothing to release
                    pass

    def forget(self, installation_id: int | str) -> None:
        """Drop the cached token (after a 401, or when the installation is removed)."""
        self._redis.delete(self.key(installation_id))

    def _cached(self, installation_id: int | str) -> str | None:
        raw = self._redis.get(self.key(installation_id))
        if raw is None:
            return None
        entry = json.loads(raw)
        if entry["expires_at"] - REFRESH_MARGIN_SECONDS <= self._clock():
            return None
        return str(entry["token"])

    def _mint(self, installation_id: int | str) -> str:
        now = self._clock()
        bearer = app_jwt(self._settings.github_app_id, self._settings.github_private_key, now)
        response = self._http.post(
            f"{self._settings.github_api_url}/app/installations/{installation_id}/access_tokens",
            headers={"Authorization": f"Bearer {bearer}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": API_VERSION},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        body = response.json()
        token, expires_at = str(body["token"]), _expiry(body["expires_at"])
        keep = int(expires_at - REFRESH_MARGIN_SECONDS - now)
        if keep > 0:
            self._redis.set(self.key(installation_id), json.dumps({"token": token, "expires_at": expires_at}),
                            ex=keep)
        return token
