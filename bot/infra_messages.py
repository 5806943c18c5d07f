"""What people see about `/devops setup infra` on GitHub (and the CLI)."""

from __future__ import annotations

from bot.templating import markdown_code
from generators.infra.clouds import available as available_clouds
from generators.infra.validate import iac_problems
from generators.infra.validate import region_kind
from generators.infra.validate import region_problems

PIPELINE = "infrastructure"
DEFAULT_ENVIRONMENT = "production"
OPTIONS = ("--compliance", "--budget", "--priority", "--region", "--iac")


def needs_cloud(valid: list[str]) -> str:
    """A problem line: `setup infra` without a cloud."""
    return f"`setup infra` needs a cloud, as in `setup infra aws production`; clouds: {_list(valid)}."


def cloud_not_generated(cloud: str) -> str:
    """A problem line: a cloud the pipeline knows but does not generate yet."""
    return (f"{markdown_code(cloud)} infrastructure is not generated yet; available now: "
            f"{_list(list(available_clouds()))}.")


def iac_tool_problems(cloud: str, iac_tool: str) -> list[str]:
    """Problem lines: an IaC tool that does not render the cloud."""
    return [f"{problem}." for problem in iac_problems(cloud, iac_tool)]


def unknown_framework(value: str, valid: list[str]) -> str:
    """A problem line: a compliance framework that does not exist."""
    return f"{markdown_code(value)} is not a compliance framework I map; use one or more of {_list(valid)}."


def bad_budget(value: str) -> str:
    """A problem line: --budget is not a non-negative number."""
    return f"`--budget` must be a monthly amount in US dollars, 0 or more (such as `2000`), not {markdown_code(value)}."


def unknown_option(option: str) -> str:
    """A problem line: an option `setup infra` does not have."""
    return f"{markdown_code(option)} is not an option of `setup infra`; the options are {_list(list(OPTIONS))}."


def is_region_of(cloud: str, region: str) -> bool:
    """Whether the region has the shape of the (generated) cloud's region names."""
    return not region_problems(cloud, region)


def bad_region(value: str, cloud: str | None) -> str:
    """A problem line: a region that is not a name of the cloud's (or, without a cloud, of any cloud's) regions."""
    if cloud is None:
        return f"{markdown_code(value)} is not a region name such as `us-east-1`, `europe-west1` or `westeurope`."
    return f"{markdown_code(value)} is not {region_kind(cloud, code='`')}."


def heading(cloud: str, environment: str) -> str:
    """Heading of the status comment of a `setup infra` run."""
    return f"Setting up {markdown_code(cloud)} infrastructure for {markdown_code(environment)}."


def started(cloud: str, environment: str) -> str:
    """First text of the status comment."""
    return f"Setting up {markdown_code(cloud)} infrastructure for {markdown_code(environment)}: reading the repository…"


def outcome(kind: str, number: int | None, url: str | None, branch: str) -> str:
    """Final status: the pull request opened, updated or unchanged, or nothing to propose."""
    from bot import messages

    return messages.publish_outcome(kind, number, url, branch, what="the infrastructure code")


def _list(values: list[str]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def slack_queued(repository: str, options: dict[str, object]) -> str:
    """Slack ack of `/devops setup infra owner/repo cloud ...`."""
    environment = options.get("environment_type") or DEFAULT_ENVIRONMENT
    return (f"Setting up {options.get('cloud_provider')} infrastructure ({environment}) for {repository}; I will post "
            "the pull request here.")


def slack_usage() -> str:
    """Slack help for /devops setup infra."""
    return ("`/devops setup infra OWNER/REPO CLOUD [ENVIRONMENT] [--compliance hipaa,pci_dss] [--budget USD] "
            "[--priority cost|balanced|performance] [--region R] [--iac terraform|cloudformation]` opens a pull "
            "request with Terraform (or CloudFormation for aws) for the "
            "environments, a compliance mapping and a cost estimate. CLOUD: aws.")
