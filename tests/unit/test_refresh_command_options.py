"""Refreshed monitoring and infra pull requests keep the options of the command that opened them (fake GitHub).

Commands go through the real comment handler (the fixture payload with its body set) and the real
pipelines; refreshes come from the real push payload or a `/devops refresh` comment. The setup-ci pull
request's side of this is tests/unit/test_refresh_options.py.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import redis as redis_lib

from bot.infra_job import BRANCH as INFRA
from bot.monitoring_job import BRANCH as MONITORING
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.unit.test_infra_commands import no_checkov  # noqa: F401  autouse: checkov is slow, tested elsewhere
from tests.unit.test_infra_commands import seed as seed_blog
from tests.unit.test_monitoring_commands import seed_shop
from tests.unit.test_onboarding_commands import bot_comments
from tests.unit.test_onboarding_commands import push
from tests.unit.test_refresh_options import comment
from tests.unit.test_refresh_options import payload  # noqa: F401  the comment fixture

INFRA_COMMAND = "/devops setup infra aws production --compliance hipaa --budget 300"
TFVARS = "infra/aws/environments/production/terraform.tfvars"


def pull_on(repo: FakeRepo, branch: str) -> dict[str, Any]:
    [pull] = [pull for pull in repo.open_pulls() if pull["head"] == branch]
    return pull


def number_of(repo: FakeRepo, branch: str) -> int:
    return next(number for number, pull in repo.pulls.items() if pull is pull_on(repo, branch))


def push_config(fake: FakeGitHub, redis: redis_lib.Redis, repo: FakeRepo, config: str) -> dict[str, str]:
    """Commit `.devops.yml` on the default branch, deliver the push, and return each bot PR's outcome by branch."""
    repo.commit_on("master", {".devops.yml": config}, message="Configure devops-bot")
    summary = push(fake, redis, [".devops.yml"])
    assert summary is not None
    return {pull["branch"]: pull["outcome"] for pull in summary["pulls"]}


def record(command: str, arguments: list[str]) -> str:
    text = json.dumps({"command": command, "arguments": arguments})
    return f"Written by hand.\n\n<!-- devops-bot:options {text} -->\n"


# --- monitoring: `/devops setup monitoring [STACK]` ---

SLA_AND_ELK = "monitoring:\n  stack: elk\n  sla: {availability: 99.5, response_time_p99: 250, error_rate: 1}\n"


@pytest.fixture
def datadog(fake_github: FakeGitHub, redis: redis_lib.Redis, payload: dict[str, Any]) -> FakeRepo:
    repo = seed_shop(fake_github, payload, "/devops setup monitoring datadog")
    assert comment(fake_github, redis, payload, "/devops setup monitoring datadog")["outcome"] == "opened"
    return repo


def test_a_push_refresh_keeps_the_monitoring_stack_the_pull_request_was_opened_with(
        fake_github: FakeGitHub, redis: redis_lib.Redis, datadog: FakeRepo) -> None:
    repo = datadog
    before = repo.files_on(MONITORING)["datadog/main.tf"]

    assert push_config(fake_github, redis, repo, SLA_AND_ELK) == {MONITORING: "updated"}

    pull, files = pull_on(repo, MONITORING), repo.files_on(MONITORING)
    assert pull["title"].startswith("Monitoring (datadog):")  # the command's stack beats the file's elk
    assert "elk/README.md" not in files and "prometheus/prometheus.yml" not in files
    assert files["datadog/main.tf"] != before and "99.5" in files["datadog/main.tf"]  # the file's SLA applies
    assert '"arguments": ["datadog"], "command": "setup monitoring"' in pull["body"]


def test_refresh_when_asked_keeps_the_monitoring_stack_too(fake_github: FakeGitHub, redis: redis_lib.Redis,
                                                           datadog: FakeRepo, payload: dict[str, Any]) -> None:
    repo = datadog
    repo.commit_on("master", {".devops.yml": SLA_AND_ELK}, message="Configure devops-bot")

    summary = comment(fake_github, redis, payload, "/devops refresh")

    assert [(pull["branch"], pull["outcome"]) for pull in summary["pulls"]] == [(MONITORING, "updated")]
    assert pull_on(repo, MONITORING)["title"].startswith("Monitoring (datadog):")
    assert "elk/README.md" not in repo.files_on(MONITORING)


