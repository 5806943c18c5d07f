"""`/devops setup infra`: parsed in comments with every problem at once, run as a job against the fake GitHub."""

from __future__ import annotations

from typing import Any

import pytest

from bot import messages
from bot.engine import run_pipeline
from bot.errors import InputError
from bot.github_client import CallCounter
from bot.github_client import make_github
from bot.infra_job import BRANCH
from bot.infra_job import infra_inputs
from bot.config import load_config
from bot.jobs import Deps
from bot.jobs import run_github_command
from handlers.commands import parse_comment
from tests.conftest import REPOS
from tests.conftest import github_payload
from tests.fakes.github_server import FakeGitHub
from tests.fakes.job_kit import FAST
from tests.fakes.job_kit import command_request

OPTIONS = {"cloud_provider": "aws", "environment_type": "production", "compliance": ["hipaa"], "budget": 300,
           "priority": None, "region": None}


@pytest.fixture(autouse=True)
def no_checkov(monkeypatch: pytest.MonkeyPatch) -> None:
    """checkov takes about 20 s a run here; test_infra_terraform.py runs it on the same generated code."""
    monkeypatch.setattr("bot.iac_checks.checkov_binary", lambda: None)


@pytest.fixture
def payload() -> dict[str, Any]:
    return github_payload("issue_comment", "created.with-installation.payload.json")


def seed(fake: FakeGitHub, payload: dict[str, Any], body: str, extra: dict[str, str] | None = None) -> Any:
    from tests.fakes.git_objects import read_directory

    repository = payload["repository"]
    files = {**read_directory(REPOS / "needs-database"), **{k: v.encode() for k, v in (extra or {}).items()}}
    repo = fake.add_repo(repository["full_name"], files, default_branch=repository["default_branch"],
                         repo_id=repository["id"])
    comment = payload["comment"]
    repo.add_comment(payload["issue"]["number"], comment["id"], body, comment["user"]["login"])
    repo.grant(comment["user"]["login"], "write")
    return repo


def deps(fake: FakeGitHub) -> Deps:
    counter = CallCounter()
    return Deps(github=make_github("ghs_test", fake.base_url, counter=counter, policy=FAST), job_id="github-job-7",
                counter=counter, memo={}, status_interval=3600, runner=run_pipeline)


def bot_comments(repo: Any) -> list[str]:
    return [c["body"] for c in repo.comments_on(1) if c["user"].endswith("[bot]")]


def test_setup_infra_parses_cloud_environment_and_options() -> None:
    command = parse_comment("/devops setup infra aws staging --compliance hipaa,pci-dss --budget 2000 --priority cost")
    assert command.kind == "setup_infra"
    assert command.options == {"cloud_provider": "aws", "environment_type": "staging",
                               "compliance": ["hipaa", "pci_dss"], "budget": 2000, "priority": "cost",
                               "region": None, "iac_tool": None}
    assert parse_comment("/devops setup infra aws --budget=$1,500.50").options["budget"] == 1500.5


def test_every_problem_of_a_setup_infra_command_is_answered_at_once() -> None:
    with pytest.raises(InputError) as caught:
        parse_comment("/devops setup infra oracle dr --compliance hipaa,iso27001 --budget -5 --priority fast")
    assert caught.value.problems == [
        "`iso27001` is not a compliance framework I map; use one or more of `hipaa`, `pci_dss`, `sox`, `gdpr`, "
        "`fedramp`.",
        "`--budget` must be a monthly amount in US dollars, 0 or more (such as `2000`), not `-5`.",
        messages.invalid_choice("optimization priority", "fast", ["performance", "cost", "balanced"]),
        messages.invalid_choice("cloud", "oracle", ["aws", "azure", "gcp", "multi_cloud"]),
        messages.invalid_choice("environment", "dr", ["development", "staging", "production"]),
    ]


def test_a_cloud_is_required_and_one_not_generated_yet_is_named() -> None:
    with pytest.raises(InputError, match="`setup infra` needs a cloud"):
        parse_comment("/devops setup infra")
    from generators.infra.clouds import available

    listed = ", ".join(f"`{name}`" for name in available())
    with pytest.raises(InputError, match=f"`multi_cloud` infrastructure is not generated yet; available now: {listed}"):
        parse_comment("/devops setup infra multi_cloud")


def test_setup_infra_azure_production_is_parsed() -> None:
    command = parse_comment("/devops setup infra azure production")
    assert (command.options["cloud_provider"], command.options["environment_type"]) == ("azure", "production")


def test_unknown_options_and_bad_regions_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        parse_comment("/devops setup infra aws --fast --region mars")
    assert caught.value.problems == [
        "`--fast` is not an option of `setup infra`; the options are `--compliance`, `--budget`, `--priority`, "
        "`--region`, `--iac`.",
        "`mars` is not an AWS region name such as `us-east-1` or `eu-west-1`."]


@pytest.mark.parametrize("cloud, region", [("aws", "us-gov-west-1"), ("aws", "eu-central-2"), ("gcp", "europe-west1"),
                                           ("gcp", "northamerica-northeast2"), ("azure", "westeurope"),
                                           ("azure", "eastus2")])
def test_each_cloud_takes_its_own_region_names(cloud: str, region: str) -> None:
    assert parse_comment(f"/devops setup infra {cloud} --region {region}").options["region"] == region


