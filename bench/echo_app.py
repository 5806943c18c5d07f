"""Baseline for bench/webhook.py: the same server stack answering 200 after reading the body."""

from flask import Flask
from flask import request

app = Flask(__name__)


@app.post("/github/webhook")
def echo() -> tuple[str, int]:
    """Read the body and acknowledge, nothing else."""
    request.get_data()
    return "", 200
