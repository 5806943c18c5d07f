"""Fake GitHub endpoints for `.devops.yml` checks: check runs, pull request files, file contents, team memberships.

Responses start from GitHub's own OpenAPI examples. Check runs live in `check_runs(state)` (oldest first)
with every annotation each request sent, so tests can assert what people would see on the pull request.
Pull request files come from `set_pull_files(state, repo, number, paths)`; team members from `add_team_member`.
"""

from __future__ import annotations

import base64
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

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

R = "/repos/<owner>/<name>"
MAX_ANNOTATIONS = 50  # GitHub refuses more annotations in one request


def check_runs(state: FakeGitHub) -> list[dict[str, Any]]:
    """Check runs created on the fake: {id, repo, name, head_sha, status, conclusion, output, annotations}."""
    return state.__dict__.setdefault("_check_runs", [])


def set_pull_files(state: FakeGitHub, repo: FakeRepo, number: int, paths: list[str]) -> None:
    """The files GET /pulls/{number}/files lists for a pull request."""
    state.__dict__.setdefault("_pull_files", {})[(repo.full_name, number)] = list(paths)


def add_team_member(state: FakeGitHub, org: str, team: str, login: str) -> None:
    """Make `login` an active member of @org/team."""
    state.__dict__.setdefault("_teams", set()).add((org.lower(), team.lower(), login.lower()))


@lru_cache(maxsize=1)
def _examples() -> dict[str, Any]:
    from tests.fakes.github_server import OPENAPI

    spec = json.loads(gzip.decompress(OPENAPI.read_bytes()))
    wanted = {"POST /repos/{owner}/{repo}/check-runs": "201",
              "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": "200",
              "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": "200",
              "GET /repos/{owner}/{repo}/contents/{path}": "200",
              "GET /orgs/{org}/teams/{team_slug}/memberships/{username}": "200"}
    found: dict[str, Any] = {}
    for key, status in wanted.items():
        method, path = key.split(" ", 1)
        response = _resolve(spec, spec["paths"][path][method.lower()]["responses"][status])
        examples = response["content"]["application/json"]["examples"]
        chosen = examples.get("response-if-content-is-a-file") or next(iter(examples.values()))
        found[key] = _resolve(spec, chosen)["value"]
    return found


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _shape(fake: FakeGitHub, key: str, repo: FakeRepo | None, /, **overrides: Any) -> Any:
    text = json.dumps(_examples()[key]).replace("https://api.github.com", fake.base_url)
    if repo is not None:
        text = text.replace("octocat/Hello-World", repo.full_name).replace("octocat/hello-world", repo.full_name)
    data = json.loads(text)
    if isinstance(data, dict):
        data.update(overrides)
    return data


