"""Commands from people without permission, from bots and from forks' pull requests are refused with a reason.

People without permission get a reply that names them and their access; bots get no reply (answering a bot could
start a loop of comments) and the log says why; a fork's pull request cannot grant itself rights, because the rules
come from `.devops.yml` on the default branch, never from the pull request's head.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot import messages
from bot.jobs import run_github_command
from tests.conftest import github_payload
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import command_request
from tests.fakes.job_kit import deps_for
from tests.fakes.job_kit import seed
from tests.security.conftest import Edges
from tests.security.conftest import github_signature

COMMANDS = ["/devops setup ci", "/devops setup ci jenkins --coverage 90", "/devops setup monitoring",
            "/devops setup infra aws", "/devops onboard", "/devops refresh", "/devops status", "/devops help",
            "/devops frobnicate"]
BOTS = [{"type": "Bot"}, {"login": "dependabot[bot]"}, {"login": "renovate[bot]", "type": "Bot"},
        {"login": "devops-bot[bot]"}, {"login": "github-actions[bot]", "type": "User"}]


@pytest.fixture
def payload() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


@pytest.mark.parametrize("where", ["sender", "comment.user", "both"])
def test_no_command_from_a_bot_is_queued_and_the_log_says_why(edges: Edges, payload: dict[str, Any], where: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="handlers.github_webhook")
    attempts = 0
    for bot in BOTS:
        for command in COMMANDS:
            sent = json.loads(json.dumps(payload))
            sent["comment"]["body"] = command
            for who in ([sent["sender"]] if where == "sender" else [sent["comment"]["user"]] if where == "comment.user"
                        else [sent["sender"], sent["comment"]["user"]]):
                who.update(bot)
            body = json.dumps(sent).encode()
            response = edges.client.post("/github/webhook", data=body, headers={
                "X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": f"bot-{attempts}",
                "Content-Type": "application/json", "X-Hub-Signature-256": github_signature(body)})
            assert response.get_json() == {"outcome": "ignored"}, (bot, command)
            attempts += 1

    assert attempts == len(BOTS) * len(COMMANDS)
    assert edges.enqueued() == 0
    assert len([r for r in caplog.records if "a comment by a bot" in r.getMessage()]) == attempts


def _refusal_texts(repo: Any) -> list[str]:
    """What the bot wrote on the issue: replies and its status comment."""
    return [comment["body"] for comment in repo.comments_on(1) if comment["user"].endswith("[bot]")]


KINDS = {"setup_ci": {}, "setup_monitoring": {"monitoring_stack": None},
         "setup_infra": {"cloud_provider": "aws"}, "onboard": {}, "refresh": {}, "status": {}}


@pytest.mark.parametrize("role", ["read", "triage", "none"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_command_from_someone_without_permission_is_refused_with_a_reason_and_writes_nothing(
        fake_github: FakeGitHub, payload: dict[str, Any], kind: str, role: str) -> None:
    repo = seed(fake_github, payload, role="read" if role == "none" else role)
    if role == "none":  # GitHub answers 404 for someone with no access at all
        fake_github.fail("GET", r"/collaborators/.*/permission$", 404)

    summary = run_github_command(command_request(payload, kind, **KINDS[kind]), deps=deps_for(fake_github))

    assert summary["outcome"] == "not_allowed"
    [reason] = _refusal_texts(repo)
    assert "Codertocat" in reason and f"`{role}`" in reason, reason  # who, and the access GitHub reports
    writes = [call for call in fake_github.requests() if call.split()[0] in ("POST", "PATCH", "PUT", "DELETE")
              and "/comments" not in call and "/reactions" not in call]
    assert writes == []


def test_a_forks_pull_request_cannot_grant_its_author_the_right_to_run_a_command(
        fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
    repo = seed(fake_github, payload, role="read")
    grant = "permissions:\n  setup ci: [Codertocat]\n  default: read\n"
    repo.git.refs["heads/fork-feature"] = repo.branch_head(repo.default_branch)
    repo.commit_on("fork-feature", {".devops.yml": grant})  # the fork's head: what its author controls

    refused = run_github_command(command_request(payload), deps=deps_for(fake_github))

    assert refused["outcome"] == "not_allowed"
    assert _refusal_texts(repo)[-1] == messages.not_allowed("Codertocat", "read")
    # The control: the same rule on the default branch, where maintainers put it, does admit them.
    repo.commit_on(repo.default_branch, {".devops.yml": grant})
    admitted = run_github_command(command_request(payload), deps=deps_for(fake_github, job_id="github-job-2"))
    assert admitted["outcome"] == "opened"


def test_a_command_on_a_forks_pull_request_runs_on_the_base_repository_default_branch(edges: Edges) -> None:
    payload = github_payload("issue_comment", "created.with-installation.payload.json")
    payload["comment"]["body"] = "/devops setup ci"
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
    body = json.dumps(payload).encode()
    edges.client.post("/github/webhook", data=body, headers={
        "X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": "fork-pr", "Content-Type": "application/json",
        "X-Hub-Signature-256": github_signature(body)})

    [job] = edges.queue.jobs
    request = job.args[0]
    assert request["is_pull_request"] is True
    assert (request["repository"], request["default_branch"]) == (payload["repository"]["full_name"],
                                                                  payload["repository"]["default_branch"])
    assert "head" not in json.dumps(request)  # nothing of the pull request's head (the fork) is carried
