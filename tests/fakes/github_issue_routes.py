"""Fake GitHub endpoints for issues, comments, reactions, labels and pull requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from flask import Response
from flask import request

from tests.fakes.fake_repo import APP_BOT
from tests.fakes.fake_repo import FakeRepo

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

R = "/repos/<owner>/<name>"
BOT_LOGIN = APP_BOT["name"]


def register_issue_routes(app: Flask, state: FakeGitHub, repo_or_404: Callable[[str, str], FakeRepo],
                          reply: Callable[..., Response]) -> None:
    """Add the issue and pull request routes to `app`."""
    from tests.fakes.github_server import error

    def comment_shape(repo: FakeRepo, comment_id: int, key: str) -> dict[str, Any]:
        comment = repo.comments[comment_id]
        api = f"{state.base_url}/repos/{repo.full_name}"
        data = state.shape(key, repo, id=comment_id, body=comment["body"], url=f"{api}/issues/comments/{comment_id}",
                           html_url=f"https://github.com/{repo.full_name}/issues/{comment['issue']}#issuecomment-{comment_id}",
                           issue_url=f"{api}/issues/{comment['issue']}")
        data["user"]["login"] = comment["user"]
        return data

    def pull_shape(repo: FakeRepo, number: int, key: str) -> dict[str, Any]:
        pull = repo.pulls[number]
        api = f"{state.base_url}/repos/{repo.full_name}"
        data = state.shape(
            key, repo, number=number, id=number + 1000, title=pull["title"], body=pull["body"], state=pull["state"],
            url=f"{api}/pulls/{number}", html_url=f"https://github.com/{repo.full_name}/pull/{number}",
            issue_url=f"{api}/issues/{number}", comments_url=f"{api}/issues/{number}/comments",
            labels=[label_shape(repo, label) for label in repo.issues[number]["labels"]], draft=False,
            merged_at=pull.get("merged_at"), merged=bool(pull.get("merged_at")),
            closed_at=pull.get("closed_at") if pull["state"] == "closed" else None,
        )
        data["head"].update(ref=pull["head"], sha=repo.branch_head(pull["head"]) or "", label=f"{repo.owner}:{pull['head']}")
        data["base"].update(ref=pull["base"], sha=repo.branch_head(pull["base"]) or "", label=f"{repo.owner}:{pull['base']}")
        data["user"]["login"] = BOT_LOGIN
        return data

    def label_shape(repo: FakeRepo, label: str) -> dict[str, Any]:
        example = state.shape("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", repo)[0]
        return {**example, "name": label, "url": f"{state.base_url}/repos/{repo.full_name}/labels/{label}",
                "default": False, "description": None}

    @app.post(R + "/issues/<int:number>/comments")
    def post_comment(owner: str, name: str, number: int) -> Response:
        repo = repo_or_404(owner, name)
        if number not in repo.issues:
            return error(404, "Not Found")
        with state.lock:
            repo.next_comment_id += 1
            comment_id = repo.next_comment_id
            repo.comments[comment_id] = {"issue": number, "body": request.get_json()["body"], "user": BOT_LOGIN,
                                         "reactions": []}
        return reply(comment_shape(repo, comment_id, "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"), 201)

    @app.get(R + "/issues/comments/<int:comment_id>")
    def get_comment(owner: str, name: str, comment_id: int) -> Response:
        repo = repo_or_404(owner, name)
        if comment_id not in repo.comments:
            return error(404, "Not Found")
        return reply(comment_shape(repo, comment_id, "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"))

    @app.patch(R + "/issues/comments/<int:comment_id>")
    def patch_comment(owner: str, name: str, comment_id: int) -> Response:
        repo = repo_or_404(owner, name)
        if comment_id not in repo.comments:
            return error(404, "Not Found")
        repo.comments[comment_id]["body"] = request.get_json()["body"]
        return reply(comment_shape(repo, comment_id, "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"))

    @app.post(R + "/issues/comments/<int:comment_id>/reactions")
    def post_reaction(owner: str, name: str, comment_id: int) -> Response:
        repo = repo_or_404(owner, name)
        if comment_id not in repo.comments:
            return error(404, "Not Found")
        content = request.get_json()["content"]
        if content not in {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}:
            return error(422, "Validation Failed")
        reactions = repo.comments[comment_id]["reactions"]
        existed = content in reactions
        if not existed:
            reactions.append(content)
        data = state.shape("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", repo,
                           id=comment_id * 10 + reactions.index(content), content=content)
        data["user"]["login"] = BOT_LOGIN
        return reply(data, 200 if existed else 201)

    @app.post(R + "/issues/<int:number>/labels")
    def post_labels(owner: str, name: str, number: int) -> Response:
        repo = repo_or_404(owner, name)
        if number not in repo.issues:
            return error(404, "Not Found")
        body = request.get_json()
        names = body["labels"] if isinstance(body, dict) else body
        labels = repo.issues[number]["labels"]
        labels.extend(label for label in names if label not in labels)
        return reply([label_shape(repo, label) for label in labels])

    @app.get(R + "/pulls")
    def list_pulls(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        wanted_state = request.args.get("state", "open")
        head = request.args.get("head")
        found = [number for number, pull in sorted(repo.pulls.items())
                 if wanted_state in ("all", pull["state"]) and (head is None or head == f"{repo.owner}:{pull['head']}")]
        return reply([pull_shape(repo, number, "POST /repos/{owner}/{repo}/pulls") for number in found])

    @app.post(R + "/pulls")
    def create_pull(owner: str, name: str) -> Response:
        repo = repo_or_404(owner, name)
        body = request.get_json()
        head, base = body["head"].split(":")[-1], body["base"]
        if repo.branch_head(head) is None or repo.branch_head(base) is None:
            return error(422, "Validation Failed")
        if any(pull["head"] == head for pull in repo.open_pulls()):
            return error(422, f"A pull request already exists for {repo.owner}:{head}.")
        if repo.git.is_ancestor(repo.branch_head(head) or "", repo.branch_head(base) or ""):
            return error(422, f"No commits between {base} and {head}")
        with state.lock:
            number = repo.next_number
            repo.add_issue(number, title=body.get("title", ""), pull=True)
            repo.pulls[number] = {"head": head, "base": base, "title": body.get("title", ""),
                                  "body": body.get("body") or "", "state": "open"}
        return reply(pull_shape(repo, number, "POST /repos/{owner}/{repo}/pulls"), 201)

    @app.get(R + "/pulls/<int:number>")
    def get_pull(owner: str, name: str, number: int) -> Response:
        repo = repo_or_404(owner, name)
        if number not in repo.pulls:
            return error(404, "Not Found")
        return reply(pull_shape(repo, number, "POST /repos/{owner}/{repo}/pulls"))

    @app.patch(R + "/pulls/<int:number>")
    def edit_pull(owner: str, name: str, number: int) -> Response:
        repo = repo_or_404(owner, name)
        if number not in repo.pulls:
            return error(404, "Not Found")
        body = request.get_json()
        repo.pulls[number].update({key: body[key] for key in ("title", "body", "state") if key in body})
        return reply(pull_shape(repo, number, "POST /repos/{owner}/{repo}/pulls"))
