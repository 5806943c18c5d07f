"""The web app: GitHub webhooks, health and metrics. Served by granian (`--factory bot.web:create_app`)."""

from __future__ import annotations

import logging
from pathlib import Path

from redis import Redis
from flask import Flask
from flask import Response

from bot import metrics
from bot.queue import connect
from bot.queue import get_queue
from bot.settings import SCHEMA_PATH
from bot.settings import Settings
from handlers.github_webhook import blueprint as github_webhook
from handlers import bot_prs  # noqa: F401  registers push and pull_request.closed on the router
from handlers import installation  # noqa: F401  registers the installation events on the router
from handlers.setup_page import blueprint as setup_page
from handlers.setup_page import installed_blueprint as setup_installed

log = logging.getLogger(__name__)

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "devops.schema.json"


def create_app(settings: Settings | None = None, *, redis: Redis | None = None) -> Flask:
    """Build the Flask app; with no arguments, settings come from the environment."""
    settings = settings or Settings.from_env()
    conn = redis if redis is not None else connect(settings)
    app = Flask("devops_bot")
    # Werkzeug answers 413 before reading more than this, Content-Length or chunked.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["BOT_SETTINGS"] = settings
    app.config["BOT_REDIS"] = conn
    app.config["BOT_QUEUE"] = get_queue(conn)
    app.register_blueprint(github_webhook)
    app.register_blueprint(setup_installed)
    if settings.slack_enabled:  # /slack/events exists only when the Slack app is configured
        from handlers.slack import blueprint_for as slack_blueprint

        app.register_blueprint(slack_blueprint(settings, app.config["BOT_QUEUE"], conn))

    @app.get("/healthz")
    def healthz() -> Response:
        """200 when the queue's Redis answers, 503 when it does not."""
        try:
            conn.ping()
        except Exception as error:  # any failure to reach Redis means jobs cannot be queued
            log.warning("health check: Redis does not answer: %s", error)
            return app.response_class('{"status": "unavailable", "queue": "down"}\n', status=503,
                                      mimetype="application/json")
        return app.response_class('{"status": "ok", "queue": "up"}\n', mimetype="application/json")

    @app.get(SCHEMA_PATH)
    def devops_schema() -> Response:
        """The `.devops.yml` JSON Schema that generated files point editors at."""
        return Response(SCHEMA_FILE.read_bytes(), mimetype="application/schema+json")

    @app.get("/metrics")
    def prometheus() -> Response:
        """Prometheus text format, summed over processes in multiprocess mode."""
        body, content_type = metrics.render(settings.prometheus_multiproc_dir)
        return Response(body, content_type=content_type)

    return app


def create_setup_app(settings: Settings, *, env_path: Path, org: str | None = None) -> Flask:
    """Setup mode (no GitHub credentials yet): the page that registers the App and saves them to `env_path`."""
    from bot.app_registration import Registration

    app = Flask("devops_bot_setup")
    app.config["BOT_SETTINGS"] = settings
    app.config["BOT_SETUP"] = Registration(settings=settings, env_path=env_path, org=org)
    app.register_blueprint(setup_page)
    app.register_blueprint(setup_installed)

    @app.get("/healthz")
    def healthz() -> Response:
        """Up, but not answering webhooks until the App is registered and the bot restarted."""
        return app.response_class('{"status": "setup", "queue": "none"}\n', mimetype="application/json")

    return app
