"""A tiny HTTP service to try devops-bot on: a health check and a greeting."""

from __future__ import annotations

import os

from flask import Flask
from flask import jsonify
from flask import request


def create_app() -> Flask:
    """Build the Flask application."""
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/hello")
    def hello():
        name = request.args.get("name", "world")
        return jsonify(message=f"hello, {name}")

    return app


app = create_app()

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
