"""A fake GitHub REST API on 127.0.0.1: only the endpoints the bot uses, in GitHub's shapes.

Response bodies start from the examples in GitHub's own OpenAPI description
(tests/fixtures/shared/github/openapi, a copy of ../shared/fixtures) with ids, urls and contents filled in from an in-memory
repository. Every request is recorded in order; `fail()` makes the next calls of an endpoint
answer with an error status; `hold()` keeps the next matching call waiting until the test releases it.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask
from flask import Response
from flask import request
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from tests.fakes.fake_repo import FakeRepo
from tests.fakes.git_objects import read_directory
from tests.fakes.github_manifest_routes import UNAUTHENTICATED

SHARED_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shared"
OPENAPI = SHARED_FIXTURES / "github" / "openapi" / "api.github.com.json.gz"
APP_JWT_PATH = re.compile(r"^/repos/[^/]+/[^/]+/installation$")  # asked with the App JWT, not a token
RATE_LIMIT_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    at: float = 0.0  # the fake's clock when the call arrived (tests may simulate time)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Failure:
    """Answer the next `times` matching calls with `status`."""

    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: int | None


@dataclass
class Hold:
    """Keep the next matching call waiting (it is then served as usual) until `release` is set."""

    method: str
    pattern: re.Pattern[str]
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class FakeGitHub:
    """The fake server's state: repositories, issued tokens, recorded calls, planned failures."""

    base_url: str = ""
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    strict_tokens: bool = False  # True: only tokens from POST .../access_tokens are accepted
    app_id: str | None = None  # with app_public_key: the App JWT must verify and name this issuer
    app_public_key: str | None = None
    manifest_codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # App Manifest flow: code → manifest
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock: Callable[[], float] = field(default=time.time)  # stamps each Call; tests may simulate time
    rate_limit_remaining: int | None = None  # sent as X-RateLimit-Remaining on every answer when set

    def add_repo(self, full_name: str, files: dict[str, str | bytes] | Path, *, default_branch: str = "main",
                 repo_id: int = 1296269) -> FakeRepo:
        """A repository whose default branch holds `files` (a mapping, or a directory to read)."""
        contents = read_directory(files) if isinstance(files, Path) else files
        repo = FakeRepo.create(self, full_name, contents, default_branch=default_branch, repo_id=repo_id)
        self.repos[full_name] = repo
        return repo

    def fail(self, method: str, path_regex: str, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Make the next `times` calls of METHOD matching `path_regex` (re.search) answer `status`."""
        self.failures.append(Failure(method.upper(), re.compile(path_regex), status, times, retry_after))

    def hold(self, method: str, path_regex: str) -> Hold:
        """Make the next call of METHOD matching `path_regex` wait for `Hold.release` (a client may die meanwhile)."""
        hold = Hold(method.upper(), re.compile(path_regex))
        with self.lock:
            self.holds.append(hold)
        return hold

    def requests(self) -> list[str]:
        """'METHOD /path' of every call so far, in order."""
        return [str(call) for call in self.calls]

    def api_calls(self, *, include_tokens: bool = False) -> list[Call]:
        """Calls made with an installation token (token exchanges left out unless asked)."""
        return [call for call in self.calls if include_tokens or not call.path.startswith("/app/")]

    def clear_calls(self) -> None:
        """Forget the recorded calls (the repository state stays)."""
        self.calls.clear()

    def shape(self, key: str, repo: FakeRepo | None = None, **overrides: Any) -> Any:
        """GitHub's example response for `key`, pointed at this server and repository, with overrides."""
        text = json.dumps(_examples()[key])
        text = text.replace("https://api.github.com", self.base_url)
        if repo is not None:
            text = text.replace("octocat/Hello-World", repo.full_name).replace("octocat/example", repo.full_name)
        data = json.loads(text)
        if isinstance(data, dict):
            data.update(copy.deepcopy(overrides))
        return data

    def take_failure(self, method: str, path: str) -> Failure | None:
        """The planned failure this call meets, if any (consumes one use)."""
        for failure in self.failures:
            if failure.times > 0 and failure.method == method and failure.pattern.search(path):
                failure.times -= 1
                return failure
        return None


@lru_cache(maxsize=1)
def _examples() -> dict[str, Any]:
    """Default example of each response the fake gives, keyed 'METHOD /openapi/path'."""
    spec = json.loads(gzip.decompress(OPENAPI.read_bytes()))
    wanted = {
        "POST /app/installations/{installation_id}/access_tokens": "201",
        "GET /repos/{owner}/{repo}/git/trees/{tree_sha}": "200",
        "POST /repos/{owner}/{repo}/git/trees": "201",
        "GET /repos/{owner}/{repo}/git/blobs/{file_sha}": "200",
        "POST /repos/{owner}/{repo}/git/commits": "201",
        "GET /repos/{owner}/{repo}/git/commits/{commit_sha}": "200",
        "GET /repos/{owner}/{repo}/git/ref/{ref}": "200",
        "POST /repos/{owner}/{repo}/git/refs": "201",
        "PATCH /repos/{owner}/{repo}/git/refs/{ref}": "200",
        "POST /repos/{owner}/{repo}/pulls": "201",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": "201",
        "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": "201",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/labels": "200",
        "GET /repos/{owner}/{repo}/collaborators/{username}/permission": "200",
        "GET /repos/{owner}/{repo}": "200",
        "GET /repos/{owner}/{repo}/compare/{basehead}": "200",
        "POST /app-manifests/{code}/conversions": "201",
    }
    examples: dict[str, Any] = {}
    for key, status in wanted.items():
        method, path = key.split(" ", 1)
        response = _resolve(spec, spec["paths"][path][method.lower()]["responses"][status])
        media = response["content"]["application/json"]
        first = _resolve(spec, next(iter(media["examples"].values())))
        examples[key] = first["value"]
    return examples


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def create_app(state: FakeGitHub) -> Flask:
    """The Flask app serving `state`."""
    from tests.fakes.github_routes import register

    app = Flask("fake_github")

    @app.before_request
    def record_and_gate() -> Response | None:
        body = request.get_json(silent=True) if request.data else None
        call = Call(request.method, request.path, dict(request.args), body, at=state.clock())
        with state.lock:
            state.calls.append(call)
            failure = state.take_failure(request.method, request.path)
            hold = next((held for held in state.holds if held.method == request.method
                         and held.pattern.search(request.path)), None)
            if hold is not None:
                state.holds.remove(hold)
        if hold is not None:
            hold.arrived.set()
            hold.release.wait(60)
        if failure is not None:
            return _failure_response(failure)
        auth = request.headers.get("Authorization", "")
        if UNAUTHENTICATED.match(request.path):
            return None
        if request.path.startswith("/app/") or APP_JWT_PATH.match(request.path):
            return None if auth.startswith("Bearer ") else error(401, "A JSON web token could not be decoded")
        token = auth.partition(" ")[2]
        if not token or (state.strict_tokens and token not in state.tokens):
            return error(401, "Bad credentials")
        return None

    @app.after_request
    def remember_status(response: Response) -> Response:
        if state.rate_limit_remaining is not None:
            response.headers["X-RateLimit-Remaining"] = str(state.rate_limit_remaining)
        with state.lock:
            for call in reversed(state.calls):
                if call.path == request.path and call.method == request.method and not call.status:
                    call.status = response.status_code
                    break
        return response

    register(app, state)
    return app


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error body as GitHub writes one."""
    body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers or {})


def _failure_response(failure: Failure) -> Response:
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
    if failure.status in (403, 429):
        return error(failure.status, RATE_LIMIT_MESSAGE, headers)
    if failure.status == 404:
        return error(404, "Not Found", headers)
    return error(failure.status, "Server Error", headers)


def b64(data: bytes) -> str:
    """Base64 wrapped at 60 columns, as GitHub's blob API sends it."""
    encoded = base64.b64encode(data).decode()
    return "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """The fake records calls itself; access lines would only clutter test output."""


class ServerThread:
    """The fake served from a background thread on 127.0.0.1, port chosen by the OS."""

    def __init__(self, state: FakeGitHub | None = None) -> None:
        self.state = state or FakeGitHub()
        self.server = make_server("127.0.0.1", 0, create_app(self.state), threaded=True, request_handler=_QuietHandler)
        self.state.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="fake-github", daemon=True)

    @property
    def url(self) -> str:
        """Base URL to put in GITHUB_API_URL."""
        return self.state.base_url

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
