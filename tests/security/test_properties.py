"""Property-based tests: whatever a person types, the parsers and loaders answer or refuse clearly, never crash.

"Clearly" means a result, or an error the bot shows as it is (UserError and its subclasses: InputError,
ConfigError); any other exception would become a generic failure with a job id.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from bot.config import LEVELS
from bot.config import ConfigError
from bot.config import RepoConfig
from bot.config import load_config
from bot.config import merge_ci_inputs
from bot.config import schema
from bot.deploy_apps import parse_apps
from bot.errors import UserError
from bot.inputs import validate_inputs
from bot.pipelines import available_pipelines
from bot.pipelines import load_pipeline
from handlers.commands import Command
from handlers.commands import parse_comment
from handlers.slack import parse_deploy
from handlers.slack_devops import parse_devops
from tests.fakes.slack_kit import apps_yaml

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words the grammars know, so generated text reaches deep into them rather than failing on the first word.
WORDS = ["/devops", "setup", "ci", "monitoring", "infra", "help", "status", "onboard", "refresh", "jenkins",
         "github_actions", "gitlab_ci", "--type", "--coverage", "--branching", "--deploy", "--no-security",
         "--shards", "--compliance", "--budget", "--priority", "--region", "aws", "gcp", "azure", "staging:ecs",
         "production:kubernetes:eu-west-1", "=", "100", "-1", "nan", "1e309", "85%", "```", "~~~", ">", "\n",
         "checkout", "to", "staging", "production", "@v2", "canary", "blue_green", "rolling", "abort", "promote",
         "acme/shop", "prometheus", "datadog", "${{ github.token }}", "{{ 7*7 }}", "'; rm -rf /", "\u0000", "\u202e"]
phrases = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=14).map(" ".join)
any_text = st.one_of(st.text(max_size=400), phrases, phrases.map(lambda text: "/devops " + text))


@FAST
@given(any_text)
def test_any_comment_gives_a_command_nothing_or_a_clear_error(body: str) -> None:
    try:
        command = parse_comment(body)
    except UserError as error:
        assert str(error).strip()
        return
    assert command is None or isinstance(command, Command) and command.kind


@FAST
@given(st.lists(st.sampled_from(WORDS[1:]), min_size=1, max_size=10).map(lambda words: "/devops " + " ".join(words)))
def test_any_devops_line_of_known_words_gives_a_command_or_a_clear_error(body: str) -> None:
    try:
        assert isinstance(parse_comment(body), Command)
    except UserError as error:
        assert str(error).strip()


def _apps() -> dict[str, Any]:
    from ruamel.yaml import YAML

    return parse_apps(YAML(typ="safe").load(apps_yaml("http://127.0.0.1:9")))


APPS = _apps()


@FAST
@given(any_text)
def test_any_deploy_text_gives_a_plan_or_a_clear_error(text: str) -> None:
    try:
        parsed = parse_deploy(text, APPS)
    except UserError as error:
        assert str(error).strip()
        return
    assert parsed["app"] in APPS and parsed["environment"] in APPS[parsed["app"]].environments


@FAST
@given(any_text)
def test_any_devops_slash_text_gives_a_request_help_or_problems(text: str) -> None:
    request, problems = parse_devops(text)
    assert request is None or not problems
    assert all(isinstance(problem, str) and problem for problem in problems)


def _yaml_texts() -> st.SearchStrategy[str]:
    keys = st.one_of(st.sampled_from([*schema()["properties"], "apps", "staging", "default", "platform", "stack",
                                      "teams", "setup ci", "approvers", "<<", "&a", "*a"]), st.text(max_size=8))
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                        st.sampled_from(LEVELS))
    structures = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                               st.dictionaries(keys, inner, max_size=4)), max_leaves=25)
    as_json = structures.map(lambda value: json.dumps(value, allow_nan=True))
    yaml_bits = st.sampled_from(["a: &x 1\nb: *x\n", "a: |\n  x\n  y\n", "? [1]\n: 2\n", "- !!python/object {}\n",
                                 "%YAML 1.1\n---\n", "a: b: c\n", "\t- x\n", "ci: {default: [}\n", "\ufeffenabled: 1\n",
                                 "a: 1\na: 2\n", "!!binary x", "--- !tag\n", "[" * 40, "{a: " * 20])
    return st.one_of(st.text(max_size=300), as_json, yaml_bits, st.lists(yaml_bits, max_size=4).map("".join))


@SLOW
@given(_yaml_texts())
def test_any_devops_yml_text_loads_or_gives_positioned_problems(text: str) -> None:
    try:
        config = load_config(text)
    except ConfigError as error:
        assert error.problems and all(problem.line >= 1 and problem.column >= 1 for problem in error.problems)
        return
    _use(config)


def _use(config: RepoConfig) -> None:
    """Every accessor of a loaded config answers without raising."""
    assert isinstance(config.enabled, bool) and isinstance(config.include_forks, bool)
    config.ci_defaults()
    config.monitoring()
    config.infrastructure()
    for command in ("setup ci", "help", "deploy", "anything"):
        config.rule_for(command)
        config.teams_for(command)
        config.may_run(command, "someone", "write")
    config.deploy_rules("checkout", "production")
    merge_ci_inputs({}, {}, config)


PIPELINES = {name: load_pipeline(name)["inputs"] for name in available_pipelines()}
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=12)


@st.composite
def pipeline_inputs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(PIPELINES)))
    known = st.sampled_from(sorted(PIPELINES[name]))
    given_inputs = draw(st.dictionaries(st.one_of(known, st.text(max_size=6)), json_values, max_size=8))
    return name, given_inputs


@SLOW
@given(pipeline_inputs())
def test_any_pipeline_inputs_validate_or_list_every_problem(case: tuple[str, dict[str, Any]]) -> None:
    name, given_inputs = case
    try:
        values = validate_inputs(PIPELINES[name], given_inputs)
    except UserError as error:
        assert getattr(error, "problems", None), str(error)
        return
    assert set(values) <= set(PIPELINES[name])
