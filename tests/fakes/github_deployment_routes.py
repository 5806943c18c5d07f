"""Fake GitHub endpoints for recording deploys: a repository's installation, deployments and their statuses.

Bodies start from GitHub's OpenAPI examples. The rules the bot relies on are GitHub's: `ref` must name a
branch, tag or commit (422 "No ref found for"), a status `state` is one of seven, a description is at
most 140 characters, and `auto_inactive` (default true) marks earlier successful deployments of the same
environment inactive, but only non-transient, non-production ones. Tests read `deployments(state)`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from flask import Response
from flask import request

from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_routes import app_jwt_refusal

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

R = "/repos/<owner>/<name>"
STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
INSTALLATION_ID = 4242
SHAPES = {"POST /repos/{owner}/{repo}/deployments": "201",
          "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses": "201",
          "GET /repos/{owner}/{repo}/installation": "200"}


def deployments(state: FakeGitHub) -> list[dict[str, Any]]:
    """Deployments created on the fake, oldest first: each GitHub's body plus `statuses` (oldest first)."""
    return state.__dict__.setdefault("_deployments", [])


@lru_cache(maxsize=1)
def _examples() -> dict[str, Any]:
    from tests.fakes.github_server import OPENAPI
    from tests.fakes.github_server import _resolve

    spec = json.loads(gzip.decompress(OPENAPI.read_bytes()))
    found: dict[str, Any] = {}
    for key, status in SHAPES.items():
        method, path = key.split(" ", 1)
        response = _resolve(spec, spec["paths"][path][method.lower()]["responses"][status])
        found[key] = _resolve(spec, next(iter(response["content"]["application/json"]["examples"].values())))["value"]
    return found


def register_deployment_routes(app: Flask, state: FakeGitHub, repo_or_404: Callable[[str, str], FakeRepo],
                               reply: Callable[..., Response]) -> None:
    """Add the installation, deployment and deployment-status routes to `app`."""
    from tests.fakes.fake_repo import APP_BOT
    from tests.fakes.github_server import error

    def shape(key: str, repo: FakeRepo, **values: Any) -> dict[str, Any]:
        text = json.dumps(_examples()[key]).replace("https://api.github.com", state.base_url)
        data = json.loads(text.replace("octocat/example", repo.full_name).replace("octocat/Hello-World",
                                                                                  repo.full_name))
        data.update(values)
        return data

    def stamp() -> str:
        import datetime

        return datetime.datetime.fromtimestamp(state.clock(), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def bot_creator(template: dict[str, Any]) -> dict[str, Any]:
        return {**template, "login": APP_BOT["name"], "type": "Bot"}

    @app.get(R + "/installation")
    def installation(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        if state.app_public_key:  # only the App's own JWT may ask
            refusal = app_jwt_refusal(state)
            if refusal is not None:
                return refusal
        data = shape("GET /repos/{owner}/{repo}/installation", repo, id=INSTALLATION_ID,
                     access_tokens_url=f"{state.base_url}/app/installations/{INSTALLATION_ID}/access_tokens")
        data["account"] = {**data["account"], "login": repo.owner}
        return reply(data)

    @app.post(R + "/deployments")
    def create_deployment(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        sha = _resolve_ref(repo, str(body.get("ref", "")))
        if sha is None:
            return error(422, f"No ref found for: {body.get('ref')}")
        environment = body.get("environment", "production")
        with state.lock:
            number = len(deployments(state)) + 1
            data = shape("POST /repos/{owner}/{repo}/deployments", repo, id=number, sha=sha, ref=body["ref"],
                         task=body.get("task", "deploy"), payload=body.get("payload", {}), environment=environment,
                         original_environment=environment, description=body.get("description", ""),
                         transient_environment=bool(body.get("transient_environment", False)),
                         production_environment=bool(body.get("production_environment",
                                                              environment == "production")),
                         url=f"{state.base_url}/repos/{repo.full_name}/deployments/{number}",
                         statuses_url=f"{state.base_url}/repos/{repo.full_name}/deployments/{number}/statuses",
                         created_at=stamp(), updated_at=stamp())
            data["creator"] = bot_creator(data["creator"])
            deployments(state).append({**data, "statuses": [], "request": body})
        return reply(data, 201)

    @app.post(R + "/deployments/<int:deployment_id>/statuses")
    def create_status(owner: str, name: str, deployment_id: int) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        mine = [d for d in deployments(state) if d["id"] == deployment_id and d["repository_url"].endswith(
            f"/repos/{repo.full_name}")]
        if not mine:
            return error(404, "Not Found")
        if body.get("state") not in STATES:
            return error(422, f"state is not included in the list: {body.get('state')!r}")
        if len(body.get("description") or "") > 140:
            return error(422, "description is too long (maximum is 140 characters)")
        deployment = mine[0]
        with state.lock:
            status = _add_status(state, repo, deployment, body, shape, stamp(), bot_creator)
            if body["state"] == "success" and body.get("auto_inactive", True):
                for earlier in deployments(state):
                    if (earlier is not deployment and earlier["environment"] == deployment["environment"]
                            and earlier["repository_url"] == deployment["repository_url"]
                            and not earlier["transient_environment"] and not earlier["production_environment"]
                            and earlier["statuses"] and earlier["statuses"][-1]["state"] == "success"):
                        _add_status(state, repo, earlier, {"state": "inactive", "description": ""}, shape, stamp(),
                                    bot_creator)
        return reply(status, 201)


def _add_status(state: FakeGitHub, repo: FakeRepo, deployment: dict[str, Any], body: dict[str, Any],
                shape: Callable[..., dict[str, Any]], now: str,
                creator: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    number = sum(len(d["statuses"]) for d in deployments(state)) + 1
    url = f"{deployment['url']}/statuses/{number}"
    log_url = body.get("log_url") or body.get("target_url") or ""
    status = shape("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", repo, id=number, url=url,
                   state=body["state"], description=body.get("description", ""),
                   environment=body.get("environment", deployment["environment"]), target_url=log_url,
                   log_url=log_url, environment_url=body.get("environment_url", ""), created_at=now, updated_at=now,
                   deployment_url=deployment["url"], repository_url=deployment["repository_url"])
    status["creator"] = creator(status["creator"])
    deployment["statuses"].append(status)
    return status


def _resolve_ref(repo: FakeRepo, ref: str) -> str | None:
    for candidate in (f"heads/{ref}", f"tags/{ref}", ref.removeprefix("refs/")):
        if candidate in repo.git.refs:
            return repo.git.refs[candidate]
    return ref if ref in repo.git.commits else None
