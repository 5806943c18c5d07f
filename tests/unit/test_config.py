""".devops.yml: the schema, loading with positions, every kind of bad file, and what a valid file gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot.config import ConfigError
from bot.config import ConfigProblem
from bot.config import RepoConfig
from bot.config import load_config
from bot.config import schema
from bot.errors import UserError
from bot.pipelines import available_pipelines
from bot.pipelines import input_enum
from bot.pipelines import load_pipeline

ROOT = Path(__file__).resolve().parents[2]


FULL = """\
# yaml-language-server: $schema=./schemas/devops.schema.json
enabled: false
ci:
  platform: gitlab_ci
  project_type: api
  quality_gates: {test_coverage_threshold: 72.5, security_scan_required: false, performance_benchmarks: true}
  branching_strategy: gitflow
  deployment_targets:
    - {environment: production, platform: kubernetes, region: eu-west-1}
deploy:
  environments:
    production:
      approvers: ["@acme/ops", U024BE7LH]
      allow_self_approval: false
      strategy: canary
      manual_approval_points: ["25%", "50%"]
      gate: {timeout_minutes: 60, on_timeout: rollback}
  apps:
    api:
      production:
        approvers: [alice]
        gate: {timeout_minutes: 30}
permissions:
  default: maintain
  help: read
  deploy: [alice, "@acme/ops"]
monitoring:
  stack: prometheus_grafana
  alert_channels:
    - {type: slack, target: "#alerts"}
    - {type: pagerduty, target: payments-primary}
  sla: {availability: 99.95, response_time_p99: 400, error_rate: 0.5}
infrastructure:
  cloud_provider: aws
  iac_tool: terraform
  region: eu-west-1
  compliance: [gdpr, sox]
  budget: 1200
onboarding:
  include_forks: true
