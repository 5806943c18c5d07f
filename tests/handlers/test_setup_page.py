"""The setup page against the fake GitHub: manifest form, state check, code conversion, .env, restart."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from dotenv import dotenv_values
from flask.testing import FlaskClient

from bot.app_registration import load_app_yml
from bot.settings import GITHUB_CREDENTIALS
from bot.settings import Settings
from bot.web import create_app
from bot.web import create_setup_app
from handlers.setup_page import STATE_COOKIE

PUBLIC = "https://bot.example.com"


class Forms(HTMLParser):
    """Every form on a page: its action, method and input values (entities decoded, as a browser would)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "method": values.get("method", "get"), "inputs": {}})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"][values.get("name", "")] = values.get("value", "")


@pytest.fixture(autouse=True)
def no_github_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*GITHUB_CREDENTIALS, "GITHUB_APP_SLUG", "GITHUB_API_URL", "GITHUB_URL", "PUBLIC_URL",
                 "DEVOPS_BOT_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def env_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / ".env"


def setup_client(fake_github: Any, env_path: Path, *, api_url: str | None = None, org: str | None = None) -> FlaskClient:
    settings = Settings.from_env({"GITHUB_API_URL": api_url or fake_github.base_url, "GITHUB_URL": fake_github.base_url,
                                  "PUBLIC_URL": PUBLIC}, require_github=False)
    return create_setup_app(settings, env_path=env_path, org=org).test_client()


def registration_form(client: FlaskClient, query: str = "") -> dict[str, Any]:
    page = client.get("/setup" + query, base_url=PUBLIC)
    assert page.status_code == 200, page.text
    form = Forms(page.text).forms[0]
    assert form["method"] == "post"
    return form


