"""POST /github/webhook through the Flask test client, with signed real payloads and a real Redis queue."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from rq import Queue

from bot.pipelines import input_enum
from bot.queue import connect
from bot.queue import get_queue
from bot.settings import Settings
from bot.web import create_app
from tests.conftest import github_payload

SECRET = "webhook-secret-used-only-in-tests"
COMMENT = ("issue_comment", "created.with-installation.payload.json")


@pytest.fixture
def settings() -> Settings:
    return Settings(github_app_id="1", github_webhook_secret=SECRET, bot_login="devops-bot[bot]",
                    max_body_bytes=64 * 1024)


@pytest.fixture
def client(settings: Settings, redis_conn: Any) -> FlaskClient:
    return create_app(settings, redis=redis_conn).test_client()


@pytest.fixture
def queue(redis_conn: Any) -> Queue:
    return get_queue(redis_conn)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def comment_payload(body: str) -> dict[str, Any]:
    payload = github_payload(*COMMENT)
    payload["comment"]["body"] = body
    return payload


def post(client: FlaskClient, payload: dict[str, Any] | bytes, *, event: str = "issue_comment",
         delivery: str = "72d3162e-cc78-11e3-81ab-4c9367dc0958", signature: str | None = None,
         extra_headers: dict[str, str] | None = None) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
               "X-Hub-Signature-256": sign(body) if signature is None else signature, **(extra_headers or {})}
    headers = {key: value for key, value in headers.items() if value != ""}
    return client.post("/github/webhook", data=body, headers=headers)


def queued_requests(queue: Queue) -> list[dict[str, Any]]:
    return [job.args[0] for job in queue.jobs]


def test_a_setup_ci_comment_queues_exactly_the_request_the_job_expects(client: FlaskClient, queue: Queue) -> None:
    payload = comment_payload("Thanks!\n/devops setup ci jenkins --type api --coverage 85 --branching=gitflow")

    response = post(client, payload, delivery="d-1")

    assert response.status_code == 202
    assert response.get_json() == {"outcome": "queued", "job_id": "github-d-1"}
    [job] = queue.jobs
    assert job.id == "github-d-1"
    assert job.func_name == "bot.jobs.run_github_command"
    assert job.timeout and job.timeout > 0
    assert job.retries_left and job.retries_left > 0
    assert job.args == ({
        "kind": "setup_ci",
        "delivery_id": "d-1",
        "installation_id": payload["installation"]["id"],
        "repository": payload["repository"]["full_name"],
        "repository_id": payload["repository"]["id"],
        "default_branch": payload["repository"]["default_branch"],
        "issue_number": payload["issue"]["number"],
        "is_pull_request": False,
        "comment_id": payload["comment"]["id"],
        "comment_url": payload["comment"]["html_url"],
        "commenter": payload["comment"]["user"]["login"],
        "options": {"ci_platform": "jenkins", "project_type": "api", "coverage": 85, "branching": "gitflow",
                    "deployment_targets": None, "security_scan_required": None},
        "message": None,
    },)


def test_another_repository_is_carried_into_the_request(client: FlaskClient, queue: Queue) -> None:
    payload = comment_payload("/devops setup ci")
    payload["repository"].update(full_name="acme/shop", id=42, default_branch="main")

    post(client, payload)

    [request] = queued_requests(queue)
    assert (request["repository"], request["repository_id"], request["default_branch"]) == ("acme/shop", 42, "main")
    assert request["options"] == {"ci_platform": None, "project_type": None, "coverage": None,
                                  "branching": None, "deployment_targets": None, "security_scan_required": None}


def test_deploy_targets_and_no_security_are_carried_into_the_request(client: FlaskClient, queue: Queue) -> None:
    post(client, comment_payload("/devops setup ci --deploy staging:kubernetes --deploy production:ecs:eu-west-1 "
                                 "--no-security"))

    [request] = queued_requests(queue)
    assert request["kind"] == "setup_ci"
    assert request["options"]["deployment_targets"] == [
        {"environment": "staging", "platform": "kubernetes", "region": None},
        {"environment": "production", "platform": "ecs", "region": "eu-west-1"}]
    assert request["options"]["security_scan_required"] is False


def test_a_bad_deploy_target_queues_only_a_reply_naming_it_and_the_valid_values(client: FlaskClient,
                                                                               queue: Queue) -> None:
    post(client, comment_payload("/devops setup ci --deploy prod:nomad --branching waterfall --coverage -5"))

    [request] = queued_requests(queue)
    assert request["kind"] == "reply"
    for problem in ("`prod` is not a valid deployment environment", "`nomad` is not a valid deployment platform",
                    "`waterfall` is not a valid branching strategy", "`--coverage` must be a number from 0 to 100"):
        assert problem in request["message"]
    for name in ("deployment_targets.environment", "deployment_targets.platform", "branching_strategy"):
        for value in input_enum("ci_cd_setup", name):
            assert f"`{value}`" in request["message"]


def test_help_queues_a_help_job(client: FlaskClient, queue: Queue) -> None:
    post(client, comment_payload("/devops help"))

    assert [request["kind"] for request in queued_requests(queue)] == ["help"]


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha256=abc", "sha256=", "md5=1234"],
                         ids=["missing", "wrong", "truncated", "empty", "other-algorithm"])
def test_a_request_without_a_valid_signature_is_refused(client: FlaskClient, queue: Queue, signature: str) -> None:
    response = post(client, comment_payload("/devops setup ci"), signature=signature)

    assert response.status_code == 401
    assert queue.count == 0


def test_a_signature_made_with_another_secret_is_refused(client: FlaskClient, queue: Queue) -> None:
    body = json.dumps(comment_payload("/devops setup ci")).encode()

    response = post(client, body, signature=sign(body, "not-the-secret"))

    assert response.status_code == 401
    assert queue.count == 0


def test_a_truncated_valid_signature_is_refused(client: FlaskClient) -> None:
    body = json.dumps(comment_payload("/devops setup ci")).encode()

    assert post(client, body, signature=sign(body)[:-1]).status_code == 401


def test_a_body_changed_after_signing_is_refused(client: FlaskClient, queue: Queue) -> None:
    body = json.dumps(comment_payload("/devops help")).encode()
    tampered = body.replace(b"/devops help", b"/devops setup ci")

    response = post(client, tampered, signature=sign(body))

    assert response.status_code == 401
    assert queue.count == 0


def test_a_sha1_only_signature_is_refused(client: FlaskClient) -> None:
    body = json.dumps(comment_payload("/devops setup ci")).encode()
    sha1 = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()

    response = post(client, body, signature="", extra_headers={"X-Hub-Signature": sha1})

    assert response.status_code == 401


def test_a_signed_body_that_is_not_json_is_a_bad_request(client: FlaskClient) -> None:
    response = post(client, b'{"action": "created", "comment": ')

    assert response.status_code == 400


def test_a_signed_json_value_that_is_not_an_object_is_a_bad_request(client: FlaskClient) -> None:
    assert post(client, b'["created"]').status_code == 400


def test_a_delivery_without_its_id_is_a_bad_request(client: FlaskClient, queue: Queue) -> None:
    response = post(client, comment_payload("/devops setup ci"), delivery="")

    assert response.status_code == 400
    assert queue.count == 0


def test_a_body_over_the_limit_is_refused_with_413(client: FlaskClient, settings: Settings, queue: Queue) -> None:
    payload = comment_payload("/devops setup ci\n" + "x" * settings.max_body_bytes)

    response = post(client, payload)

    assert response.status_code == 413
    assert queue.count == 0


def test_the_default_body_limit_is_githubs_25_mib() -> None:
    assert Settings().max_body_bytes == 25 * 1024 * 1024


@pytest.mark.parametrize("name", ["payload.json", "with-app_id.payload.json", "with-organization.payload.json"])
def test_ping_is_answered(client: FlaskClient, queue: Queue, name: str) -> None:
    payload = github_payload("ping", name)

    response = post(client, payload, event="ping")

    assert response.status_code == 200
    assert response.get_json() == {"outcome": "pong", "zen": payload["zen"]}
    assert queue.count == 0


@pytest.mark.parametrize(("event", "name"), [
    ("push", "payload.json"),  # no installation: not for the App
    ("pull_request", "closed.payload.json"),  # opened/synchronize/reopened queue the config check
    ("check_run", "completed.payload.json"),
    ("issue_comment", "edited.payload.json"),
])
def test_events_the_bot_does_not_handle_are_acknowledged_and_ignored(client: FlaskClient, queue: Queue, event: str,
                                                                       name: str) -> None:
    response = post(client, github_payload(event, name), event=event)

    assert response.status_code == 200
    assert response.get_json() == {"outcome": "ignored"}
    assert queue.count == 0


@pytest.mark.parametrize("change", [
    {"type": "Bot"},
    {"login": "dependabot[bot]"},
    {"login": "devops-bot[bot]"},
], ids=["bot-type", "bot-suffix", "itself"])
def test_comments_by_bots_are_ignored(client: FlaskClient, queue: Queue, change: dict[str, str]) -> None:
    payload = comment_payload("/devops setup ci")
    payload["sender"].update(change)
    payload["comment"]["user"].update(change)

    response = post(client, payload)

    assert response.get_json() == {"outcome": "ignored"}
    assert queue.count == 0


@pytest.mark.parametrize("body", [
    "LGTM, thanks",
    "> /devops setup ci\n\nquoting the command above",
    "```\n/devops setup ci\n```",
    "please run `/devops setup ci` later",
])
def test_comments_without_a_command_at_the_start_of_a_line_are_ignored(client: FlaskClient, queue: Queue,
                                                                        body: str) -> None:
    assert post(client, comment_payload(body)).get_json() == {"outcome": "ignored"}
    assert queue.count == 0


def test_a_comment_from_outside_an_installation_is_ignored(client: FlaskClient, queue: Queue) -> None:
    payload = github_payload("issue_comment", "created.payload.json")
    payload["comment"]["body"] = "/devops setup ci"

    assert post(client, payload).get_json() == {"outcome": "ignored"}
    assert queue.count == 0


def test_an_unknown_command_queues_a_reply_with_the_usage(client: FlaskClient, queue: Queue) -> None:
    response = post(client, comment_payload("/devops deploy production"))

    assert response.status_code == 202
    [request] = queued_requests(queue)
    assert request["kind"] == "reply"
    assert "`deploy` is not a command" in request["message"]
    assert "/devops setup ci [PLATFORM]" in request["message"]
    assert all(value is None for value in request["options"].values())


def test_bad_options_queue_one_reply_listing_every_problem_and_the_valid_values(client: FlaskClient,
                                                                                  queue: Queue) -> None:
    post(client, comment_payload("/devops setup ci travis --type desktop --coverage 120 --speed fast"))

    [request] = queued_requests(queue)
    message = request["message"]
    assert request["kind"] == "reply"
    for problem in ("`travis` is not a valid CI platform", "`desktop` is not a valid project type",
                    "`--coverage` must be a number from 0 to 100", "`--speed` is not an option"):
        assert problem in message
    for value in input_enum("ci_cd_setup", "ci_platform") + input_enum("ci_cd_setup", "project_type"):
        assert f"`{value}`" in message


def test_a_redelivery_never_queues_a_second_job(client: FlaskClient, queue: Queue) -> None:
    payload = comment_payload("/devops setup ci")

    first = post(client, payload, delivery="same")
    second = post(client, payload, delivery="same")

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.get_json() == {"outcome": "duplicate", "job_id": "github-same"}
    assert queue.count == 1


def test_a_redelivery_after_the_job_is_gone_is_still_dropped(client: FlaskClient, queue: Queue) -> None:
    payload = comment_payload("/devops setup ci")
    post(client, payload, delivery="later")
    queue.empty()  # the job ran and its record expired

    assert post(client, payload, delivery="later").get_json()["outcome"] == "duplicate"
    assert queue.count == 0


def test_different_deliveries_queue_separate_jobs(client: FlaskClient, queue: Queue) -> None:
    payload = comment_payload("/devops setup ci")

    post(client, payload, delivery="a")
    post(client, copy.deepcopy(payload), delivery="b")

    assert sorted(job.id for job in queue.jobs) == ["github-a", "github-b"]


def test_healthz_is_ok_while_redis_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "queue": "up"}


def test_healthz_is_503_when_the_queue_is_down(settings: Settings) -> None:
    # Port 1 on loopback refuses connections at once.
    down = connect(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"))
    app = create_app(settings, redis=down)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["queue"] == "down"


def test_metrics_count_deliveries_by_event_and_outcome(client: FlaskClient) -> None:
    def queued() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        line = 'devops_bot_webhook_deliveries_total{event="issue_comment",outcome="queued",source="github"} '
        found = [row for row in text.splitlines() if row.startswith(line)]
        return float(found[0].split()[-1]) if found else 0.0

    before = queued()
    post(client, comment_payload("/devops setup ci"), delivery="metrics-1")
    text = client.get("/metrics").get_data(as_text=True)

    assert queued() == before + 1
    assert "# TYPE devops_bot_jobs_total counter" in text
    assert "# TYPE devops_bot_step_duration_seconds histogram" in text



def test_the_devops_yml_schema_is_served_where_generated_files_point(client: Any) -> None:
    from bot.settings import SCHEMA_PATH
    from tests.conftest import ROOT

    response = client.get(SCHEMA_PATH)
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    shipped = json.loads((ROOT / "schemas" / "devops.schema.json").read_text(encoding="utf-8"))
    assert response.get_json() == shipped
