"""Registering the GitHub App through GitHub's App Manifest flow, and saving what it returns to `.env`.

The flow (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
the person's browser POSTs `manifest` (JSON) to `{github}/settings/apps/new?state=…`, GitHub redirects
to the manifest's `redirect_url` with `?code=…&state=…`, and the bot trades the code, within an hour and
once only, at `POST {api}/app-manifests/{code}/conversions` for the App's id, private key and webhook secret.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import shutil
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.settings import Settings
from bot.settings import check_private_key

APP_YML = Path(__file__).resolve().parent.parent / "app.yml"
# GitHub gives the person one hour to finish the three steps of the flow.
STATE_TTL_SECONDS = 3600
# Setup mode is open to anyone who can reach it; a cap keeps reloads from growing memory for an hour.
MAX_OPEN_STATES = 1000
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=(?P<rest>.*)$", re.DOTALL)
SAVED_KEYS = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_APP_SLUG")


class RegistrationError(Exception):
    """The code conversion failed; `reason` picks the sentence the setup page shows."""

    def __init__(self, reason: str, detail: str = "", *, status: int = 400) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # expired | invalid | unreachable | bad_response | bad_code
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class AppCredentials:
    """What GitHub returns for a converted manifest code (the client secret is deliberately not kept)."""

    app_id: str
    slug: str
    name: str
    pem: str
    webhook_secret: str
    html_url: str

    def to_env(self) -> dict[str, str]:
        """The settings the bot needs, keyed by their environment variable names."""
        return {"GITHUB_APP_ID": self.app_id, "GITHUB_PRIVATE_KEY": self.pem,
                "GITHUB_WEBHOOK_SECRET": self.webhook_secret, "GITHUB_APP_SLUG": self.slug}

    @property
    def install_url(self) -> str:
        """Where the owner picks the repositories the App may use."""
        return f"{self.html_url.rstrip('/')}/installations/new"


@dataclass(frozen=True)
class SavedEnv:
    """Where the credentials went, and what an earlier file held."""

    path: Path
    backup: Path | None
    replaced: list[str]


def load_app_yml(path: Path = APP_YML) -> dict[str, Any]:
    """app.yml as plain data."""
    return dict(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def build_manifest(app: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The manifest GitHub expects: app.yml with every URL pointing at `base_url`."""
    base = base_url.rstrip("/")
    manifest = {key: app[key] for key in ("name", "description", "public", "default_events",
                                          "default_permissions") if key in app}
    manifest["url"] = base
    manifest["hook_attributes"] = {**app.get("hook_attributes", {}), "url": f"{base}/github/webhook", "active": True}
    manifest["redirect_url"] = f"{base}/setup/callback"
    # After installing, GitHub sends the person here; the bot shows what to do next.
    manifest["setup_url"] = f"{base}/setup/installed"
    # No callback_urls: they serve user sign-in (OAuth), which the bot never asks for.
    return manifest


def registration_url(github_url: str, org: str | None = None) -> str:
    """GitHub's form that receives the manifest, for a personal account or an organization."""
    base = github_url.rstrip("/")
    return f"{base}/organizations/{org}/settings/apps/new" if org else f"{base}/settings/apps/new"


def valid_org(name: str) -> bool:
    """Whether `name` can be a GitHub organization login."""
    return bool(_ORG.match(name))


@dataclass
class StateStore:
    """One-time `state` values for the flow, kept in this process (setup mode runs one process)."""

    ttl: float = STATE_TTL_SECONDS
    limit: int = MAX_OPEN_STATES
    _issued: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        """A new random state, valid for `ttl` seconds."""
        state = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            live = [(key, at) for key, at in self._issued.items() if now - at < self.ttl]
            self._issued = dict(live[-(self.limit - 1):] if self.limit > 1 else [])  # oldest go first
            self._issued[state] = now
        return state

    def consume(self, state: str) -> bool:
        """True once for a state this store issued and that has not expired."""
        with self._lock:
            issued = self._issued.pop(state, None)
        return issued is not None and time.monotonic() - issued < self.ttl


