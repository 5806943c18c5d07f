"""Settings from the environment: the only module that reads it."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from dotenv import dotenv_values

from bot.errors import SettingsError

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub.
DEFAULT_MAX_WEBHOOK_BYTES = 25 * 1024 * 1024
# The setup page saves the App's credentials here; environment variables still win over it.
DEFAULT_DOTENV_PATH = ".env"
# None of these set means the App is not registered yet, so `serve` offers the setup page.
GITHUB_CREDENTIALS = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH", "GITHUB_WEBHOOK_SECRET")

_APP_PAGE = "your GitHub App's settings page (GitHub → Settings → Developer settings → GitHub Apps → your App)"


# The web app serves the shipped `.devops.yml` schema here, so generated files can point editors at it.
SCHEMA_PATH = "/schemas/devops.schema.json"

@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with; build it with `Settings.from_env()`."""

    github_app_id: str = ""
    github_private_key: str = ""  # PEM text
    github_webhook_secret: str = ""
    github_api_url: str = DEFAULT_GITHUB_API_URL
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    redis_url: str | None = None  # None: the embedded in-process queue
    max_body_bytes: int = DEFAULT_MAX_WEBHOOK_BYTES
    bot_login: str | None = None  # "<app slug>[bot]", so the bot ignores its own comments
    prometheus_multiproc_dir: str | None = None
    public_url: str | None = None  # where GitHub and browsers reach the bot, e.g. https://bot.example.com
    github_url: str = "https://github.com"  # GitHub's web pages (the App registration form lives there)
    deploy_apps_file: str | None = None  # DEVOPS_BOT_APPS_FILE: apps `/deploy` knows (bot/deploy_apps.py)

    def __repr__(self) -> str:
        # Secrets must never reach a log line through a repr.
        return (f"Settings(github_app_id={self.github_app_id!r}, github_api_url={self.github_api_url!r}, "
                f"redis_url={'set' if self.redis_url else None}, slack={'on' if self.slack_enabled else 'off'})")

    @property
    def schema_url(self) -> str | None:
        """Where the bot serves the `.devops.yml` JSON Schema, once its public address is known."""
        return f"{self.public_url}{SCHEMA_PATH}" if self.public_url else None

    @property
    def slack_enabled(self) -> bool:
        """Whether the Slack side is configured."""
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, require_github: bool = True,
                 dotenv_path: str | Path | None = None) -> Settings:
        """Read and check every setting (the environment over `dotenv_path`); SettingsError lists every problem."""
        if environ is None:
            environ = read_environment(dotenv_path)
        env = {key: value.strip() for key, value in environ.items() if value.strip()}
        problems: list[str] = []

        app_id = env.get("GITHUB_APP_ID", "")
        if not app_id and require_github:
            problems.append(f"GITHUB_APP_ID is not set; copy the App ID from {_APP_PAGE} (General → About).")
        elif app_id and not app_id.isdigit():
            problems.append(f"GITHUB_APP_ID must be the numeric App ID (got {app_id!r}); "
                            f"copy it from {_APP_PAGE} (General → About).")

        private_key = _private_key(env, problems, required=require_github)

        secret = env.get("GITHUB_WEBHOOK_SECRET", "")
        if not secret and require_github:
            problems.append(f"GITHUB_WEBHOOK_SECRET is not set; copy it from {_APP_PAGE} (General → Webhook secret).")

        github_api_url = _url(env, "GITHUB_API_URL", DEFAULT_GITHUB_API_URL, problems)
        slack_api_url = _url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL, problems)

        slack_token = env.get("SLACK_BOT_TOKEN")
        slack_secret = env.get("SLACK_SIGNING_SECRET")
        if slack_token and not slack_secret:
            problems.append("SLACK_SIGNING_SECRET is not set but SLACK_BOT_TOKEN is; copy it from your Slack app's "
                            "Basic Information page (App Credentials → Signing Secret).")
        if slack_secret and not slack_token:
            problems.append("SLACK_BOT_TOKEN is not set but SLACK_SIGNING_SECRET is; copy the Bot User OAuth Token "
                            "(xoxb-…) from your Slack app's OAuth & Permissions page.")

        redis_url = env.get("REDIS_URL")
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append(f"REDIS_URL must start with redis://, rediss:// or unix:// (got {redis_url!r}); "
                            "unset it to use the embedded queue.")

        max_body = _max_body(env, problems)
        public_url = env.get("PUBLIC_URL", "").rstrip("/")
        if public_url and not public_url.startswith(("http://", "https://")):
            problems.append(f"PUBLIC_URL must be the bot's address as GitHub reaches it, starting with https:// "
                            f"(got {public_url!r}), for example https://devops-bot.example.com.")
        # Derived from GITHUB_API_URL unless set, so an Enterprise server needs one setting, not two.
        github_url = web_url_of(github_api_url)
        if "GITHUB_URL" in env:
            github_url = _url(env, "GITHUB_URL", github_url, problems).rstrip("/")

        if problems:
            raise SettingsError(problems)
        slug = env.get("GITHUB_APP_SLUG")
        return cls(
            github_app_id=app_id,
            github_private_key=private_key,
            github_webhook_secret=secret,
            github_api_url=github_api_url.rstrip("/"),
            slack_bot_token=slack_token,
            slack_signing_secret=slack_secret,
            slack_api_url=slack_api_url if slack_api_url.endswith("/") else slack_api_url + "/",
            redis_url=redis_url,
            max_body_bytes=max_body,
            bot_login=f"{slug}[bot]" if slug else None,
            prometheus_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR"),
            public_url=public_url or None,
            github_url=github_url,
            deploy_apps_file=env.get("DEVOPS_BOT_APPS_FILE"),
        )


