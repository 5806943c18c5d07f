""".devops.yml: load with positions, validate against schemas/devops.schema.json, typed accessors.

Every problem is reported at once, each at the 1-based line and column of the key or value
it is about, so a check run can annotate the exact spot and a job can stop with the same list.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.events import MappingEndEvent
from ruamel.yaml.events import MappingStartEvent
from ruamel.yaml.events import SequenceEndEvent
from ruamel.yaml.events import SequenceStartEvent
from ruamel.yaml.reader import ReaderError

from bot.config_problems import ConfigProblem
from bot.config_problems import schema_problems
from bot.errors import UserError

CONFIG_PATH = ".devops.yml"
MAX_CONFIG_BYTES = 256 * 1024
MAX_DEPTH = 16  # the deepest valid file nests 7 levels (deploy.apps.<app>.<env>.gate.<key>)
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "devops.schema.json"
LEVELS = ("read", "triage", "write", "maintain", "admin")  # GitHub's repository roles, weakest first
DEFAULT_RULES = {"default": "write", "help": "read"}


class ConfigError(UserError):
    """An invalid .devops.yml: every problem, each with its position."""

    def __init__(self, problems: list[ConfigProblem], *, path: str = CONFIG_PATH) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column, p.message))
        self.path = path
        lines = [f"`{path}` has {_count(len(self.problems))}:"]
        lines += [f"- {path}:{problem.line}:{problem.column}: {problem.message}" for problem in self.problems]
        super().__init__("\n".join(lines))


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of .devops.yml shipped with the bot."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def load_config(text: str, *, path: str = CONFIG_PATH, max_bytes: int = MAX_CONFIG_BYTES) -> RepoConfig:
    """Parse and validate .devops.yml; ConfigError lists every problem with its line and column."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ConfigError([too_large_problem(size, max_bytes)], path=path)
    data = _parse(text, path)
    if data is None:  # an empty file (or only comments) means every default
        data = {}
    validator = Draft202012Validator(schema())
    problems = [problem for error in validator.iter_errors(data) for problem in schema_problems(error, data)]
    if problems:
        raise ConfigError(sorted(set(problems), key=lambda p: (p.line, p.column, p.message)), path=path)
    return RepoConfig(_plain(data))


def too_large_problem(size: int, max_bytes: int = MAX_CONFIG_BYTES) -> ConfigProblem:
    """The one problem of a file too large to read."""
    return ConfigProblem(1, 1, f"the file is {size:,} bytes; the limit is {max_bytes:,} bytes, so it was not read")


def _parse(text: str, path: str) -> Any:
    yaml = YAML(typ="rt", pure=True)  # round-trip: every mapping and list keeps its line/column
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # ruamel warns (reused anchors...): refuse rather than guess
            depth = 0
            for event in yaml.parse(text):
                if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                    depth += 1
                    if depth > MAX_DEPTH:  # the schema is a few levels deep; refuse before recursion does
                        mark = event.start_mark
                        raise ConfigError([ConfigProblem(mark.line + 1, mark.column + 1, f"nested more than "
                                                         f"{MAX_DEPTH} levels deep; no key of this file is")], path=path)
                elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                    depth -= 1
                elif isinstance(event, AliasEvent):  # refusing aliases makes a "billion laughs" harmless
                    mark = event.start_mark
                    raise ConfigError([ConfigProblem(mark.line + 1, mark.column + 1, f"`*{event.anchor}` is an alias; "
                                                     "aliases (`*name`) are not allowed, write the value out")], path=path)
            return yaml.load(text)
    except DuplicateKeyError as error:
        mark, first = error.problem_mark, error.context_mark
        key = str(error.problem).partition('"')[2].partition('"')[0]
        raise ConfigError([ConfigProblem(mark.line + 1, mark.column + 1, f"`{key}` is written twice in one mapping "
                                         f"(first on line {first.line + 1}); keep one")], path=path) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(str(part) for part in (error.context, error.problem) if part) or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise ConfigError([ConfigProblem(line, column, f"YAML syntax: {what}")], path=path) from None
    except ReaderError as error:  # a character YAML does not allow; it knows the offset, not the line
        at = int(error.position)
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        problem = f"YAML syntax: character #x{error.character:04x} is not allowed in YAML" if isinstance(
            error.character, int) else f"YAML syntax: {error.reason}"
        raise ConfigError([ConfigProblem(line, column, problem)], path=path) from None
    except (YAMLError, Warning) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError([ConfigProblem(1, 1, f"YAML syntax: {first}")], path=path) from None


