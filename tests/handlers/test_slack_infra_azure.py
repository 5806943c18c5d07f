"""Slack `/devops setup infra OWNER/REPO azure production`: queued, then the Azure pull request."""

from __future__ import annotations

from typing import Any

from bot.engine import run_pipeline
from bot.github_client import make_github
from bot.infra_job import BRANCH
from bot.queue import get_queue
from bot.slack_infra import setup_infra_from_slack
from bot.slack_reporter import slack_client
from test_slack_infra import devops_body
from test_slack_infra import no_checkov  # noqa: F401  (an autouse fixture)
from test_slack_infra import web  # noqa: F401  (a fixture)
from tests.conftest import REPOS
from tests.fakes.git_objects import read_directory
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import FAST
from tests.fakes.slack_kit import post


def test_setup_infra_azure_production_opens_the_azure_pull_request(web: Any, fake_github: FakeGitHub) -> None:
    client, conn, slack, settings = web
    response = post(client, devops_body("setup infra acme/blog azure production --budget 2500"))
    assert "Setting up azure infrastructure (production) for acme/blog" in response.get_data(as_text=True)
    [job] = get_queue(conn).get_jobs()
    request = job.args[0]
    assert (request["options"]["cloud_provider"], request["options"]["budget"]) == ("azure", 2500)
    repo = fake_github.add_repo("acme/blog", read_directory(REPOS / "needs-database"))
    summary = setup_infra_from_slack(
        request, repository_for=lambda name: make_github("ghs_test", fake_github.base_url, policy=FAST).get_repo(name),
        client=slack_client(settings), runner=run_pipeline)
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["title"] == "Infrastructure: Terraform for Azure (production and the other environments)"
    assert "within the $2500.00 limit" in pull["body"]
    main = repo.files_on(BRANCH)["infra/azure/modules/compute/main.tf"]
    assert 'resource "azurerm_kubernetes_cluster" "main"' in main and "private_cluster_enabled           = true" in main
