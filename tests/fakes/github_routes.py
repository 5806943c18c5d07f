"""The endpoints of the fake GitHub, each answering in the shape of GitHub's own example."""

from __future__ import annotations

import datetime
import json
import secrets
from typing import TYPE_CHECKING
from typing import Any

import jwt
from flask import Flask
from flask import Response
from flask import request

from tests.fakes.fake_repo import APP_BOT
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.git_objects import Commit

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

R = "/repos/<owner>/<name>"


def register(app: Flask, state: FakeGitHub) -> None:
    """Add every route to `app`."""
    from tests.fakes.github_server import b64
    from tests.fakes.github_server import error

    def repo_or_404(owner: str, name: str) -> FakeRepo:
        repo = state.repos.get(f"{owner}/{name}")
        if repo is None:
            raise _Abort(error(404, "Not Found"))
        return repo

    def reply(data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    @app.errorhandler(_Abort)
    def aborted(abort: _Abort) -> Response:
        return abort.response

    @app.post("/app/installations/<int:installation_id>/access_tokens")
    def access_token(installation_id: int) -> Response:
        if state.app_public_key:
            refusal = app_jwt_refusal(state)
            if refusal is not None:
                return refusal
        token = "ghs_" + secrets.token_hex(18)
        with state.lock:
            state.tokens.add(token)
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
        return reply(state.shape("POST /app/installations/{installation_id}/access_tokens", token=token,
                                 expires_at=expires.strftime("%Y-%m-%dT%H:%M:%SZ"), repository_selection="all"), 201)

    @app.get(R)
    def get_repo(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        return reply(state.shape("GET /repos/{owner}/{repo}", repo, id=repo.repo_id, name=name,
                                 full_name=repo.full_name, default_branch=repo.default_branch, **repo.extra))

    @app.get(R + "/git/trees/<sha>")
    def get_tree(owner: str, name: str, sha: str) -> Response:
        repo = repo_or_404(owner, name)
        tree = repo.git.tree_of(sha)
        if tree is None:
            return error(404, "Not Found")
        recursive = "recursive" in request.args  # GitHub: any value, "0" and "false" included, lists every level
        entries = [_with_url(state, repo, entry) for entry in repo.git.listing(tree, recursive)]
        truncated = repo.tree_limit is not None and len(entries) > repo.tree_limit
        if truncated:
            entries = entries[:repo.tree_limit]
        return reply(state.shape("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", repo, sha=tree,
                                 url=f"{_api(state, repo)}/git/trees/{tree}", tree=entries, truncated=truncated))

    @app.get(R + "/git/blobs/<sha>")
    def get_blob(owner: str, name: str, sha: str) -> Response:
        repo = repo_or_404(owner, name)
        data = repo.git.blobs.get(sha)
        if data is None:
            return error(404, "Not Found")
        return reply(state.shape("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", repo, sha=sha, size=len(data),
                                 content=b64(data), encoding="base64", url=f"{_api(state, repo)}/git/blobs/{sha}"))

    @app.post(R + "/git/trees")
    def post_tree(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        flat: dict[str, tuple[str, str]] = {}
        if body.get("base_tree"):
            base = repo.git.tree_of(body["base_tree"])
            if base is None:
                return error(422, "base_tree is not a valid tree oid")
            flat = dict(repo.git.trees[base])
        for entry in body.get("tree", []):
            if "content" in entry:
                flat[entry["path"]] = (entry["mode"], repo.git.put_blob(entry["content"].encode("utf-8")))
            elif entry.get("sha") is None:
                flat.pop(entry["path"], None)
            else:
                flat[entry["path"]] = (entry["mode"], entry["sha"])
        with state.lock:
            tree = repo.git.put_tree(flat)
        entries = [_with_url(state, repo, entry) for entry in repo.git.listing(tree, recursive=False)]
        return reply(state.shape("POST /repos/{owner}/{repo}/git/trees", repo, sha=tree, tree=entries, truncated=False,
                                 url=f"{_api(state, repo)}/git/trees/{tree}"), 201)

    @app.post(R + "/git/commits")
    def post_commit(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        if body["tree"] not in repo.git.trees or any(p not in repo.git.commits for p in body.get("parents", [])):
            return error(422, "Tree SHA does not exist" if body["tree"] not in repo.git.trees else "Parent SHA does not exist")
        who = {key: body["author"][key] for key in ("name", "email")} if body.get("author") else APP_BOT
        with state.lock:
            commit = repo.git.put_commit(body["tree"], body.get("parents", []), body["message"], who)
        return reply(_commit_shape(state, repo, commit, "POST /repos/{owner}/{repo}/git/commits"), 201)

    @app.get(R + "/git/commits/<sha>")
    def get_commit(owner: str, name: str, sha: str) -> Response:
        repo = repo_or_404(owner, name)
        commit = repo.git.commits.get(sha)
        if commit is None:
            return error(404, "Not Found")
        return reply(_commit_shape(state, repo, commit, "GET /repos/{owner}/{repo}/git/commits/{commit_sha}"))

    @app.get(R + "/git/ref/<path:ref>")
    def get_ref(owner: str, name: str, ref: str) -> Response:
        repo = repo_or_404(owner, name)
        sha = repo.git.refs.get(ref)
        if sha is None:
            return error(404, "Not Found")
        return reply(_ref_shape(state, repo, ref, sha, "GET /repos/{owner}/{repo}/git/ref/{ref}"))

    @app.post(R + "/git/refs")
    def post_ref(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        ref = body["ref"].removeprefix("refs/")
        if not body["ref"].startswith("refs/") or ref.count("/") < 1:
            return error(422, "Reference name must start with 'refs/' and have at least two slashes.")
        if body["sha"] not in repo.git.commits:
            return error(422, "Object does not exist")
        with state.lock:
            if ref in repo.git.refs:
                return error(422, "Reference already exists")
            repo.git.refs[ref] = body["sha"]
        return reply(_ref_shape(state, repo, ref, body["sha"], "POST /repos/{owner}/{repo}/git/refs"), 201)

    @app.patch(R + "/git/refs/<path:ref>")
    def patch_ref(owner: str, name: str, ref: str) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        with state.lock:
            current = repo.git.refs.get(ref)
            if current is None:
                return error(422, "Reference does not exist")
            if body["sha"] not in repo.git.commits:
                return error(422, "Object does not exist")
            if not body.get("force") and not repo.git.is_ancestor(current, body["sha"]):
                return error(422, "Update is not a fast forward")
            repo.git.refs[ref] = body["sha"]
        return reply(_ref_shape(state, repo, ref, body["sha"], "PATCH /repos/{owner}/{repo}/git/refs/{ref}"))

    @app.get(R + "/collaborators/<login>/permission")
    def permission(owner: str, name: str, login: str) -> Response:
        repo = repo_or_404(owner, name)
        level, role = repo.permission_of(login)
        data = state.shape("GET /repos/{owner}/{repo}/collaborators/{username}/permission", repo,
                           permission=level, role_name=role)
        data["user"]["login"] = login
        return reply(data)

    from tests.fakes.github_check_routes import register_check_routes

    register_check_routes(app, state, repo_or_404, reply)

    from tests.fakes.github_lifecycle_routes import register_lifecycle_routes

    register_lifecycle_routes(app, state, repo_or_404, reply)

    from tests.fakes.github_issue_routes import register_issue_routes

    register_issue_routes(app, state, repo_or_404, reply)

    from tests.fakes.github_manifest_routes import register_manifest_routes

    register_manifest_routes(app, state, reply)

    from tests.fakes.github_deployment_routes import register_deployment_routes

    register_deployment_routes(app, state, repo_or_404, reply)


class _Abort(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _api(state: FakeGitHub, repo: FakeRepo) -> str:
    return f"{state.base_url}/repos/{repo.full_name}"


def _with_url(state: FakeGitHub, repo: FakeRepo, entry: dict[str, Any]) -> dict[str, Any]:
    kind = "blobs" if entry["type"] == "blob" else "trees"
    return {**entry, "url": f"{_api(state, repo)}/git/{kind}/{entry['sha']}"}


def _commit_shape(state: FakeGitHub, repo: FakeRepo, commit: Commit, key: str) -> dict[str, Any]:
    api = _api(state, repo)
    return state.shape(
        key, repo, sha=commit.sha, url=f"{api}/git/commits/{commit.sha}",
        html_url=f"https://github.com/{repo.full_name}/commit/{commit.sha}",
        author=commit.author, committer=commit.committer, message=commit.message,
        tree={"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
        parents=[{"sha": parent, "url": f"{api}/git/commits/{parent}",
                  "html_url": f"https://github.com/{repo.full_name}/commit/{parent}"} for parent in commit.parents],
    )


def _ref_shape(state: FakeGitHub, repo: FakeRepo, ref: str, sha: str, key: str) -> dict[str, Any]:
    api = _api(state, repo)
    return state.shape(key, repo, ref=f"refs/{ref}", url=f"{api}/git/refs/{ref}",
                       object={"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"})


def app_jwt_refusal(state: FakeGitHub) -> Response | None:
    """GitHub's 401 for a request whose App JWT it would refuse; None when it is good.

    iat and exp are judged by the fake's clock, as GitHub judges them by its own.
    """
    from tests.fakes.github_server import error

    try:
        claims = jwt.decode(request.headers.get("Authorization", "").partition(" ")[2], state.app_public_key,
                            algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError as problem:
        return error(401, f"A JSON web token could not be decoded: {problem}")
    if str(claims.get("iss")) != state.app_id:
        return error(401, "'Issuer' claim ('iss') must be the App id")
    now = state.clock()
    if not isinstance(claims.get("iat"), int) or claims["iat"] > now:
        return error(401, "'Issued at' claim ('iat') must be an Integer representing a time in the past")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        return error(401, "'Expiration time' claim ('exp') must be a numeric value representing the future "
                          "time at which the assertion expires")
    if claims["exp"] > now + 600:
        return error(401, "'Expiration time' claim ('exp') is too far in the future")
    return None
