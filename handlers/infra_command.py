"""`/devops setup infra CLOUD [ENVIRONMENT] [--compliance F,F] [--budget USD] [--priority P] [--region R] [--iac T]`.

The arguments after `setup infra`, with every problem at once; valid values come from pipelines/infrastructure.yml.
"""

from __future__ import annotations

import math
import re
from typing import Any

from bot import infra_messages
from bot import messages
from bot.pipelines import input_enum
from bot.pipelines import load_pipeline

_ANY_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # the pipeline input's pattern


def parse_setup_infra(words: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Options and problems; options left None are filled from .devops.yml, then the pipeline's defaults."""
    pipeline = infra_messages.PIPELINE
    options: dict[str, Any] = {"cloud_provider": None, "environment_type": None, "compliance": None, "budget": None,
                               "priority": None, "region": None, "iac_tool": None}
    problems: list[str] = []
    positional: list[str] = []
    seen: set[str] = set()
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("--"):
            positional.append(word)
            continue
        name, has_value, value = word.partition("=")
        name = name.lower()
        if name not in infra_messages.OPTIONS:
            problems.append(infra_messages.unknown_option(name))
            continue
        if not has_value:
            if index >= len(words) or words[index].startswith("--"):
                problems.append(messages.missing_value(name))
                continue
            value = words[index]
            index += 1
        if name in seen:
            problems.append(messages.repeated_option(name))
            continue
        seen.add(name)
        if name == "--compliance":
            frameworks = load_pipeline(pipeline)["inputs"]["compliance_requirements"]["items"]["enum"]
            options["compliance"] = _frameworks(value, list(frameworks), problems)
        elif name == "--budget":
            options["budget"] = _budget(value, problems)
        elif name == "--priority":
            options["priority"] = _choice(value, input_enum(pipeline, "budget_constraints.optimization_priority"),
                                          "optimization priority", problems)
        elif name == "--iac":
            options["iac_tool"] = _choice(value, input_enum(pipeline, "iac_tool"), "IaC tool", problems)
        else:
            options["region"] = value.lower()  # its shape depends on the cloud: checked below
    clouds = input_enum(pipeline, "cloud_provider")
    if not positional:
        problems.insert(0, infra_messages.needs_cloud(clouds))
    else:
        cloud = _choice(positional[0], clouds, "cloud", problems)
        if cloud is not None and cloud not in infra_messages.available_clouds():
            problems.append(infra_messages.cloud_not_generated(cloud))
        options["cloud_provider"] = cloud
        if cloud is not None and options["iac_tool"]:
            problems += infra_messages.iac_tool_problems(cloud, options["iac_tool"])
    if options["region"] is not None:
        problems += _region_problems(options, cloud if positional else None)
    if len(positional) > 1:
        options["environment_type"] = _choice(positional[1], input_enum(pipeline, "environment_type"),
                                              "environment", problems)
    problems += [messages.unexpected_argument(word) for word in positional[2:]]
    return options, problems



def setup_infra_words(options: dict[str, Any]) -> list[str]:
    """The `setup infra` arguments that parse back to `options`: the command in its normal form."""
    words = [str(options[key]) for key in ("cloud_provider", "environment_type") if options.get(key)]
    if options.get("compliance") is not None:
        # `--compliance=` with nothing after it is an explicit "none", which still overrides .devops.yml
        words.append(f"--compliance={','.join(options['compliance'])}")
    for name, key in (("--budget", "budget"), ("--priority", "priority"), ("--region", "region"),
                      ("--iac", "iac_tool")):
        if options.get(key) is not None:
            words += [name, str(options[key])]
    return words

def _region_problems(options: dict[str, Any], cloud: str | None) -> list[str]:
    """The region in the shape of the cloud's names; without a known cloud, a name that is safe to write anywhere."""
    region = options["region"]
    if cloud in infra_messages.available_clouds():
        if not infra_messages.is_region_of(cloud, region):
            options["region"] = None
            return [infra_messages.bad_region(region, cloud)]
        return []
    if not _ANY_REGION.fullmatch(region):
        options["region"] = None
        return [infra_messages.bad_region(region, None)]
    return []


def _choice(value: str, valid: list[str], what: str, problems: list[str]) -> str | None:
    normal = value.lower().replace("-", "_")
    if normal in valid:
        return normal
    problems.append(messages.invalid_choice(what, value, valid))
    return None


def _frameworks(value: str, valid: list[str], problems: list[str]) -> list[str]:
    chosen: list[str] = []
    for part in filter(None, (item.strip().lower().replace("-", "_") for item in value.split(","))):
        if part not in valid:
            problems.append(infra_messages.unknown_framework(part, valid))
        elif part not in chosen:
            chosen.append(part)
    return chosen


def _budget(value: str, problems: list[str]) -> float | None:
    try:
        number = float(value.lstrip("$").replace(",", ""))
    except ValueError:
        number = math.nan
    if not (0 <= number < math.inf):  # also false for nan
        problems.append(infra_messages.bad_budget(value))
        return None
    return int(number) if number.is_integer() else number
