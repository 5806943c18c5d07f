"""Every problem with an infrastructure request at once, each saying what is valid."""

from __future__ import annotations

import math
import re
from typing import Any

from generators.infra import clouds
from generators.infra.model import CLOUDS
from generators.infra.model import COMPUTE_TYPES
from generators.infra.model import ENVIRONMENTS
from generators.infra.model import FRAMEWORKS
from generators.infra.model import IAC_TOOLS
from generators.infra.model import PRIORITIES


def request_problems(cloud: Any, environment: Any, compliance: Any, budget: Any) -> list[str]:
    """Problems with the cloud, environment, compliance frameworks and budget; empty when all are valid."""
    problems: list[str] = []
    if cloud not in CLOUDS:
        problems.append(f"cloud {cloud!r} is unknown; valid clouds: {', '.join(CLOUDS)}")
    elif cloud not in clouds.available():
        problems.append(f"cloud {cloud!r} is not generated yet; available now: {', '.join(clouds.available())}")
    if environment not in ENVIRONMENTS:
        problems.append(f"environment {environment!r} is unknown; valid environments: {', '.join(ENVIRONMENTS)}")
    for framework in compliance or []:
        if framework not in FRAMEWORKS:
            problems.append(f"compliance framework {framework!r} is unknown; valid frameworks: {', '.join(FRAMEWORKS)}")
    budget = budget or {}
    limit = budget.get("monthly_limit")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or math.isnan(limit):
            problems.append(f"budget monthly_limit must be a number of US dollars, not {limit!r}")
        elif limit < 0:
            problems.append(f"budget monthly_limit is {limit:g}; a budget cannot be negative")
        elif math.isinf(limit):
            problems.append("budget monthly_limit must be finite")
    priority = budget.get("optimization_priority")
    if priority is not None and priority not in PRIORITIES:
        problems.append(f"optimization priority {priority!r} is unknown; valid priorities: {', '.join(PRIORITIES)}")
    return problems


def region_problems(cloud: Any, region: Any) -> list[str]:
    """A region must have the shape of the cloud's own region names (empty: the cloud's default region)."""
    if not region or cloud not in clouds.available():
        return []
    where = clouds.cloud(cloud)
    if isinstance(region, str) and re.fullmatch(where.region_pattern, region):
        return []
    return [f"region {region!r} is not {region_kind(cloud)}"]


def region_kind(cloud: str, code: str = "") -> str:
    """'an AWS region name such as us-east-1 or eu-west-1'; `code` wraps the examples (a backtick in Markdown)."""
    where = clouds.cloud(cloud)
    first, second = where.region_examples
    article = "an" if where.title[0] in "AEIOU" else "a"
    return f"{article} {where.title} region name such as {code}{first}{code} or {code}{second}{code}"


def iac_problems(cloud: Any, iac_tool: Any) -> list[str]:
    """The IaC tool must be one the cloud is rendered with (cloudformation is AWS's own)."""
    if iac_tool not in IAC_TOOLS:
        return [f"iac_tool {iac_tool!r} is not generated; valid tools: {', '.join(IAC_TOOLS)}"]
    if cloud in clouds.available() and iac_tool not in clouds.iac_tools(cloud):
        return [f"iac_tool {iac_tool!r} does not render {cloud}; {cloud} is generated with "
                f"{', '.join(clouds.iac_tools(cloud))}"]
    if cloud in CLOUDS and cloud not in clouds.available() and iac_tool != "terraform":
        return [f"iac_tool {iac_tool!r} does not render {cloud}; CloudFormation describes AWS resources only"]
    return []


def compute_problems(compute: Any, cloud_name: Any = "aws", iac_tool: str = "terraform",
                     orchestrator: Any = None) -> list[str]:
    """The compute type, and the orchestrator someone wrote down, must be ones the cloud's renderers build (no
    answer for a cloud that is not generated)."""
    if cloud_name not in clouds.available() or iac_tool not in clouds.iac_tools(cloud_name):
        return []
    where = clouds.output(cloud_name, iac_tool)
    if compute not in where.orchestrators:
        available = ", ".join(where.compute_titles())
        if iac_tool != "terraform" and compute in clouds.cloud(cloud_name).orchestrators:
            return [f"compute type {compute!r} is generated with terraform only on {where.title}; with {iac_tool}: "
                    f"{available}"]
        if compute in COMPUTE_TYPES:
            return [f"compute type {compute!r} is not generated yet on {where.title}; available now: {available}"]
        return [f"compute type {compute!r} is not generated; available: {available}"]
    choices = where.choices(compute)
    if orchestrator is None or orchestrator in choices:
        return []
    named = ", ".join(f"{name} ({where.orchestrator_titles[name]})" for name in choices)
    tool = f" with {iac_tool}" if iac_tool != "terraform" else ""
    if orchestrator in clouds.cloud(cloud_name).choices(compute):
        return [f"orchestrator {orchestrator!r} is generated with terraform only on {where.title}; "
                f"compute type {compute!r}{tool} runs on {named}"]
    if len(choices) == 1 and compute not in clouds.cloud(cloud_name).orchestrator_choices:
        return [f"orchestrator {orchestrator!r} does not apply to compute type {compute!r}, which runs on {named}"]
    return [f"orchestrator {orchestrator!r} is not generated for compute type {compute!r} on {where.title}{tool}; "
            f"choose one of: {named}"]
