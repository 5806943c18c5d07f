"""Slack `/devops setup infra OWNER/REPO azure production`: queued, then the Azure pull request."""

from __future__ import annotations

from typing import Any

from bot.infra_job import BRANCH
from test_slack_infra import devops_body
from test_slack_infra import no_checkov  # noqa: F401  (an autouse fixture)
from test_slack_infra import run_the_queued_job
from test_slack_infra import web  # noqa: F401  (a fixture)
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_kit import post


def test_setup_infra_azure_production_opens_the_azure_pull_request(web: Any, fake_github: FakeGitHub) -> None:
    client = web[0]
    response = post(client, devops_body("setup infra acme/blog azure production --budget 2500"))
    assert "Setting up azure infrastructure (production) for acme/blog" in response.get_data(as_text=True)
    request, summary, repo = run_the_queued_job(web, fake_github)
    assert (request["options"]["cloud_provider"], request["options"]["budget"]) == ("azure", 2500)
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["title"] == "Infrastructure: Terraform for Azure (production and the other environments)"
    assert "within the $2500.00 limit" in pull["body"]
    main = repo.files_on(BRANCH)["infra/azure/modules/compute/main.tf"]
    assert 'resource "azurerm_kubernetes_cluster" "main"' in main and "private_cluster_enabled           = true" in main
