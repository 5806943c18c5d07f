"""The one-click setup page: register the GitHub App from app.yml, save its credentials, say what comes next."""

from __future__ import annotations

import hmac
import json
import logging
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import redirect
from flask import request
from jinja2 import FileSystemLoader
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.app_registration import RegistrationError
from bot.app_registration import Registration
from bot.app_registration import STATE_TTL_SECONDS
from bot.app_registration import build_manifest
from bot.app_registration import convert_code
from bot.app_registration import load_app_yml
from bot.app_registration import registration_url
from bot.app_registration import save_env
from bot.app_registration import valid_org
from bot.templating import TEMPLATES_DIR

log = logging.getLogger(__name__)

blueprint = Blueprint("setup_page", __name__)
# Served by the normal app too: GitHub sends people to the setup URL after they install the App.
installed_blueprint = Blueprint("setup_installed", __name__)

STATE_COOKIE = "devops_bot_setup_state"
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


@lru_cache(maxsize=1)
def _html() -> ImmutableSandboxedEnvironment:
    """HTML pages need autoescaping, which the text-format environment in bot.templating must not have."""
    return ImmutableSandboxedEnvironment(loader=FileSystemLoader(TEMPLATES_DIR / "setup"), autoescape=True,
                                         undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_page(template: str, status: int = 200, **values: Any) -> Response:
    """An HTML page from templates/setup/, never cached, never leaking the URL (it may carry the code)."""
    body = _html().get_template(template).render(**values)
    return Response(body, status=status, mimetype="text/html", headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"})


def _registration() -> Registration:
    registration: Registration = current_app.config["BOT_SETUP"]
    return registration


def _base_url(registration: Registration) -> str:
    return registration.settings.public_url or request.host_url.rstrip("/")


@blueprint.get("/")
def home() -> Response:
    """Setup mode has nothing else to show."""
    return redirect("/setup", code=302)  # type: ignore[return-value]


@blueprint.get("/setup")
def setup() -> Response:
    """The form that sends app.yml, as a manifest, to GitHub's 'new GitHub App' page."""
    registration = _registration()
    if registration.done:
        credentials, saved = registration.done
        return render_page("done.html", credentials=credentials, saved=saved)
    org = request.args.get("org", "").strip() or registration.org
    if org and not valid_org(org):
        return render_page("problem.html", 400, reason="bad_org", detail=org)
    base = _base_url(registration)
    manifest = build_manifest(load_app_yml(), base)
    state = registration.states.issue()
    # GitHub sends the browser back to the public address; the state cookie must have been set there.
    elsewhere = _origin(base) != _origin(request.host_url)
    response = render_page(
        "setup.html", manifest=manifest, manifest_json=json.dumps(manifest, sort_keys=True),
        action=registration_url(registration.settings.github_url, org), state=state, org=org or "",
        base_url=base, local=_is_local(base), env_path=str(registration.env_path),
        open_at=f"{base}/setup" if elsewhere else "")
    # The cookie ties the state to this browser: a state fetched by someone else cannot complete the flow here.
    response.set_cookie(STATE_COOKIE, state, max_age=STATE_TTL_SECONDS, path="/setup", httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response


@blueprint.get("/setup/callback")
def callback() -> Response:
    """GitHub's redirect after the App was created: check the state, convert the code, save .env."""
    registration = _registration()
    if registration.done:
        credentials, saved = registration.done
        return render_page("done.html", credentials=credentials, saved=saved)
    state = request.args.get("state", "")
    code = request.args.get("code", "")
    if not state:
        return render_page("problem.html", 400, reason="no_state", detail="")
    cookie = request.cookies.get(STATE_COOKIE, "")
    if not (cookie and hmac.compare_digest(cookie, state) and registration.states.consume(state)):
        return render_page("problem.html", 400, reason="bad_state", detail="")
    if not code:
        return render_page("problem.html", 400, reason="no_code", detail="")
    try:
        credentials = convert_code(registration.settings.github_api_url, code)
    except RegistrationError as error:
        log.warning("setup: converting the manifest code failed: %s", error)
        return render_page("problem.html", error.status, reason=error.reason, detail=error.detail)
    saved = save_env(registration.env_path, credentials.to_env(),
                     note=f"GitHub App {credentials.name!r} ({credentials.html_url}), saved by devops-bot's setup page")
    registration.done = (credentials, saved)
    log.info("setup: registered GitHub App %s (id %s); credentials saved to %s", credentials.slug,
             credentials.app_id, saved.path)
    response = render_page("done.html", credentials=credentials, saved=saved)
    response.delete_cookie(STATE_COOKIE, path="/setup")
    return response


@installed_blueprint.get("/setup/installed")
def installed() -> Response:
    """Where GitHub sends people after they install the App: what to try first."""
    return render_page("installed.html", setup_action=request.args.get("setup_action", ""))


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _is_local(base_url: str) -> bool:
    return (urlsplit(base_url).hostname or "") in _LOCAL_HOSTS