def submit_on_github(form: dict[str, Any]) -> str:
    """What the person's browser does: post the manifest to GitHub, which redirects back with a code."""
    answer = requests.post(form["action"], data={"manifest": form["inputs"]["manifest"]}, allow_redirects=False,
                           timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_the_home_page_redirects_to_the_setup_page(fake_github: Any, env_path: Path) -> None:
    answer = setup_client(fake_github, env_path).get("/", base_url=PUBLIC)

    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/setup")


def test_the_setup_page_posts_app_yml_as_a_manifest_with_urls_on_the_public_address(fake_github: Any,
                                                                                   env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    form = registration_form(client)

    manifest = json.loads(form["inputs"]["manifest"])
    app_yml = load_app_yml()
    assert manifest["default_events"] == app_yml["default_events"]
    assert manifest["default_permissions"] == app_yml["default_permissions"]
    assert manifest["name"] == app_yml["name"] and manifest["public"] is False
    assert manifest["url"] == PUBLIC
    assert manifest["hook_attributes"] == {"url": f"{PUBLIC}/github/webhook", "active": True}
    assert manifest["redirect_url"] == f"{PUBLIC}/setup/callback"
    assert manifest["setup_url"] == f"{PUBLIC}/setup/installed"
    action = urlsplit(form["action"])
    assert f"{action.scheme}://{action.netloc}{action.path}" == f"{fake_github.base_url}/settings/apps/new"
    state = parse_qs(action.query)["state"][0]
    assert len(state) >= 32
    assert client.get_cookie(STATE_COOKIE, domain="bot.example.com", path="/setup").value == state


def test_each_visit_gets_a_new_state(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)

    first, second = (parse_qs(urlsplit(registration_form(client)["action"]).query)["state"][0] for _ in range(2))

    assert first != second


def test_an_organization_gets_githubs_organization_form(fake_github: Any, env_path: Path) -> None:
    form = registration_form(setup_client(fake_github, env_path), "?org=acme-corp")

    assert urlsplit(form["action"]).path == "/organizations/acme-corp/settings/apps/new"


def test_an_organization_name_that_cannot_exist_is_refused_and_shown_escaped(fake_github: Any, env_path: Path) -> None:
    answer = setup_client(fake_github, env_path).get("/setup?org=<script>alert(1)</script>", base_url=PUBLIC)

    assert answer.status_code == 400
    assert "<script>" not in answer.text and "&lt;script&gt;" in answer.text
    assert "is not a GitHub organization login" in answer.text


def test_the_whole_flow_saves_the_credentials_to_a_private_env_file(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    location = submit_on_github(registration_form(client))
    assert location.startswith(f"{PUBLIC}/setup/callback?")

    done = client.get(location, base_url=PUBLIC)

    assert done.status_code == 200, done.text
    assert "https://github.com/apps/devops-bot/installations/new" in done.text
    assert "devops-bot serve" in done.text and "again" in done.text
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600
    saved = dotenv_values(env_path)
    assert sorted(saved) == ["GITHUB_APP_ID", "GITHUB_APP_SLUG", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"]
    assert saved["GITHUB_APP_SLUG"] == "devops-bot" and saved["GITHUB_APP_ID"].isdigit()
    assert saved["GITHUB_PRIVATE_KEY"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert len(env_path.read_text().strip().splitlines()) == 5  # a comment and four one-line settings
    conversions = [call for call in fake_github.calls if call.path.startswith("/app-manifests/")]
    assert [(call.method, call.status) for call in conversions] == [("POST", 201)]


def test_after_the_flow_the_saved_env_file_starts_the_normal_app(fake_github: Any, env_path: Path,
                                                                 redis_conn: Any) -> None:
    client = setup_client(fake_github, env_path)
    client.get(submit_on_github(registration_form(client)), base_url=PUBLIC)

    settings = Settings.from_env(dotenv_path=env_path)

    assert settings.github_app_id == dotenv_values(env_path)["GITHUB_APP_ID"]
    assert settings.github_private_key.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert settings.bot_login == "devops-bot[bot]"
    app = create_app(settings, redis=redis_conn).test_client()
    assert app.get("/healthz").status_code == 200
    assert app.get("/setup/installed?setup_action=install").status_code == 200
    assert app.get("/setup").status_code == 404  # a registered bot never offers to register again


def test_once_registered_the_setup_page_shows_the_next_steps_instead_of_a_new_form(fake_github: Any,
                                                                                   env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    client.get(submit_on_github(registration_form(client)), base_url=PUBLIC)

    again = client.get("/setup", base_url=PUBLIC)

    assert "installations/new" in again.text and Forms(again.text).forms == []


def test_an_existing_env_file_is_backed_up_and_its_other_settings_kept(fake_github: Any, env_path: Path) -> None:
    env_path.parent.mkdir(parents=True)
    env_path.write_text('REDIS_URL=redis://127.0.0.1:6379/3\nGITHUB_APP_SLUG="old-slug"\n')
    client = setup_client(fake_github, env_path)

    done = client.get(submit_on_github(registration_form(client)), base_url=PUBLIC)

    backups = list(env_path.parent.glob(".env.bak-*"))
    assert len(backups) == 1
    assert backups[0].read_text() == 'REDIS_URL=redis://127.0.0.1:6379/3\nGITHUB_APP_SLUG="old-slug"\n'
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert backups[0].name in done.text and "GITHUB_APP_SLUG" in done.text
    saved = dotenv_values(env_path)
    assert saved["REDIS_URL"] == "redis://127.0.0.1:6379/3" and saved["GITHUB_APP_SLUG"] == "devops-bot"


def test_a_return_without_state_is_refused_with_a_clear_page(fake_github: Any, env_path: Path) -> None:
    answer = setup_client(fake_github, env_path).get("/setup/callback?code=abc123", base_url=PUBLIC)

    assert answer.status_code == 400
    assert "missing its <code>state</code>" in answer.text
    assert not env_path.exists()
    assert fake_github.calls == []


def test_a_return_with_a_state_this_browser_was_not_given_is_refused(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    location = submit_on_github(registration_form(client))
    forged = location.replace("state=", "state=x")

    answer = client.get(forged, base_url=PUBLIC)

    assert answer.status_code == 400
    assert "does not match" in answer.text
    assert not env_path.exists()
    assert not [call for call in fake_github.calls if call.path.startswith("/app-manifests/")]


def test_a_state_fetched_by_another_browser_cannot_complete_the_flow(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    location = submit_on_github(registration_form(client))
    victim = client.application.test_client()  # same server, no cookie

    assert victim.get(location, base_url=PUBLIC).status_code == 400
    assert not env_path.exists()


def test_a_state_works_only_once(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    form = registration_form(client)
    fake_github.fail("POST", r"^/app-manifests/", 404)
    location = submit_on_github(form)
    assert client.get(location, base_url=PUBLIC).status_code == 400  # conversion failed, state spent

    again = client.get(location, base_url=PUBLIC)

    assert again.status_code == 400 and "does not match" in again.text


def test_an_expired_or_used_code_shows_what_to_do(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    location = submit_on_github(registration_form(client))
    fake_github.manifest_codes.clear()  # GitHub forgets a code after an hour

    answer = client.get(location, base_url=PUBLIC)

    assert answer.status_code == 400
    assert "codes work once and only for an hour" in answer.text
    assert "404 Not Found" in answer.text
    assert not env_path.exists()


def test_a_conversion_github_refuses_shows_a_clear_message(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)
    location = submit_on_github(registration_form(client))
    fake_github.fail("POST", r"^/app-manifests/", 422)

    answer = client.get(location, base_url=PUBLIC)

    assert answer.status_code == 400
    assert "GitHub refused to convert the registration code" in answer.text
    assert not env_path.exists()


def test_an_unreachable_github_is_a_502_with_a_clear_message(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path, api_url="http://127.0.0.1:9")
    location = submit_on_github(registration_form(client))

    answer = client.get(location, base_url=PUBLIC)

    assert answer.status_code == 502
    assert "could not reach GitHub" in answer.text
    assert not env_path.exists()


def test_setup_pages_are_never_cached(fake_github: Any, env_path: Path) -> None:
    answer = setup_client(fake_github, env_path).get("/setup", base_url=PUBLIC)

    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_a_page_opened_away_from_the_public_address_says_where_to_start(fake_github: Any, env_path: Path) -> None:
    client = setup_client(fake_github, env_path)

    elsewhere = client.get("/setup", base_url="http://127.0.0.1:8000")
    here = client.get("/setup", base_url=PUBLIC)

    assert f'<a href="{PUBLIC}/setup">' in elsewhere.text
    assert f'<a href="{PUBLIC}/setup">' not in here.text


def test_without_a_public_address_the_page_uses_its_own_and_warns_that_github_cannot_reach_it(
        fake_github: Any, env_path: Path) -> None:
    settings = Settings.from_env({"GITHUB_API_URL": fake_github.base_url}, require_github=False)
    client = create_setup_app(settings, env_path=env_path).test_client()

    page = client.get("/setup", base_url="http://127.0.0.1:8000")

    manifest = json.loads(Forms(page.text).forms[0]["inputs"]["manifest"])
    assert manifest["hook_attributes"]["url"] == "http://127.0.0.1:8000/github/webhook"
    assert "GitHub cannot deliver webhooks to" in page.text and "--public-url" in page.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """`devops-bot serve` as people run it, once /healthz answers."""
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except requests.ConnectionError:
            if process.poll() is not None:
                pytest.fail(f"serve exited: {process.communicate()[0]}")
            time.sleep(0.1)
    process.kill()
    pytest.fail("serve did not answer /healthz")


@pytest.mark.integration
def test_serve_registers_the_app_in_setup_mode_and_starts_normally_after_a_restart(fake_github: Any,
                                                                                   tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GITHUB_", "SLACK_", "REDIS_URL", "PUBLIC_URL", "DEVOPS_BOT_"))}
    env.update(GITHUB_API_URL=fake_github.base_url, GITHUB_URL=fake_github.base_url,
               PYTHONPATH=f"{root}{os.pathsep}{env.get('PYTHONPATH', '')}")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _serve(tmp_path, env, port)
    try:
        assert requests.get(f"{base}/healthz", timeout=5).json()["status"] == "setup"
        browser = requests.Session()
        page = browser.get(f"{base}/", timeout=5)
        assert page.url == f"{base}/setup"
        location = submit_on_github(Forms(page.text).forms[0])
        done = browser.get(location, timeout=15)
        assert done.status_code == 200 and "installations/new" in done.text
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600

    process = _serve(tmp_path, env, port)
    try:
        assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok", "queue": "up"}
        assert requests.get(f"{base}/setup", timeout=5).status_code == 404
    finally:
        process.terminate()
        process.communicate(timeout=10)
