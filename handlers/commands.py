"""The `/devops …` grammar in GitHub comments.

    /devops setup ci [PLATFORM] [--type TYPE] [--coverage N] [--branching STRATEGY]
                     [--deploy ENV:PLATFORM[:REGION]]... [--no-security] [--shards N]
    /devops setup monitoring [STACK]
    /devops setup infra CLOUD [ENVIRONMENT] [--compliance F,F] [--budget USD] [--priority P] [--region R] [--iac T]
    /devops help | status | onboard | refresh

The command must start a line of the comment; quoted lines (`> …`), fenced code blocks and
indented code are skipped, so quoting someone's command does not run it again.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from bot import messages
from bot.errors import InputError
from bot.pipelines import input_enum
from bot.pipelines import load_pipeline

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMAND = re.compile(r"^ {0,3}/devops(?:\s+(.*))?$")
# Option -> (request option key, pipeline input whose enum it must match, or None for coverage).
_OPTIONS: dict[str, tuple[str, str | None]] = {
    "--type": ("project_type", "project_type"),
    "--coverage": ("coverage", None),
    "--branching": ("branching", "branching_strategy"),
    "--deploy": ("deployment_targets", None),  # repeatable: one per environment
    "--no-security": ("security_scan_required", None),  # a flag without a value
    "--shards": ("test_shards", None),  # set only when given, so requests without it keep their shape
}
_REPEATABLE = frozenset({"--deploy"})
_FLAGS = frozenset({"--no-security"})
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
# Commands of one word without arguments; each is its own job kind. The table is messages.COMMANDS.
_NO_ARGUMENTS = frozenset(name for name in messages.command_names() if " " not in name)
_WHAT = {"ci_platform": "CI platform", "project_type": "project type", "branching_strategy": "branching strategy",
         "deployment_targets.environment": "deployment environment",
         "deployment_targets.platform": "deployment platform"}


@dataclass(frozen=True)
class Command:
    """A parsed command: `kind` is "setup_ci", "help", "status", "onboard" or "refresh"; options hold option values."""

    kind: str
    options: dict[str, Any] = field(default_factory=lambda: empty_options())


def empty_options() -> dict[str, Any]:
    """The option keys every request carries, unset."""
    return {"ci_platform": None, "project_type": None, "coverage": None, "branching": None,
            "deployment_targets": None, "security_scan_required": None}


def find_command_line(body: str) -> str | None:
    """The text after `/devops` on the first line that starts with it, outside quotes and code."""
    fence: str | None = None
    for line in body.splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        match = _COMMAND.match(line)
        if match:
            return (match.group(1) or "").strip()
    return None


def parse_comment(body: str | None) -> Command | None:
    """The command in a comment, None when there is none; InputError lists every problem."""
    if not body:
        return None
    text = find_command_line(body)
    if text is None:
        return None
    words = text.split()
    if not words or words[0].lower() in _NO_ARGUMENTS:
        extra = words[1:]
        if extra:
            raise _error([messages.unexpected_argument(word) for word in extra])
        return Command(words[0].lower() if words else "help")
    if words[0].lower() != "setup":
        raise _error([messages.unknown_command(words[0])])
    target = words[1].lower() if len(words) > 1 else None
    if target not in SETUP_TARGETS:
        raise _error([messages.setup_needs_target(words[1] if len(words) > 1 else None)])
    return Command(f"setup_{target}", parse_setup(target, words[2:]))


SETUP_TARGETS = ("ci", "monitoring", "infra")


def parse_setup(target: str, words: list[str]) -> dict[str, Any]:
    """Options of `setup TARGET` from the words after it; InputError lists every problem."""
    if target == "ci":
        return parse_setup_ci(words)
    if target == "monitoring":
        from handlers.monitoring_command import parse_setup_monitoring as parse
    else:
        from handlers.infra_command import parse_setup_infra as parse
    options, problems = parse(words)
    if problems:
        raise _error(problems)
    return options


def setup_words(target: str, options: dict[str, Any]) -> list[str]:
    """The `setup TARGET` arguments that `parse_setup` reads back as `options`: the command in its normal form."""
    from handlers.infra_command import setup_infra_words
    from handlers.monitoring_command import setup_monitoring_words

    words_of = {"ci": setup_ci_words, "monitoring": setup_monitoring_words, "infra": setup_infra_words}
    return words_of[target](options)


def setup_ci_words(options: dict[str, Any]) -> list[str]:
    """The `setup ci` arguments that parse back to `options`: the command in its normal form."""
    words = [str(options["ci_platform"])] if options.get("ci_platform") else []
    for name, (key, _) in _OPTIONS.items():
        value = options.get(key)
        if value is None:
            continue
        if name in _FLAGS:
            words += [name] if value is False else []
        elif name in _REPEATABLE:
            for target in value:
                parts = [target[part] for part in ("environment", "platform", "region") if target.get(part)]
                words += [name, ":".join(str(part) for part in parts)]
        else:
            words += [name, str(value)]
    return words


def parse_setup_ci(words: list[str]) -> dict[str, Any]:
    """Options of `setup ci` from the words after it; InputError lists every problem."""
    options = empty_options()
    problems: list[str] = []
    seen: set[str] = set()
    positional = 0
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("--"):
            positional += 1
            if positional > 1:
                problems.append(messages.unexpected_argument(word))
            else:
                options["ci_platform"] = _choice("ci_platform", word, problems)
            continue
        name, has_value, value = word.partition("=")
        name = name.lower()
        if name not in _OPTIONS:
            problems.append(messages.unknown_option(name))
            continue
        if name in _FLAGS:
            if has_value:
                problems.append(messages.flag_takes_no_value(name))
            elif name in seen:
                problems.append(messages.repeated_option(name))
            seen.add(name)
            options[_OPTIONS[name][0]] = False
            continue
        if not has_value:
            if index >= len(words) or words[index].startswith("--"):
                problems.append(messages.missing_value(name))
                continue
            value = words[index]
            index += 1
        if name in _REPEATABLE:
            _deploy_target(value, options, problems)
            continue
        if name in seen:
            problems.append(messages.repeated_option(name))
            continue
        seen.add(name)
        key, enum_input = _OPTIONS[name]
        if name == "--shards":
            options[key] = _shards(value, problems)
            continue
        options[key] = _choice(enum_input, value, problems) if enum_input else _coverage(value, problems)
    if problems:
        raise _error(problems)
    return options


def _choice(input_name: str, value: str, problems: list[str]) -> str | None:
    valid = input_enum(messages.CI_PIPELINE, input_name)
    normal = value.lower().replace("-", "_")
    if normal in valid:
        return normal
    problems.append(messages.invalid_choice(_WHAT[input_name], value, valid))
    return None


def _deploy_target(value: str, options: dict[str, Any], problems: list[str]) -> None:
    """One `--deploy ENV:PLATFORM[:REGION]`, appended to the options' deployment targets."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        problems.append(messages.bad_deploy_target(value))
        return
    before = len(problems)
    environment = _choice("deployment_targets.environment", parts[0], problems)
    platform = _choice("deployment_targets.platform", parts[1], problems)
    region = parts[2].lower() if len(parts) == 3 else None
    if region is not None and not _REGION.fullmatch(region):
        problems.append(messages.bad_region(parts[2]))
    targets = options["deployment_targets"] = options["deployment_targets"] or []
    if environment and any(target["environment"] == environment for target in targets):
        problems.append(messages.repeated_environment(environment))
    if len(problems) == before:
        targets.append({"environment": environment, "platform": platform, "region": region})


def _coverage(value: str, problems: list[str]) -> int | float | None:
    try:
        number = float(value.rstrip("%"))
    except ValueError:
        number = math.nan
    if not (0 <= number <= 100):  # also false for nan
        problems.append(messages.bad_coverage(value))
        return None
    return int(number) if number.is_integer() else number


def _shards(value: str, problems: list[str]) -> int | None:
    spec = load_pipeline(messages.CI_PIPELINE)["inputs"]["test_shards"]
    if not value.isdigit() or not spec["minimum"] <= int(value) <= spec["maximum"]:
        problems.append(messages.bad_shards(value, spec["minimum"], spec["maximum"]))
        return None
    return int(value)


def _error(problems: list[str]) -> InputError:
    return InputError(problems, heading=messages.problems_heading())