@dataclass
class Registration:
    """The setup mode's state: settings, where to save, the org (if any), issued states, the outcome."""

    settings: Settings
    env_path: Path
    org: str | None = None
    states: StateStore = field(default_factory=StateStore)
    done: tuple[AppCredentials, SavedEnv] | None = None


def convert_code(api_url: str, code: str, *, timeout: float = 15.0) -> AppCredentials:
    """Trade the temporary code for the App's credentials (the call takes no authentication)."""
    if not _CODE.match(code):
        raise RegistrationError("bad_code")
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}/app-manifests/{code}/conversions", data=b"", method="POST",
        headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                 "User-Agent": "devops-bot"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        detail = f"{error.code} {_github_message(error)}".strip()
        if error.code == 404:
            raise RegistrationError("expired", detail) from error
        if error.code == 422:
            raise RegistrationError("invalid", detail) from error
        raise RegistrationError("unreachable", detail, status=502) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise RegistrationError("unreachable", str(getattr(error, "reason", error)), status=502) from error
    except ValueError as error:
        raise RegistrationError("bad_response", "the answer is not JSON", status=502) from error
    return _credentials(body)


def _github_message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read().decode("utf-8")).get("message", error.reason))
    except (ValueError, AttributeError, OSError):
        return str(error.reason)


def _credentials(body: Any) -> AppCredentials:
    if not isinstance(body, dict) or not all(body.get(key) for key in ("id", "slug", "pem", "html_url")):
        raise RegistrationError("bad_response", "id, slug, pem or html_url is missing", status=502)
    problem = check_private_key(str(body["pem"]))
    if problem:
        raise RegistrationError("bad_response", f"the private key {problem}", status=502)
    return AppCredentials(app_id=str(body["id"]), slug=str(body["slug"]), name=str(body.get("name") or body["slug"]),
                          pem=str(body["pem"]).strip() + "\n", webhook_secret=str(body.get("webhook_secret") or ""),
                          html_url=str(body["html_url"]))


def save_env(path: Path, values: dict[str, str], *, note: str = "") -> SavedEnv:
    """Write `values` into the .env file at `path` (mode 0600), backing up any earlier file first."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    backup = _backup(path) if path.is_file() else None
    kept, replaced = _without_keys(old, set(values))
    lines = [f"# {note}\n"] if note else []
    lines += [f"{key}={_quote(value)}\n" for key, value in values.items()]
    text = kept + ("\n" if kept and not kept.endswith("\n") else "") + "".join(lines)
    _write_private(path, text)
    return SavedEnv(path=path, backup=backup, replaced=sorted(replaced))


def _quote(value: str) -> str:
    """A double-quoted one-line .env value: python-dotenv turns \\n back into newlines."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def _without_keys(text: str, keys: set[str]) -> tuple[str, set[str]]:
    """`text` without the assignments of `keys` (multi-line quoted values included), and which were found."""
    kept: list[str] = []
    found: set[str] = set()
    open_quote = ""
    for line in text.splitlines(keepends=True):
        if open_quote:
            if _closes(line, open_quote):
                open_quote = ""
            continue
        match = _ASSIGNMENT.match(line)
        if match and match.group("key") in keys:
            found.add(match.group("key"))
            rest = match.group("rest").strip()
            if rest[:1] in ("'", '"') and not _closes(rest[1:], rest[0]):
                open_quote = rest[0]
            continue
        kept.append(line)
    return "".join(kept), found


def _closes(text: str, quote: str) -> bool:
    return re.search(r"(?<!\\)" + re.escape(quote), text) is not None


def _backup(path: Path) -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 1
    while backup.exists():
        counter += 1
        backup = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
    _write_private(backup, "")
    shutil.copyfile(path, backup)
    return backup


def _write_private(path: Path, text: str) -> None:
    """Write atomically with mode 0600 from the first byte: the file holds the App's private key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
