"""Shared test fixtures: the real Redis the tests use, fixture payloads, golden-file updates."""

from __future__ import annotations

import atexit
import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A byte-for-byte copy of ../shared/fixtures (real, MIT-licensed payloads; provenance in its README),
# kept in the repository so that a clean clone anywhere has them.
FIXTURES = ROOT / "tests" / "fixtures" / "shared"
REPOS = ROOT / "tests" / "fixtures" / "repos"
# TEST_REDIS_URL names a server to use; without it each pytest process (each pytest-xdist worker too) starts
# its own redis-server on first use, so two suite runs or two workers never flush each other's databases.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
_run_redis: list[Any] = []  # the run's own server: [context manager, base URL, owner pid]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


def pytest_configure(config: pytest.Config) -> None:
    # Tests use fixed database numbers and global RQ queue names: workers sharing one server would collide.
    if TEST_REDIS_URL and (getattr(config.option, "numprocesses", None) or 0) > 1:
        raise pytest.UsageError("TEST_REDIS_URL is one server for every pytest-xdist worker: run it with -n 0")


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_run_redis()


def _stop_run_redis() -> None:
    """Stop the run's redis-server, only in the process that started it and only once."""
    # A forked child (an RQ work horse, a multiprocessing worker) inherits the atexit hook too.
    if _run_redis and _run_redis[2] == os.getpid():
        server = _run_redis[0]
        _run_redis.clear()
        server.__exit__(None, None, None)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files should be rewritten instead of compared."""
    return bool(request.config.getoption("--update-golden"))


def redis_url_for(db: int) -> str:
    """URL of a numbered database on the test Redis server."""
    if TEST_REDIS_URL:
        return f"{TEST_REDIS_URL.rstrip('/')}/{db}"
    if not _run_redis:
        from tests.fakes.private_redis import private_redis_url

        server = private_redis_url()
        _run_redis.extend([server, server.__enter__().rsplit("/", 1)[0], os.getpid()])
        atexit.register(_stop_run_redis)  # redis_url_for used outside a pytest session
    return f"{_run_redis[1]}/{db}"


@pytest.fixture
def redis_conn() -> Any:
    """A real Redis connection on database 15, flushed before and after the test."""
    import redis

    conn = redis.Redis.from_url(redis_url_for(15))
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def github_payload(event: str, name: str) -> dict[str, Any]:
    """A real GitHub webhook payload from the shared fixtures."""
    return json.loads((FIXTURES / "github" / event / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake_github() -> Any:
    """A fake GitHub REST API on 127.0.0.1 (tests/fakes/github_server.py), stopped after the test."""
    from tests.fakes.github_server import ServerThread

    with ServerThread() as state:
        yield state


@pytest.fixture(scope="module")
def redis_url() -> Any:
    """A private redis-server for a test module whose queues must not meet another suite run's."""
    from tests.fakes.private_redis import private_redis_url

    with private_redis_url() as url:
        yield url


@pytest.fixture
def redis(redis_url: str) -> Any:
    """A flushed connection to the module's private redis-server."""
    import redis as redis_lib

    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.close()
