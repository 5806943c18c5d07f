"""Registering the apps: GitHub manifest, states, the .env writer, .env loading, `serve`'s setup mode, slack-app.yml."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dotenv import dotenv_values
from ruamel.yaml import YAML

from bot import cli
from bot.app_registration import RegistrationError
from bot.app_registration import StateStore
from bot.app_registration import build_manifest
from bot.app_registration import convert_code
from bot.app_registration import load_app_yml
from bot.app_registration import registration_url
from bot.app_registration import save_env
from bot.errors import SettingsError
from bot.settings import GITHUB_CREDENTIALS
from bot.settings import Settings
from bot.settings import github_unconfigured
from bot.settings import read_environment
from bot.settings import web_url_of


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


@pytest.fixture(autouse=True)
def no_bot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*GITHUB_CREDENTIALS, "GITHUB_APP_SLUG", "GITHUB_API_URL", "GITHUB_URL", "PUBLIC_URL", "REDIS_URL",
                 "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DEVOPS_BOT_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_the_manifest_keeps_app_yml_events_and_permissions_and_points_every_url_at_the_bot() -> None:
    app_yml = load_app_yml()

    manifest = build_manifest(app_yml, "https://bot.example.com/")

    assert manifest["default_events"] == app_yml["default_events"]
    assert manifest["default_permissions"] == app_yml["default_permissions"]
    assert manifest["url"] == "https://bot.example.com"
    assert manifest["hook_attributes"]["url"] == "https://bot.example.com/github/webhook"
    assert manifest["redirect_url"] == "https://bot.example.com/setup/callback"
    assert "callback_urls" not in manifest


def test_the_registration_form_is_on_githubs_web_host_for_a_person_or_an_organization() -> None:
    assert registration_url("https://github.com") == "https://github.com/settings/apps/new"
    assert registration_url("https://ghe.example.com/", "acme") == \
        "https://ghe.example.com/organizations/acme/settings/apps/new"


@pytest.mark.parametrize(("api", "web"), [
    ("https://api.github.com", "https://github.com"),
    ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
    ("https://api.acme.ghe.com", "https://acme.ghe.com"),
    ("http://127.0.0.1:4010", "http://127.0.0.1:4010"),
])
def test_githubs_web_address_follows_the_api_address(api: str, web: str) -> None:
    assert web_url_of(api) == web
    assert Settings.from_env({"GITHUB_API_URL": api}, require_github=False).github_url == web


def test_a_state_is_accepted_once_and_only_when_issued_here() -> None:
    store = StateStore()
    state = store.issue()

    assert not store.consume("made-up")
    assert store.consume(state)
    assert not store.consume(state)


def test_a_state_older_than_its_lifetime_is_refused() -> None:
    store = StateStore(ttl=0)

    assert not store.consume(store.issue())


def test_only_the_newest_states_are_kept_when_the_page_is_reloaded_many_times() -> None:
    store = StateStore(limit=3)
    states = [store.issue() for _ in range(5)]

    assert [store.consume(state) for state in states] == [False, False, True, True, True]


def test_a_code_that_github_could_not_have_issued_is_refused_before_any_request() -> None:
    with pytest.raises(RegistrationError) as caught:
        convert_code("http://127.0.0.1:9", "../../user")

    assert caught.value.reason == "bad_code"


def test_saved_settings_are_private_one_line_and_read_back_exactly(tmp_path: Path, pem: str) -> None:
    path = tmp_path / ".env"
    values = {"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY": pem, "GITHUB_WEBHOOK_SECRET": 'a"b\\c',
              "GITHUB_APP_SLUG": "devops-bot"}

    saved = save_env(path, values, note="test")

    assert saved.backup is None and saved.replaced == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert all(line.count("=") >= 1 or line.startswith("#") for line in path.read_text().splitlines())
    assert len(path.read_text().splitlines()) == 5
    assert dotenv_values(path) == values


def test_saving_over_an_existing_file_keeps_a_backup_and_the_other_settings(tmp_path: Path, pem: str) -> None:
    path = tmp_path / ".env"
    # A multi-line quoted value, as people paste a PEM by hand: all of its lines must go.
    old = f'# mine\nREDIS_URL=redis://h:6379/1\nexport GITHUB_PRIVATE_KEY="{pem.strip()}"\nSLACK_BOT_TOKEN=xoxb-1\n'
    path.write_text(old)

    saved = save_env(path, {"GITHUB_PRIVATE_KEY": pem, "GITHUB_APP_ID": "7"})

    assert saved.backup is not None and saved.backup.read_text() == old
    assert stat.S_IMODE(saved.backup.stat().st_mode) == 0o600
    assert saved.replaced == ["GITHUB_PRIVATE_KEY"]
    values = dotenv_values(path)
    assert values == {"REDIS_URL": "redis://h:6379/1", "SLACK_BOT_TOKEN": "xoxb-1", "GITHUB_PRIVATE_KEY": pem,
                      "GITHUB_APP_ID": "7"}


def test_settings_read_the_env_file_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             pem: str) -> None:
    path = tmp_path / ".env"
    save_env(path, {"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY": pem, "GITHUB_WEBHOOK_SECRET": "from-file"})
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "from-environment")
    monkeypatch.setenv("GITHUB_APP_ID", "  ")  # set but empty: the file's value still counts

    settings = Settings.from_env(dotenv_path=path)

    assert settings.github_app_id == "42"
    assert settings.github_webhook_secret == "from-environment"
    assert settings.github_private_key == pem


def test_a_missing_env_file_means_the_environment_alone(tmp_path: Path) -> None:
    assert "GITHUB_APP_ID" not in read_environment(tmp_path / "absent.env")


def test_the_env_file_location_can_come_from_devops_bot_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.env"
    path.write_text("GITHUB_APP_SLUG=from-named-file\n")
    monkeypatch.setenv("DEVOPS_BOT_ENV_FILE", str(path))

    assert read_environment()["GITHUB_APP_SLUG"] == "from-named-file"


def test_setup_mode_is_only_for_an_environment_with_no_github_credential_at_all() -> None:
    assert github_unconfigured({"REDIS_URL": "redis://x", "GITHUB_APP_ID": " "})
    assert not github_unconfigured({"GITHUB_PRIVATE_KEY_PATH": "/k.pem"})


def test_public_url_must_be_an_http_address() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"PUBLIC_URL": "bot.example.com"}, require_github=False)

    assert "PUBLIC_URL must be the bot's address" in str(caught.value)


def test_serve_without_any_github_credential_starts_the_setup_page(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[argparse.Namespace, Settings]] = []
    monkeypatch.setattr(cli, "_serve_setup", lambda args, settings: started.append((args, settings)) or 0)
    env_file = tmp_path / ".env"

    code = cli.main(["serve", "--env-file", str(env_file), "--public-url", "https://bot.example.com", "--org", "acme"])

    assert code == 0
    args, settings = started[0]
    assert args.env_file == env_file and args.org == "acme"
    assert settings.public_url == "https://bot.example.com"


@pytest.mark.parametrize("partial", [{"GITHUB_APP_ID": "12"}, {"GITHUB_WEBHOOK_SECRET": "s"}])
def test_serve_with_a_partial_github_configuration_refuses_to_start_with_fix_it_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        partial: dict[str, str]) -> None:
    monkeypatch.setattr(cli, "_serve_setup", lambda args, settings: pytest.fail("setup mode must not start"))
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in partial.items()))

    code = cli.main(["serve", "--env-file", str(env_file)])

    assert code == 2
    err = capsys.readouterr().err
    assert "The bot cannot start" in err
    assert "GITHUB_PRIVATE_KEY (the PEM text) or GITHUB_PRIVATE_KEY_PATH (a .pem file) is not set" in err


def test_serve_refuses_an_env_file_that_granians_workers_would_not_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pem: str) -> None:
    env_file = tmp_path / "elsewhere.env"
    save_env(env_file, {"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": pem, "GITHUB_WEBHOOK_SECRET": "s",
                        "REDIS_URL": "redis://127.0.0.1:6379/14"})

    assert cli.main(["serve", "--env-file", str(env_file)]) == 2
    assert "DEVOPS_BOT_ENV_FILE" in capsys.readouterr().err


SLACK_MANIFEST = Path(__file__).resolve().parents[2] / "slack-app.yml"


def test_the_slack_manifest_declares_both_commands_and_interactivity_on_slack_events() -> None:
    manifest = YAML(typ="safe").load(SLACK_MANIFEST.read_text(encoding="utf-8"))

    commands = {command["command"]: command for command in manifest["features"]["slash_commands"]}
    assert sorted(commands) == ["/deploy", "/devops"]
    for command in commands.values():
        assert command["url"] == "https://YOUR-HOST/slack/events"
        assert 0 < len(command["description"]) <= 2000 and 0 < len(command["usage_hint"]) <= 1000
        assert command["should_escape"] is False
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": "https://YOUR-HOST/slack/events"}
    assert len(manifest["display_information"]["name"]) <= 35
    assert len(manifest["display_information"]["description"]) <= 140
    assert manifest["features"]["bot_user"]["display_name"]


def test_the_slack_manifest_asks_for_the_least_scopes_and_says_why_for_each() -> None:
    text = SLACK_MANIFEST.read_text(encoding="utf-8")
    manifest = YAML(typ="safe").load(text)

    scopes = manifest["oauth_config"]["scopes"]
    assert scopes == {"bot": ["commands", "chat:write", "usergroups:read"]}  # no user token at all
    lines = text.splitlines()
    for scope in scopes["bot"]:
        at = lines.index(f"      - {scope}")
        assert lines[at - 1].strip().startswith("#"), f"{scope} has no comment saying why"
    settings = manifest["settings"]
    assert (settings["org_deploy_enabled"], settings["socket_mode_enabled"], settings["token_rotation_enabled"]) == \
        (False, False, False)