def test_setup_monitoring_without_a_stack_follows_the_stack_devops_yml_names_at_each_refresh(
        fake_github: FakeGitHub, redis: redis_lib.Redis, payload: dict[str, Any]) -> None:
    repo = seed_shop(fake_github, payload, "/devops setup monitoring")
    assert comment(fake_github, redis, payload, "/devops setup monitoring")["outcome"] == "opened"
    assert '"arguments": [], "command": "setup monitoring"' in pull_on(repo, MONITORING)["body"]

    assert push_config(fake_github, redis, repo, SLA_AND_ELK) == {MONITORING: "updated"}

    assert pull_on(repo, MONITORING)["title"].startswith("Monitoring (elk):")
    assert "elk/README.md" in repo.files_on(MONITORING)


def test_a_monitoring_pull_request_without_a_readable_record_is_refreshed_with_the_defaults_and_says_so(
        fake_github: FakeGitHub, redis: redis_lib.Redis, datadog: FakeRepo, caplog: pytest.LogCaptureFixture) -> None:
    repo = datadog
    pull_on(repo, MONITORING)["body"] = "A person rewrote the description."

    with caplog.at_level(logging.WARNING, logger="bot.refresh_packages"):
        assert push_config(fake_github, redis, repo, SLA_AND_ELK) == {MONITORING: "updated"}

    pull = pull_on(repo, MONITORING)
    assert pull["title"].startswith("Monitoring (elk):")  # .devops.yml's stack, as for a bare command
    assert "**Refreshed with the default options**" in pull["body"] and "holds no record" in pull["body"]
    assert "`/devops setup monitoring` with your options" in pull["body"]
    assert "devops-bot:options" not in pull["body"]
    assert any("holds no record" in item.getMessage() and MONITORING in item.getMessage() for item in caplog.records)


def test_a_recorded_stack_no_longer_offered_is_answered_once_and_the_pull_request_left_alone(
        fake_github: FakeGitHub, redis: redis_lib.Redis, datadog: FakeRepo) -> None:
    repo = datadog
    pull_on(repo, MONITORING)["body"] = record("setup monitoring", ["nagios"])
    head = repo.branch_head(MONITORING)

    assert push_config(fake_github, redis, repo, SLA_AND_ELK) == {MONITORING: "invalid_options"}
    assert push(fake_github, redis, [".devops.yml"]) is not None  # a second push: no second answer

    assert repo.branch_head(MONITORING) == head
    [answer] = bot_comments(repo, number_of(repo, MONITORING))
    assert "`/devops setup monitoring` options it was opened with are no longer valid" in answer
    assert "`nagios` is not a valid monitoring stack" in answer and "`datadog`" in answer


# --- infra: `/devops setup infra CLOUD [ENVIRONMENT] [--compliance] [--budget] [--priority] [--region] [--iac]` ---

GCP_IN_EU = "infrastructure:\n  cloud_provider: gcp\n  region: eu-west-1\n  compliance: [gdpr]\n"


@pytest.fixture
def aws_hipaa(fake_github: FakeGitHub, redis: redis_lib.Redis, payload: dict[str, Any]) -> FakeRepo:
    repo = seed_blog(fake_github, payload, INFRA_COMMAND)
    assert comment(fake_github, redis, payload, INFRA_COMMAND)["outcome"] == "opened"
    return repo


def test_a_push_refreshes_the_infra_pull_request_with_the_cloud_and_options_it_was_opened_with(
        fake_github: FakeGitHub, redis: redis_lib.Redis, aws_hipaa: FakeRepo) -> None:
    repo = aws_hipaa
    assert '"eu-west-1"' not in repo.files_on(INFRA)[TFVARS]

    assert push_config(fake_github, redis, repo, GCP_IN_EU) == {INFRA: "updated"}

    files, pull = repo.files_on(INFRA), pull_on(repo, INFRA)
    assert '"eu-west-1"' in files[TFVARS]  # the file's region fills what the command left out
    assert not any(path.startswith("infra/gcp/") for path in files)  # the command's cloud beats the file's
    assert "## HIPAA Security Rule" in files["docs/compliance.md"] and "GDPR" not in files["docs/compliance.md"]
    assert "exceeds the $300.00 limit by" in pull["body"]
    assert ('"arguments": ["aws", "production", "--compliance=hipaa", "--budget", "300"], '
            '"command": "setup infra"') in pull["body"]


def test_refresh_when_asked_refreshes_the_infra_pull_request_with_its_options(
        fake_github: FakeGitHub, redis: redis_lib.Redis, aws_hipaa: FakeRepo, payload: dict[str, Any]) -> None:
    repo = aws_hipaa
    repo.commit_on("master", {".devops.yml": GCP_IN_EU}, message="Configure devops-bot")

    summary = comment(fake_github, redis, payload, "/devops refresh")

    assert [(pull["branch"], pull["outcome"]) for pull in summary["pulls"]] == [(INFRA, "updated")]
    files = repo.files_on(INFRA)
    assert '"eu-west-1"' in files[TFVARS] and "## HIPAA Security Rule" in files["docs/compliance.md"]