def dotenv_location(dotenv_path: str | Path | None = None) -> Path:
    """The settings file: `dotenv_path`, else DEVOPS_BOT_ENV_FILE (so every process finds it), else ./.env."""
    return Path(dotenv_path or os.environ.get("DEVOPS_BOT_ENV_FILE") or DEFAULT_DOTENV_PATH)


def read_environment(dotenv_path: str | Path | None = None) -> dict[str, str]:
    """The process environment laid over the `.env` file (see dotenv_location; absent file: environment only)."""
    path = dotenv_location(dotenv_path)
    values = dotenv_values(path) if path.is_file() else {}
    # A variable set but empty (docker compose's `KEY=`) must not hide the file's value.
    environment = {key: value for key, value in os.environ.items() if value.strip()}
    return {**{key: value for key, value in values.items() if value is not None}, **environment}


def github_unconfigured(environ: Mapping[str, str]) -> bool:
    """True when no GitHub App credential is set at all: the App still has to be registered."""
    return not any(environ.get(name, "").strip() for name in GITHUB_CREDENTIALS)


def web_url_of(api_url: str) -> str:
    """GitHub's web address for an API address: api.github.com → github.com, HOST/api/v3 → HOST."""
    scheme, _, rest = api_url.rstrip("/").partition("://")
    host, _, path = rest.partition("/")
    if host.startswith("api."):
        return f"{scheme}://{host.removeprefix('api.')}"
    if path == "api/v3":
        return f"{scheme}://{host}"
    return api_url.rstrip("/")


def _private_key(env: Mapping[str, str], problems: list[str], *, required: bool) -> str:
    """The App's private key as PEM text, from GITHUB_PRIVATE_KEY or the file at GITHUB_PRIVATE_KEY_PATH."""
    text = env.get("GITHUB_PRIVATE_KEY")
    path = env.get("GITHUB_PRIVATE_KEY_PATH")
    if text and path:
        problems.append("GITHUB_PRIVATE_KEY and GITHUB_PRIVATE_KEY_PATH are both set; keep only one of them.")
        return ""
    if path:
        source = f"GITHUB_PRIVATE_KEY_PATH ({path})"
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(f"{source}: there is no such file; point it at the .pem file you downloaded "
                            f"from {_APP_PAGE} (General → Private keys).")
            return ""
        except IsADirectoryError:
            problems.append(f"{source}: is a directory; point it at the .pem file itself.")
            return ""
        except PermissionError:
            problems.append(f"{source}: the bot's user may not read this file; allow it (for example chmod 600 "
                            "and chown to the bot's user).")
            return ""
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{source}: cannot be read as a text .pem file ({error}).")
            return ""
    elif text:
        source = "GITHUB_PRIVATE_KEY"
        # One-line environments (.env files, some PaaS dashboards) carry the PEM with literal \n.
        if "\n" not in text and "\\n" in text:
            text = text.replace("\\n", "\n")
    else:
        if required:
            problems.append("GITHUB_PRIVATE_KEY (the PEM text) or GITHUB_PRIVATE_KEY_PATH (a .pem file) is not set; "
                            f"generate a private key in {_APP_PAGE} (General → Private keys).")
        return ""
    problem = check_private_key(text)
    if problem:
        problems.append(f"{source}: {problem}")
        return ""
    return text.strip() + "\n"


@functools.lru_cache(maxsize=8)  # loading an RSA key validates it (~0.1 s); every job builds Settings
def check_private_key(text: str) -> str | None:
    """Why `text` is not a usable RS256 private key, or None when it is."""
    if "-----BEGIN" not in text:
        return ("is not PEM text (no '-----BEGIN … PRIVATE KEY-----' line); use the whole .pem file GitHub "
                "gave you, including the BEGIN and END lines.")
    if "PRIVATE KEY-----" not in text:
        kind = "a public key" if "PUBLIC KEY" in text else "a certificate" if "CERTIFICATE" in text else "not a key"
        return f"is {kind}, not the App's private key; use the .pem file from 'Generate a private key'."
    try:
        key = load_pem_private_key(text.strip().encode(), password=None)
    except TypeError:
        return "is encrypted with a passphrase; GitHub's keys are not, so use the .pem file as downloaded."
    except ValueError as error:
        return f"looks like PEM but cannot be loaded ({error}); the file is probably truncated or was edited."
    if not isinstance(key, RSAPrivateKey):
        return f"is a {type(key).__name__.removeprefix('_')} key; GitHub Apps sign with RSA keys (RS256)."
    return None


def _url(env: Mapping[str, str], name: str, default: str, problems: list[str]) -> str:
    value = env.get(name, default)
    if not value.startswith(("http://", "https://")):
        problems.append(f"{name} must be an http:// or https:// URL (got {value!r}); unset it to use {default}.")
    return value


def _max_body(env: Mapping[str, str], problems: list[str]) -> int:
    raw = env.get("MAX_WEBHOOK_BYTES")
    if raw is None:
        return DEFAULT_MAX_WEBHOOK_BYTES
    if not raw.isdigit() or int(raw) <= 0:
        problems.append(f"MAX_WEBHOOK_BYTES must be a positive number of bytes (got {raw!r}); "
                        f"unset it for GitHub's limit of {DEFAULT_MAX_WEBHOOK_BYTES} bytes (25 MiB).")
        return DEFAULT_MAX_WEBHOOK_BYTES
    return int(raw)