"""


def problems(text: str, **kwargs: int) -> list[tuple[int, int]]:
    with pytest.raises(ConfigError) as caught:
        load_config(text, **kwargs)
    return [(problem.line, problem.column) for problem in caught.value.problems]


def only_problem(text: str, **kwargs: int) -> ConfigProblem:
    with pytest.raises(ConfigError) as caught:
        load_config(text, **kwargs)
    [problem] = caught.value.problems
    return problem


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_in_the_package() -> None:
    Draft202012Validator.check_schema(schema())
    assert (ROOT / "schemas" / "devops.schema.json").is_file()
    packaged = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schemas*"' in packaged and '"*.json"' in packaged


@pytest.mark.parametrize(("schema_key", "pipeline_input"), [
    ("platform", "ci_platform"), ("project_type", "project_type"), ("branching_strategy", "branching_strategy"),
])
def test_the_ci_enums_are_the_ci_pipeline_enums(schema_key: str, pipeline_input: str) -> None:
    assert schema()["$defs"]["ci"]["properties"][schema_key]["enum"] == input_enum("ci_cd_setup", pipeline_input)


def test_the_deployment_target_enums_are_the_ci_pipeline_enums() -> None:
    pipeline = load_pipeline("ci_cd_setup")["inputs"]["deployment_targets"]["items"]["properties"]
    ours = schema()["$defs"]["ci"]["properties"]["deployment_targets"]["items"]["properties"]
    for key in ("environment", "platform"):
        assert ours[key]["enum"] == pipeline[key]["enum"]


@pytest.mark.parametrize(("pipeline", "name", "pointer"), [
    ("deployment", "deployment_strategy", ("deploy_rules", "strategy")),
    ("monitoring_setup", "monitoring_stack", ("monitoring", "stack")),
])
def test_enums_of_the_other_pipelines_match_once_they_ship(pipeline: str, name: str, pointer: tuple[str, str]) -> None:
    if pipeline not in available_pipelines():
        pytest.skip(f"pipelines/{pipeline}.yml is not in the repository yet")
    assert schema()["$defs"][pointer[0]]["properties"][pointer[1]]["enum"] == input_enum(pipeline, name)


def test_an_empty_file_or_only_comments_means_every_default() -> None:
    for text in ("", "# nothing yet\n"):
        config = load_config(text)
        assert config.enabled and not config.include_forks and config.ci_defaults() == {}


def test_a_full_valid_file_gives_typed_values() -> None:
    config = load_config(FULL)
    assert config.enabled is False and config.include_forks is True
    assert config.ci_defaults() == {
        "branching_strategy": "gitflow", "ci_platform": "gitlab_ci",
        "deployment_targets": [{"environment": "production", "platform": "kubernetes", "region": "eu-west-1"}],
        "project_type": "api",
        "quality_gates": {"performance_benchmarks": True, "security_scan_required": False,
                          "test_coverage_threshold": 72.5},
    }
    assert config.deploy_rules("api", "production") == {
        "approvers": ["alice"], "allow_self_approval": False, "strategy": "canary",
        "manual_approval_points": ["25%", "50%"], "gate": {"timeout_minutes": 30, "on_timeout": "rollback"}}
    assert config.deploy_rules("web", "production")["approvers"] == ["@acme/ops", "U024BE7LH"]
    assert config.deploy_rules("web", "staging") == {}
    assert config.monitoring()["alert_channels"][0] == {"type": "slack", "target": "#alerts"}
    assert config.infrastructure() == {"cloud_provider": "aws", "iac_tool": "terraform", "region": "eu-west-1",
                                       "compliance": ["gdpr", "sox"], "budget": 1200}
    json.dumps(config.data)  # plain data only: it travels through RQ and Redis


def test_every_schema_problem_is_reported_at_once_at_its_line_and_column() -> None:
    text = (
        "enabled: \"yes\"\n"                         # 1: wrong type
        "ci:\n"
        "  platform: travis\n"                        # 3: bad enum value at column 13
        "  colour: blue\n"                            # 4: unknown key at column 3
        "  quality_gates:\n"
        "    test_coverage_threshold: 180\n"          # 6: above 100 at column 30
        "  deployment_targets:\n"
        "    - environment: prod\n"                   # 8: bad enum inside a list item at column 20
        "      platform: kubernetes\n"
        "    - region: eu\n"                          # 10: missing required keys, at the item
        "deploy:\n"
        "  environments:\n"
        "    prod: {}\n"                              # 13: a key outside the enum, at the key
        "infrastructure:\n"
        "  budget: lots\n"                            # 15: wrong type at column 11
    )
    assert problems(text) == [(1, 10), (3, 13), (4, 3), (6, 30), (8, 20), (10, 7), (13, 5), (15, 11)]


def test_the_error_text_names_the_file_line_column_and_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("ci:\n  platform: travis\n  colour: blue\n")
    text = str(caught.value)
    assert isinstance(caught.value, UserError)
    assert text.splitlines()[0] == "`.devops.yml` has 2 problems:"
    assert "- .devops.yml:2:13: `ci.platform` is `\"travis\"`, which is not one of `github_actions`" in text
    assert "- .devops.yml:3:3: `colour` is not a known key in `ci`; the keys here are `branching_strategy`" in text


def test_a_wrong_type_says_what_was_expected_and_what_was_found() -> None:
    problem = only_problem("ci:\n  quality_gates:\n    security_scan_required: maybe\n")
    assert (problem.line, problem.column) == (3, 29)
    assert problem.message == ("`ci.quality_gates.security_scan_required` must be true or false, "
                               "not a string (`\"maybe\"`)")


def test_an_unknown_top_level_key_is_reported_at_the_key() -> None:
    problem = only_problem("enabled: true\nci_platform: gitlab_ci\n")
    assert (problem.line, problem.column, problem.end_column) == (2, 1, 12)
    assert problem.message.startswith("`ci_platform` is not a known key; the keys here are `ci`, `deploy`")


def test_a_permission_rule_is_a_level_or_a_non_empty_list_of_logins_and_teams() -> None:
    text = "permissions:\n  setup ci: superuser\n  deploy: []\n  status: [\"@acme/ops\", \"x y\"]\n  dance: write\n"
    assert problems(text) == [(2, 13), (3, 3), (4, 25), (5, 3)]


def test_deploy_rules_check_approvers_approval_points_and_gates() -> None:
    text = ("deploy:\n  apps:\n    api:\n      production:\n"
            "        approvers: [\"bad login!\", octocat, octocat]\n"
            "        manual_approval_points: [\"25\"]\n"
            "        gate: {timeout_minutes: 0, on_timeout: explode}\n")
    assert problems(text) == [(5, 9), (5, 21), (6, 34), (7, 33), (7, 48)]


def test_a_yaml_syntax_error_is_one_problem_at_the_parser_mark() -> None:
    problem = only_problem("ci:\n  platform: github_actions\n  quality_gates: {test_coverage_threshold: 80\n")
    assert problem.line == 4 and problem.message.startswith("YAML syntax:")
    tab = only_problem("ci:\n\tplatform: jenkins\n")
    assert (tab.line, tab.column) == (2, 1) and "YAML syntax" in tab.message


def test_a_five_megabyte_file_is_refused_without_being_parsed() -> None:
    text = "ci:\n  platform: [" + "x, " * (5 * 1024 * 1024 // 3) + "]\n"
    problem = only_problem(text)
    assert (problem.line, problem.column) == (1, 1)
    assert f"{len(text):,} bytes" in problem.message and "262,144" in problem.message


def test_a_duplicate_key_is_reported_where_it_is_repeated() -> None:
    problem = only_problem("ci:\n  platform: jenkins\n  branching_strategy: gitflow\n  platform: gitlab_ci\n")
    assert (problem.line, problem.column) == (4, 3)
    assert problem.message == "`platform` is written twice in one mapping (first on line 2); keep one"


def test_an_alias_bomb_is_refused_at_the_first_alias_without_expanding_it() -> None:
    levels = ["a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]"]
    for index, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[index]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    problem = only_problem("\n".join(levels) + "\n")
    assert (problem.line, problem.column) == (2, 8)
    assert "aliases" in problem.message


def test_a_file_that_is_not_a_mapping_is_one_problem_at_the_start() -> None:
    problem = only_problem("- ci\n- deploy\n")
    assert (problem.line, problem.column, problem.message) == (1, 1, "the file must be a mapping, not a list")


def test_an_empty_section_value_points_at_its_key() -> None:
    assert problems("ci:\n  quality_gates:\n") == [(2, 3)]


def test_an_absent_file_is_a_config_with_every_default() -> None:
    config = RepoConfig()
    assert config.enabled and config.ci_defaults() == {} and config.deploy_rules("api", "production") == {}


def test_the_readme_example_is_a_valid_config() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `.devops.yml` (per repository)", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = load_config(example)
    assert config.ci_defaults()["ci_platform"] == "github_actions"
    assert config.deploy_rules("api", "production")["approvers"] == ["alice"]


def test_deep_nesting_is_refused_at_the_level_that_goes_too_deep_without_recursing() -> None:
    problem = only_problem("ci: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert (problem.line, problem.column) == (1, 20) and "nested more than 16 levels" in problem.message


def test_a_character_yaml_forbids_is_reported_at_its_line_and_column() -> None:
    problem = only_problem("ci:\n  platform: x\x07y\n")
    assert (problem.line, problem.column) == (2, 14)
    assert problem.message == "YAML syntax: character #x0007 is not allowed in YAML"