def _plain(value: Any) -> Any:
    """ruamel's commented containers and scalars as plain dicts, lists, str, int, float, bool."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _count(n: int) -> str:
    return "1 problem" if n == 1 else f"{n} problems"


@dataclass(frozen=True)
class RepoConfig:
    """A valid .devops.yml as plain data; an absent file is RepoConfig({})."""

    data: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """False when the repository turned the bot off."""
        return bool(self.data.get("enabled", True))

    @property
    def include_forks(self) -> bool:
        """Whether a fork should be onboarded anyway."""
        return bool(self.data.get("onboarding", {}).get("include_forks", False))

    def ci_defaults(self) -> dict[str, Any]:
        """Inputs for the ci_cd_setup pipeline that the file sets (only those)."""
        ci = self.data.get("ci", {})
        names = {"platform": "ci_platform", "project_type": "project_type", "quality_gates": "quality_gates",
                 "branching_strategy": "branching_strategy", "deployment_targets": "deployment_targets",
                 "test_shards": "test_shards"}
        return {names[key]: json.loads(json.dumps(value)) for key, value in sorted(ci.items())}

    def deploy_rules(self, app: str, environment: str) -> dict[str, Any]:
        """Rules for deploying `app` to `environment`: the app's own rules over every app's."""
        deploy = self.data.get("deploy", {})
        shared = deploy.get("environments", {}).get(environment, {})
        own = deploy.get("apps", {}).get(app, {}).get(environment, {})
        merged = {**shared, **own}
        merged["gate"] = {**shared.get("gate", {}), **own.get("gate", {})}
        if not merged["gate"]:
            del merged["gate"]
        return json.loads(json.dumps(merged))

    def monitoring(self) -> dict[str, Any]:
        """The monitoring section (stack, alert_channels, sla) as written."""
        return json.loads(json.dumps(self.data.get("monitoring", {})))

    def infrastructure(self) -> dict[str, Any]:
        """The infrastructure section (cloud_provider, iac_tool, region, compliance, budget) as written."""
        return json.loads(json.dumps(self.data.get("infrastructure", {})))

    def rule_for(self, command: str) -> str | list[str]:
        """Who may run `command` ("setup ci" or "setup_ci"): a level or a list of logins and @org/teams."""
        name = command.replace("_", " ").strip().lower()
        rules = self.data.get("permissions", {})
        return rules.get(name) or rules.get("default") or DEFAULT_RULES.get(name) or DEFAULT_RULES["default"]

    def teams_for(self, command: str) -> list[str]:
        """The "org/team" slugs the rule for `command` names (membership must be looked up)."""
        rule = self.rule_for(command)
        return sorted(entry[1:].lower() for entry in rule if entry.startswith("@")) if isinstance(rule, list) else []

    def may_run(self, command: str, login: str, permission_level: str,
                teams: tuple[str, ...] | list[str] = ()) -> tuple[bool, str]:
        """(allowed, why) for `login` with repository role `permission_level`, a member of `teams` ("org/team")."""
        from bot import messages

        level = permission_level if permission_level in LEVELS else "none"
        name = command.replace("_", " ")
        if level == "admin":  # admins can edit .devops.yml anyway; never lock them out
            return True, messages.permission_admin()
        rule = self.rule_for(command)
        if isinstance(rule, str):
            if LEVELS.index(rule) <= (LEVELS.index(level) if level in LEVELS else -1):
                return True, messages.permission_level_ok(name, rule)
            return False, messages.permission_level_needed(name, login, rule, permission_level)
        member_of = {team.lower().lstrip("@") for team in teams}
        for entry in rule:
            if entry.lower() == login.lower() or (entry.startswith("@") and entry[1:].lower() in member_of):
                return True, messages.permission_listed(name, entry)
        return False, messages.permission_not_listed(name, login, rule)


def merge_ci_inputs(command_inputs: dict[str, Any], options: dict[str, Any], config: RepoConfig) -> dict[str, Any]:
    """ci_cd_setup inputs: what the command says wins, then .devops.yml; the analysis fills what neither sets."""
    merged = config.ci_defaults()
    for key, value in command_inputs.items():
        if key == "ci_platform" and not options.get("ci_platform") and "ci_platform" in merged:
            continue  # the command carries the default platform when none was written; the file's is a choice
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
