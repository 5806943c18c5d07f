"""Slack `/devops setup infra OWNER/REPO gcp production`: queued, then the Google Cloud pull request."""

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


def test_setup_infra_gcp_production_opens_the_google_cloud_pull_request(web: Any, fake_github: FakeGitHub) -> None:
    client, conn, slack, settings = web
    response = post(client, devops_body("setup infra acme/blog gcp production --compliance pci_dss"))
    assert "Setting up gcp infrastructure (production) for acme/blog" in response.get_data(as_text=True)
    [job] = get_queue(conn).get_jobs()
    request = job.args[0]
    assert request["options"]["cloud_provider"] == "gcp" and request["options"]["environment_type"] == "production"
    repo = fake_github.add_repo("acme/blog", read_directory(REPOS / "needs-database"))
    summary = setup_infra_from_slack(
        request, repository_for=lambda name: make_github("ghs_test", fake_github.base_url, policy=FAST).get_repo(name),
        client=slack_client(settings), runner=run_pipeline)
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert pull["title"] == "Infrastructure: Terraform for Google Cloud (production and the other environments)"
    files = repo.files_on(BRANCH)
    assert "infra/gcp/modules/compute/main.tf" in files and "google_container_cluster" in files[
        "infra/gcp/modules/compute/main.tf"]
    assert "## PCI DSS v4.0" in files["docs/compliance.md"]
