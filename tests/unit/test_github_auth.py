"""GitHub App auth: the app JWT, and installation tokens cached in a real Redis (DB 15)."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from datetime import timezone
from typing import Any

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.github_auth import InstallationTokens
from bot.github_auth import app_jwt
from bot.settings import Settings

API = "http://github.test/api/v3"
TOKENS_URL = f"{API}/app/installations/77/access_tokens"
NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def settings(key: rsa.RSAPrivateKey) -> Settings:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return Settings(github_app_id="4242", github_private_key=pem, github_webhook_secret="s", github_api_url=API)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_response(token: str, expires_at: float) -> dict[str, Any]:
    return {"token": token, "expires_at": iso(expires_at), "permissions": {"contents": "write"},
            "repository_selection": "selected"}


def test_the_app_jwt_has_githubs_claims(key: rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()

    token = app_jwt(4242, pem, NOW)

    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], options={"verify_exp": False,
                                                                                 "verify_iat": False})
    assert claims["iss"] == "4242"
    assert claims["iat"] <= NOW - 120  # our clock may be 2 minutes ahead of GitHub's
    assert NOW + 120 < claims["exp"] <= NOW + 600 - 120  # ... or behind it
    assert claims["exp"] - claims["iat"] <= 600
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


@responses.activate
def test_a_token_is_minted_with_the_app_jwt_and_reused_from_redis(settings: Settings, key: rsa.RSAPrivateKey,
                                                                 redis_conn: Any) -> None:
    clock = Clock(time.time())
    responses.post(TOKENS_URL, json=token_response("ghs_first", clock.now + 3600), status=201)

    first = InstallationTokens(redis_conn, settings, clock=clock).token(77)
    second = InstallationTokens(redis_conn, settings, clock=clock).token(77)

    assert first == second == "ghs_first"
    assert len(responses.calls) == 1
    request = responses.calls[0].request
    bearer = request.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(bearer, key.public_key(), algorithms=["RS256"])["iss"] == "4242"
    assert request.headers["Accept"] == "application/vnd.github+json"


@responses.activate
def test_the_cache_lives_until_five_minutes_before_expiry(settings: Settings, redis_conn: Any) -> None:
    clock = Clock(time.time())
    responses.post(TOKENS_URL, json=token_response("ghs_first", clock.now + 3600), status=201)

    InstallationTokens(redis_conn, settings, clock=clock).token(77)

    ttl = redis_conn.ttl(InstallationTokens.key(77))
    assert 3600 - 300 - 5 <= ttl <= 3600 - 300


@responses.activate
def test_a_token_near_expiry_is_refreshed(settings: Settings, redis_conn: Any) -> None:
    clock = Clock(time.time())
    responses.post(TOKENS_URL, json=token_response("ghs_first", clock.now + 3600), status=201)
    responses.post(TOKENS_URL, json=token_response("ghs_second", clock.now + 7200), status=201)
    tokens = InstallationTokens(redis_conn, settings, clock=clock)

    assert tokens.token(77) == "ghs_first"
    clock.now += 3600 - 299  # less than five minutes left
    assert tokens.token(77) == "ghs_second"
    assert len(responses.calls) == 2


@responses.activate
def test_a_token_that_expires_within_the_margin_is_not_cached(settings: Settings, redis_conn: Any) -> None:
    clock = Clock(time.time())
    responses.post(TOKENS_URL, json=token_response("ghs_short", clock.now + 120), status=201)

    assert InstallationTokens(redis_conn, settings, clock=clock).token(77) == "ghs_short"
    assert redis_conn.get(InstallationTokens.key(77)) is None


@responses.activate
def test_forget_drops_the_cached_token(settings: Settings, redis_conn: Any) -> None:
    clock = Clock(time.time())
    responses.post(TOKENS_URL, json=token_response("ghs_first", clock.now + 3600), status=201)
    responses.post(TOKENS_URL, json=token_response("ghs_second", clock.now + 3600), status=201)
    tokens = InstallationTokens(redis_conn, settings, clock=clock)

    tokens.token(77)
    tokens.forget(77)

    assert tokens.token(77) == "ghs_second"


@responses.activate
def test_a_github_error_is_raised_and_nothing_is_cached(settings: Settings, redis_conn: Any) -> None:
    import requests

    responses.post(TOKENS_URL, json={"message": "Not Found"}, status=404)

    with pytest.raises(requests.HTTPError):
        InstallationTokens(redis_conn, settings).token(77)
    assert redis_conn.get(InstallationTokens.key(77)) is None


def test_concurrent_workers_mint_one_token(settings: Settings, redis_conn: Any) -> None:
    minted: list[int] = []
    release = threading.Event()

    def slow_github(request: Any) -> tuple[int, dict[str, str], str]:
        minted.append(1)
        release.wait(2)  # hold the lock while the others arrive
        return 201, {}, json.dumps(token_response(f"ghs_{len(minted)}", time.time() + 3600))

    results: list[str] = []
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, TOKENS_URL, callback=slow_github)
        threads = [threading.Thread(target=lambda: results.append(InstallationTokens(redis_conn, settings).token(77)))
                   for _ in range(5)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        release.set()
        for thread in threads:
            thread.join(10)

    assert len(minted) == 1
    assert results == ["ghs_1"] * 5
