"""Settings.from_env: every problem named at once, with a sentence saying how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.errors import SettingsError
from bot.settings import Settings


@pytest.fixture(scope="module")
def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


@pytest.fixture
def env(rsa_pem: str) -> dict[str, str]:
    return {"GITHUB_APP_ID": "123456", "GITHUB_PRIVATE_KEY": rsa_pem, "GITHUB_WEBHOOK_SECRET": "s3cret"}


def problems(environ: dict[str, str], **kwargs: bool) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ, **kwargs)
    return caught.value.problems


def test_a_complete_environment_gives_settings_with_defaults(env: dict[str, str], rsa_pem: str) -> None:
    settings = Settings.from_env(env)

    assert settings.github_app_id == "123456"
    assert settings.github_private_key.strip() == rsa_pem.strip()
    assert settings.github_webhook_secret == "s3cret"
    assert settings.github_api_url == "https://api.github.com"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.redis_url is None
    assert settings.max_body_bytes == 25 * 1024 * 1024
    assert settings.bot_login is None
    assert not settings.slack_enabled


def test_every_missing_github_setting_is_named_at_once() -> None:
    found = problems({})

    assert len(found) == 3
    assert found[0].startswith("GITHUB_APP_ID is not set")
    assert "GITHUB_PRIVATE_KEY" in found[1] and "GITHUB_PRIVATE_KEY_PATH" in found[1]
    assert found[2].startswith("GITHUB_WEBHOOK_SECRET is not set; copy it from")
    assert "Webhook secret" in found[2]


def test_the_error_text_lists_each_problem_on_its_own_line() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GITHUB_APP_ID": "12"})

    lines = str(caught.value).splitlines()
    assert lines[0] == "The bot cannot start:"
    assert [line[:2] for line in lines[1:]] == ["- ", "- "]


def test_github_settings_may_be_absent_when_not_required() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://localhost:6379/0"}, require_github=False)

    assert settings.github_app_id == ""
    assert settings.redis_url == "redis://localhost:6379/0"


def test_blank_values_count_as_missing(env: dict[str, str]) -> None:
    env["GITHUB_WEBHOOK_SECRET"] = "   "

    assert problems(env)[0].startswith("GITHUB_WEBHOOK_SECRET is not set")


def test_invalid_values_are_all_reported_with_their_fix(env: dict[str, str]) -> None:
    env.update(GITHUB_APP_ID="my-app", GITHUB_API_URL="api.github.example", REDIS_URL="localhost:6379",
               MAX_WEBHOOK_BYTES="lots", SLACK_BOT_TOKEN="xoxb-1")

    found = problems(env)

    assert [problem.split()[0] for problem in found] == [
        "GITHUB_APP_ID", "GITHUB_API_URL", "SLACK_SIGNING_SECRET", "REDIS_URL", "MAX_WEBHOOK_BYTES"]


def test_an_escaped_one_line_private_key_is_accepted(env: dict[str, str], rsa_pem: str) -> None:
    env["GITHUB_PRIVATE_KEY"] = rsa_pem.strip().replace("\n", "\\n")

    assert Settings.from_env(env).github_private_key.strip() == rsa_pem.strip()


def test_the_private_key_may_come_from_a_file(env: dict[str, str], rsa_pem: str, tmp_path: Path) -> None:
    path = tmp_path / "app.pem"
    path.write_text(rsa_pem)
    del env["GITHUB_PRIVATE_KEY"]
    env["GITHUB_PRIVATE_KEY_PATH"] = str(path)

    assert Settings.from_env(env).github_private_key.strip() == rsa_pem.strip()


def test_a_missing_key_file_is_reported_with_its_path(env: dict[str, str], tmp_path: Path) -> None:
    del env["GITHUB_PRIVATE_KEY"]
    env["GITHUB_PRIVATE_KEY_PATH"] = str(tmp_path / "nope.pem")

    [problem] = problems(env)

    assert problem.startswith(f"GITHUB_PRIVATE_KEY_PATH ({tmp_path / 'nope.pem'}): there is no such file")


def test_both_key_settings_at_once_are_refused(env: dict[str, str], tmp_path: Path) -> None:
    env["GITHUB_PRIVATE_KEY_PATH"] = str(tmp_path / "app.pem")

    assert problems(env) == ["GITHUB_PRIVATE_KEY and GITHUB_PRIVATE_KEY_PATH are both set; keep only one of them."]


@pytest.mark.parametrize(("text", "expected"), [
    ("not a key at all", "is not PEM text"),
    ("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n", "is a public key, not the App's private key"),
    ("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "cannot be loaded"),
])
def test_an_unusable_private_key_is_reported_precisely(env: dict[str, str], text: str, expected: str) -> None:
    env["GITHUB_PRIVATE_KEY"] = text

    [problem] = problems(env)

    assert problem.startswith("GITHUB_PRIVATE_KEY: ")
    assert expected in problem


def test_a_truncated_private_key_is_reported(env: dict[str, str], rsa_pem: str) -> None:
    lines = rsa_pem.strip().splitlines()
    env["GITHUB_PRIVATE_KEY"] = "\n".join(lines[:5] + lines[-1:])

    [problem] = problems(env)

    assert "cannot be loaded" in problem and "truncated" in problem


def test_an_encrypted_private_key_is_reported() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"pass")).decode()

    [problem] = problems({"GITHUB_APP_ID": "1", "GITHUB_WEBHOOK_SECRET": "s", "GITHUB_PRIVATE_KEY": pem})

    assert "encrypted with a passphrase" in problem


def test_a_non_rsa_private_key_is_reported(env: dict[str, str]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    env["GITHUB_PRIVATE_KEY"] = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()).decode()

    [problem] = problems(env)

    assert "GitHub Apps sign with RSA keys" in problem


def test_the_app_slug_gives_the_bot_login(env: dict[str, str]) -> None:
    env["GITHUB_APP_SLUG"] = "acme-devops"

    assert Settings.from_env(env).bot_login == "acme-devops[bot]"


def test_slack_is_enabled_with_both_of_its_settings(env: dict[str, str]) -> None:
    env.update(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="sig", SLACK_API_URL="http://127.0.0.1:9/api")

    settings = Settings.from_env(env)

    assert settings.slack_enabled
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


def test_secrets_stay_out_of_the_repr(env: dict[str, str]) -> None:
    env["REDIS_URL"] = "redis://:password@redis:6379/0"

    text = repr(Settings.from_env(env))

    assert "s3cret" not in text and "PRIVATE" not in text and "password" not in text


def test_the_schema_url_follows_the_public_url() -> None:
    from bot.settings import Settings

    assert Settings(public_url="https://bot.example.com").schema_url == "https://bot.example.com/schemas/devops.schema.json"
    assert Settings().schema_url is None
