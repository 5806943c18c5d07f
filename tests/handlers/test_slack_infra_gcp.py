"""Slack `/devops setup infra OWNER/REPO gcp production`: queued, then the Google Cloud pull request."""

from __future__ import annotations

from typing import Any

from bot.infra_job import BRANCH
from test_slack_infra import devops_body
from test_slack_infra import no_checkov  # noqa: F401  (an autouse fixture)
from test_slack_infra import run_the_queued_job
from test_slack_infra import web  # noqa: F401  (a fixture)
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_kit import post


def test_setup_infra_gcp_production_opens_the_google_cloud_pull_request(web: Any, fake_github: FakeGitHub) -> None:
    response = post(web[0], devops_body("setup infra acme/blog gcp production --compliance pci_dss"))
    assert "Setting up gcp infrastructure (production) for acme/blog" in response.get_data(as_text=True)
    request, summary, repo = run_the_queued_job(web, fake_github)
    assert (request["options"]["cloud_provider"], request["options"]["environment_type"]) == ("gcp", "production")
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["title"] == "Infrastructure: Terraform for Google Cloud (production and the other environments)"
    files = repo.files_on(BRANCH)
    assert 'resource "google_container_cluster" "main"' in files["infra/gcp/modules/compute/main.tf"]
    assert "## PCI DSS v4.0" in files["docs/compliance.md"]