def test_an_infra_pull_request_without_its_options_is_left_alone_and_told_how_to_bring_them_back(
        fake_github: FakeGitHub, redis: redis_lib.Redis, aws_hipaa: FakeRepo, payload: dict[str, Any]) -> None:
    repo = aws_hipaa
    pull_on(repo, INFRA)["body"] = "A person rewrote the description."
    head = repo.branch_head(INFRA)

    assert push_config(fake_github, redis, repo, GCP_IN_EU) == {INFRA: "options_needed"}
    assert push(fake_github, redis, [".devops.yml"]) is not None  # a second push: no second answer

    assert repo.branch_head(INFRA) == head  # never regenerated as development, without HIPAA, or on .devops.yml's gcp
    [answer] = bot_comments(repo, number_of(repo, INFRA))
    assert answer.startswith(f"I did not refresh #{number_of(repo, INFRA)}: its description holds no record")
    assert "`/devops setup infra` cannot run without them" in answer
    assert "`setup infra` needs a cloud, as in `setup infra aws production`" in answer

    summary = comment(fake_github, redis, payload, "/devops refresh")
    assert [pull["outcome"] for pull in summary["pulls"]] == ["options_needed"] and repo.branch_head(INFRA) == head
    reply = bot_comments(repo, 1)[-1]
    assert "cannot be regenerated without the options it was opened with" in reply and "needs a cloud" in reply


def test_recorded_infra_options_no_longer_valid_are_answered_once_and_the_pull_request_left_alone(
        fake_github: FakeGitHub, redis: redis_lib.Redis, aws_hipaa: FakeRepo) -> None:
    repo = aws_hipaa
    pull_on(repo, INFRA)["body"] = record("setup infra", ["aws", "production", "--compliance=hipaa,iso9001",
                                                          "--budget", "-5"])
    head = repo.branch_head(INFRA)

    assert push_config(fake_github, redis, repo, GCP_IN_EU) == {INFRA: "invalid_options"}
    assert push(fake_github, redis, [".devops.yml"]) is not None

    assert repo.branch_head(INFRA) == head
    [answer] = bot_comments(repo, number_of(repo, INFRA))
    assert "`/devops setup infra` options it was opened with are no longer valid" in answer
    assert "`iso9001` is not a compliance framework" in answer and "`--budget` must be" in answer  # every problem


def test_each_bot_pull_request_keeps_its_own_commands_options(
        fake_github: FakeGitHub, redis: redis_lib.Redis, aws_hipaa: FakeRepo, payload: dict[str, Any]) -> None:
    repo = aws_hipaa
    assert comment(fake_github, redis, payload, "/devops setup monitoring datadog")["outcome"] == "opened"

    outcomes = push_config(fake_github, redis, repo, GCP_IN_EU + SLA_AND_ELK)

    assert outcomes == {MONITORING: "updated", INFRA: "updated"}
    assert pull_on(repo, MONITORING)["title"].startswith("Monitoring (datadog):")
    assert '"eu-west-1"' in repo.files_on(INFRA)[TFVARS]


def test_a_push_of_kubernetes_manifests_alone_refreshes_the_infra_pull_request_onto_eks(
        fake_github: FakeGitHub, redis: redis_lib.Redis, aws_hipaa: FakeRepo) -> None:
    # Manifests choose EKS over ECS (the infra design reads them), so a push of nothing else must count.
    repo = aws_hipaa
    assert not any("aws_eks_cluster" in text for text in repo.files_on(INFRA).values())
    repo.commit_on("master", {"k8s/deployment.yaml": DEPLOYMENT}, message="Run on Kubernetes")

    summary = push(fake_github, redis, ["k8s/deployment.yaml"])

    assert summary is not None
    assert {pull["branch"]: pull["outcome"] for pull in summary["pulls"]} == {INFRA: "updated"}
    assert any("aws_eks_cluster" in text for text in repo.files_on(INFRA).values())
    assert "k8s/deployment.yaml" in pull_on(repo, INFRA)["body"]  # the evidence for the choice


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: blog
spec:
  selector:
    matchLabels: {app: blog}
  template:
    metadata:
      labels: {app: blog}
    spec:
      containers:
        - name: blog
          image: ghcr.io/acme/blog:1.0.0
"""