def register_check_routes(app: Flask, state: FakeGitHub, repo_or_404: Callable[[str, str], FakeRepo],
                          reply: Callable[..., Response]) -> None:
    """Add the check-run, pull-files, contents and team-membership routes to `app`."""
    from tests.fakes.github_server import error

    def run_shape(repo: FakeRepo, run: dict[str, Any], key: str) -> dict[str, Any]:
        api = f"{state.base_url}/repos/{repo.full_name}"
        output = {**run["output"], "annotations_count": len(run["annotations"]),
                  "annotations_url": f"{api}/check-runs/{run['id']}/annotations"}
        return _shape(state, key, repo, id=run["id"], name=run["name"], head_sha=run["head_sha"],
                      status=run["status"], conclusion=run["conclusion"], url=f"{api}/check-runs/{run['id']}",
                      html_url=f"https://github.com/{repo.full_name}/runs/{run['id']}", output=output)

    def take_output(run: dict[str, Any], body: dict[str, Any]) -> Response | None:
        output = body.get("output") or {}
        annotations = output.get("annotations") or []
        if len(annotations) > MAX_ANNOTATIONS:
            return error(422, "Only 50 annotations can be sent in one request")
        for note in annotations:
            missing = {"path", "start_line", "end_line", "annotation_level", "message"} - set(note)
            if missing or ("start_column" in note and note["start_line"] != note["end_line"]):
                return error(422, "Invalid annotation")
        if output:
            run["output"] = {key: output.get(key, run["output"].get(key)) for key in ("title", "summary", "text")}
        run["annotations"].extend(annotations)
        run["requests"].append(len(annotations))
        return None

    @app.post(R + "/check-runs")
    def create_check_run(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        if not body.get("name") or not body.get("head_sha"):
            return error(422, "name and head_sha are required")
        with state.lock:
            runs = check_runs(state)
            run = {"id": 4000 + len(runs), "repo": repo.full_name, "name": body["name"], "head_sha": body["head_sha"],
                   "status": body.get("status") or ("completed" if body.get("conclusion") else "queued"),
                   "conclusion": body.get("conclusion"), "output": {}, "annotations": [], "requests": []}
            refused = take_output(run, body)
            if refused is not None:
                return refused
            runs.append(run)
        return reply(run_shape(repo, run, "POST /repos/{owner}/{repo}/check-runs"), 201)

    @app.patch(R + "/check-runs/<int:run_id>")
    def update_check_run(owner: str, name: str, run_id: int) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        with state.lock:
            run = next((run for run in check_runs(state) if run["id"] == run_id and run["repo"] == repo.full_name), None)
            if run is None:
                return error(404, "Not Found")
            refused = take_output(run, body)
            if refused is not None:
                return refused
            for key in ("status", "conclusion"):
                if body.get(key):
                    run[key] = body[key]
        return reply(run_shape(repo, run, "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"))

    @app.get(R + "/pulls/<int:number>/files")
    def pull_files(owner: str, name: str, number: int) -> Response:
        repo = repo_or_404(owner, name)
        paths = state.__dict__.get("_pull_files", {}).get((repo.full_name, number))
        if paths is None:
            return error(404, "Not Found")
        per_page = min(int(request.args.get("per_page", 30)), 100)
        page = int(request.args.get("page", 1))
        chosen = paths[(page - 1) * per_page:page * per_page]
        example = _shape(state, "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", repo)[0]
        files = [{**example, "filename": path, "status": "modified"} for path in chosen]
        headers = {}
        if page * per_page < len(paths):
            url = f"{state.base_url}{request.path}?per_page={per_page}&page={page + 1}"
            headers["Link"] = f'<{url}>; rel="next"'
        return Response(json.dumps(files), status=200, mimetype="application/json", headers=headers)

    @app.get(R + "/contents/<path:path>")
    def get_contents(owner: str, name: str, path: str) -> Response:
        repo = repo_or_404(owner, name)
        ref = request.args.get("ref") or repo.default_branch
        sha = repo.git.refs.get(f"heads/{ref}", ref)
        tree = repo.git.tree_of(sha)
        entry = repo.git.trees[tree].get(path) if tree else None
        if entry is None:
            return error(404, "Not Found")
        data = repo.git.blobs[entry[1]]
        # GitHub leaves content out (encoding "none") for files over 1 MB
        big = len(data) > 1024 * 1024
        content = "" if big else base64.b64encode(data).decode()
        api = f"{state.base_url}/repos/{repo.full_name}"
        return reply(_shape(state, "GET /repos/{owner}/{repo}/contents/{path}", repo, type="file", path=path,
                            name=path.rsplit("/", 1)[-1], sha=entry[1], size=len(data), content=content,
                            encoding="none" if big else "base64", url=f"{api}/contents/{path}?ref={ref}",
                            git_url=f"{api}/git/blobs/{entry[1]}", download_url=None))

    @app.get("/orgs/<org>/teams/<team>/memberships/<login>")
    def team_membership(org: str, team: str, login: str) -> Response:
        if (org.lower(), team.lower(), login.lower()) not in state.__dict__.get("_teams", set()):
            return error(404, "Not Found")
        return reply(_shape(state, "GET /orgs/{org}/teams/{team_slug}/memberships/{username}", None,
                            state="active", role="member"))