@pytest.mark.parametrize("cloud, region, kind", [
    ("aws", "europe-west1", "an AWS region name such as `us-east-1` or `eu-west-1`"),
    ("gcp", "eastus", "a Google Cloud region name such as `us-central1` or `europe-west1`"),
    ("azure", "eu-west-1", "an Azure region name such as `eastus` or `westeurope`"),
])
def test_another_cloud_s_region_name_is_refused_with_this_cloud_s_examples(cloud: str, region: str,
                                                                           kind: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_comment(f"/devops setup infra {cloud} --region {region}")
    assert caught.value.problems == [f"`{region}` is not {kind}."]


def test_without_a_known_cloud_only_a_name_safe_to_write_anywhere_passes() -> None:
    with pytest.raises(InputError) as caught:
        parse_comment("/devops setup infra oracle --region a;b")
    assert caught.value.problems[-1] == "`a;b` is not a region name such as `us-east-1`, `europe-west1` or `westeurope`."


def test_help_lists_setup_infra() -> None:
    text = messages.help_text()
    assert "`/devops setup infra CLOUD [ENVIRONMENT] [--compliance F,F] [--budget USD] [--priority P]" in text
    assert "`P`: `performance`, `cost`, `balanced` (default)" in text


def test_the_command_wins_over_devops_yml_which_wins_over_defaults() -> None:
    config = load_config("infrastructure:\n  cloud_provider: aws\n  region: eu-west-1\n  compliance: [gdpr]\n"
                         "  budget: 900\n  optimization_priority: performance\n"
                         "  application_requirements:\n    storage:\n      types: [mysql]\n")
    inputs = infra_inputs("p", {**OPTIONS, "compliance": None, "budget": 100}, config)
    assert inputs["compliance_requirements"] == ["gdpr"] and inputs["region"] == "eu-west-1"
    assert inputs["budget_constraints"] == {"monthly_limit": 100, "optimization_priority": "performance"}
    assert inputs["application_requirements_source"] == ".devops.yml"


def test_the_job_opens_one_pull_request_on_devops_bot_infra(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload, "/devops setup infra aws production --compliance hipaa --budget 300")
    request = command_request(payload, "setup_infra", **OPTIONS)
    summary = run_github_command(request, deps=deps(fake_github))
    assert summary["outcome"] == "opened"
    [pull] = repo.open_pulls()
    assert (pull["head"], pull["base"]) == (BRANCH, payload["repository"]["default_branch"])
    assert "**Over budget:** production is estimated at $" in pull["body"]
    assert "- checkov production, bootstrap: not run (checkov is not installed where the bot runs)" in pull["body"]
    assert "exceeds the $300.00 limit by" in pull["body"]
    assert "| database | `postgres` | `blog/settings.py`" in pull["body"]
    files = repo.files_on(BRANCH)
    assert "infra/aws/environments/production/terraform.tfvars" in files
    assert "## HIPAA Security Rule" in files["docs/compliance.md"]
    assert f"Opened pull request #{summary['pull_request']} with the infrastructure code" in bot_comments(repo)[-1]
    again = run_github_command(request, deps=deps(fake_github))
    assert again["outcome"] == "unchanged" and len(repo.open_pulls()) == 1


def test_an_invalid_devops_yml_infrastructure_section_stops_the_job(fake_github: FakeGitHub,
                                                                    payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload, "/devops setup infra aws", {".devops.yml": "infrastructure:\n  budget: -4\n"})
    summary = run_github_command(command_request(payload, "setup_infra", **OPTIONS), deps=deps(fake_github))
    assert summary["outcome"] == "not_allowed" and repo.open_pulls() == []  # refused with the problem report
    assert ".devops.yml:2:" in bot_comments(repo)[-1] and "budget" in bot_comments(repo)[-1]


def test_someone_without_write_access_is_refused(fake_github: FakeGitHub, payload: dict[str, Any]) -> None:
    repo = seed(fake_github, payload, "/devops setup infra aws")
    repo.grant(payload["comment"]["user"]["login"], "read")
    summary = run_github_command(command_request(payload, "setup_infra", **OPTIONS), deps=deps(fake_github))
    assert summary["outcome"] == "not_allowed" and repo.open_pulls() == []


def test_iac_cloudformation_is_parsed_and_refused_for_another_cloud_or_tool() -> None:
    assert parse_comment("/devops setup infra aws --iac CloudFormation").options["iac_tool"] == "cloudformation"
    with pytest.raises(InputError) as caught:
        parse_comment("/devops setup infra aws --iac pulumi")
    assert caught.value.problems == [messages.invalid_choice("IaC tool", "pulumi", ["terraform", "cloudformation"])]
    with pytest.raises(InputError) as caught:
        parse_comment("/devops setup infra gcp staging --iac cloudformation")
    assert caught.value.problems == ["iac_tool 'cloudformation' does not render gcp; gcp is generated with terraform."]


def test_the_iac_tool_comes_from_the_command_then_devops_yml() -> None:
    config = load_config("infrastructure:\n  cloud_provider: aws\n  iac_tool: cloudformation\n")
    assert infra_inputs("p", dict(OPTIONS), config)["iac_tool"] == "cloudformation"
    assert infra_inputs("p", {**OPTIONS, "iac_tool": "terraform"}, config)["iac_tool"] == "terraform"
    assert "iac_tool" not in infra_inputs("p", dict(OPTIONS), load_config("infrastructure:\n  cloud_provider: aws\n"))
