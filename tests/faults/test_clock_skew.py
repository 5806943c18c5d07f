"""The App JWT is accepted when our clock is up to two minutes off GitHub's, either way.

The fake GitHub judges iat and exp by its own clock, with GitHub's rules and messages: iat must be in
the past, exp in the future and at most 10 minutes ahead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.github_auth import InstallationTokens
from bot.github_client import make_github
from bot.github_deployments import repository_on_installation
from bot.settings import Settings
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_server import ServerThread

APP_ID = "4242"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture
def fake(keys: tuple[str, str]) -> Iterator[FakeGitHub]:
    with ServerThread() as state:
        state.app_id, state.app_public_key, state.strict_tokens = APP_ID, keys[1], True
        state.add_repo("octo-org/shop", {"README.md": "# shop\n"})
        yield state


def tokens_for(fake: FakeGitHub, keys: tuple[str, str], redis_conn: Any) -> InstallationTokens:
    settings = Settings(github_app_id=APP_ID, github_private_key=keys[0], github_webhook_secret="s",
                        github_api_url=fake.base_url)
    return InstallationTokens(redis_conn, settings)


@pytest.mark.parametrize("github_minus_ours", [-125, -120, -60, 0, 60, 120, 125])
def test_a_token_is_minted_with_our_clock_two_minutes_off_githubs(fake: FakeGitHub, keys: tuple[str, str],
                                                                  redis_conn: Any, github_minus_ours: int) -> None:
    fake.clock = lambda: time.time() + github_minus_ours

    token = tokens_for(fake, keys, redis_conn).token(1)

    assert make_github(token, fake.base_url).get_repo("octo-org/shop").full_name == "octo-org/shop"
    [mint] = [call for call in fake.calls if call.path.endswith("/access_tokens")]
    assert mint.status == 201


@pytest.mark.parametrize(("github_minus_ours", "message"), [
    (-600, "'Issued at' claim ('iat') must be an Integer representing a time in the past"),
    (+1200, "'Expiration time' claim ('exp') must be a numeric value representing the future time"),
])
def test_a_clock_far_off_is_refused_as_github_refuses_it(fake: FakeGitHub, keys: tuple[str, str], redis_conn: Any,
                                                         github_minus_ours: int, message: str) -> None:
    fake.clock = lambda: time.time() + github_minus_ours
    with pytest.raises(requests.HTTPError) as raised:
        tokens_for(fake, keys, redis_conn).token(1)
    assert raised.value.response.status_code == 401
    assert message in raised.value.response.json()["message"]


@pytest.mark.parametrize("github_minus_ours", [-120, 120])
def test_the_installation_of_a_repository_is_found_with_our_clock_two_minutes_off(
        fake: FakeGitHub, keys: tuple[str, str], redis_conn: Any, github_minus_ours: int) -> None:
    # Rollout reporters look up a repository's installation with the App JWT (through PyGithub) first.
    fake.clock = lambda: time.time() + github_minus_ours
    settings = Settings(github_app_id=APP_ID, github_private_key=keys[0], github_webhook_secret="s",
                        github_api_url=fake.base_url)
    repository = repository_on_installation(settings, redis_conn, InstallationTokens(redis_conn, settings))

    assert repository("octo-org/shop").full_name == "octo-org/shop"
    assert [call.status for call in fake.calls if call.path.endswith("/installation")] == [200]
