""".devops.yml in use: who may run which command, input precedence, and the generated file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import RepoConfig
from bot.config import load_config
from bot.config import merge_ci_inputs
from bot.trees import LocalTree
from generators.analysis import analyze
from generators.analysis.model import Analysis
from generators.analysis.model import Unit
from generators.devops_config import devops_yml

REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"
RULES = load_config("permissions:\n  default: maintain\n  help: read\n  deploy: [alice, \"@acme/ops\"]\n")


@pytest.mark.parametrize(("level", "allowed"), [
    ("none", False), ("read", False), ("triage", False), ("write", True), ("maintain", True), ("admin", True),
])
def test_without_a_config_write_access_or_above_may_run_a_command(level: str, allowed: bool) -> None:
    assert RepoConfig().may_run("setup_ci", "octocat", level)[0] is allowed


def test_without_a_config_anyone_who_can_read_may_ask_for_help() -> None:
    assert RepoConfig().may_run("help", "octocat", "read")[0]


def test_a_level_rule_raises_the_bar_and_the_refusal_says_which_level() -> None:
    allowed, why = RULES.may_run("setup ci", "bob", "write")
    assert not allowed and "`maintain`" in why and "`write`" in why and "`bob`" in why
    assert RULES.may_run("setup_ci", "bob", "maintain")[0]


def test_a_list_rule_admits_listed_logins_and_members_of_listed_teams_only() -> None:
    assert RULES.may_run("deploy", "Alice", "read")[0]  # logins compare without case, as on GitHub
    assert RULES.may_run("deploy", "carol", "read", teams=("acme/ops",))[0]
    allowed, why = RULES.may_run("deploy", "carol", "maintain", teams=("acme/dev",))
    assert not allowed and "`alice`" in why and "`@acme/ops`" in why
    assert RULES.teams_for("deploy") == ["acme/ops"] and RULES.teams_for("setup ci") == []


def test_admins_may_always_run_every_command_so_nobody_locks_them_out() -> None:
    assert RULES.may_run("deploy", "root", "admin")[0]


def test_an_unknown_custom_role_counts_as_no_access() -> None:
    assert not RepoConfig().may_run("setup ci", "octocat", "security-reviewer")[0]


def test_a_comment_option_beats_the_config_which_beats_the_defaults() -> None:
    config = load_config("ci:\n  platform: gitlab_ci\n  project_type: api\n"
                         "  quality_gates: {test_coverage_threshold: 70, security_scan_required: false}\n")
    command = {"project_path": "p", "ci_platform": "github_actions", "quality_gates": {"test_coverage_threshold": 95}}
    merged = merge_ci_inputs(command, {"ci_platform": None, "coverage": 95}, config)
    # the command's platform was only the default: the file's choice stands; its coverage was written: it wins
    assert merged == {"project_path": "p", "ci_platform": "gitlab_ci", "project_type": "api",
                      "quality_gates": {"test_coverage_threshold": 95, "security_scan_required": False}}
    written = merge_ci_inputs(command, {"ci_platform": "github_actions"}, config)
    assert written["ci_platform"] == "github_actions"


def test_without_config_or_options_the_analysis_decides_the_project_type() -> None:
    merged = merge_ci_inputs({"project_path": "p", "ci_platform": "github_actions"}, {}, RepoConfig())
    assert "project_type" not in merged  # design_pipeline_architecture infers it from the analysis


@pytest.mark.parametrize("case", ["python-pip", "monorepo-py-node", "go"])
def test_the_generated_config_loads_back_without_problems_and_keeps_the_detected_values(case: str) -> None:
    analysis = analyze(LocalTree(REPOS / case))
    inputs = {"ci_platform": "github_actions", "branching_strategy": "github_flow",
              "quality_gates": {"test_coverage_threshold": 80, "security_scan_required": True,
                                "performance_benchmarks": False},
              "deployment_targets": [{"environment": "staging", "platform": "kubernetes", "region": "eu-west-1"}]}
    text = devops_yml(analysis, inputs, schema_url="https://example.test/devops.schema.json")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=https://example.test/devops.schema.json"
    config = load_config(text)
    defaults = config.ci_defaults()
    assert {key: defaults[key] for key in inputs} == inputs
    assert defaults["project_type"] in ("web_app", "api", "library", "mobile", "microservices", "monorepo")
    assert config.enabled and config.may_run("setup ci", "octocat", "write")[0]
    assert devops_yml(analysis, inputs, schema_url="https://example.test/devops.schema.json") == text
    assert "# test_coverage_threshold" not in text and "# Minimum test coverage" in text


def test_a_hostile_path_in_the_analysis_cannot_escape_its_comment() -> None:
    analysis = Analysis(units=[Unit(name="root", path="x\nenabled: false\r\n", language="python",
                                    package_manager="pip", manifest="requirements.txt")])
    assert load_config(devops_yml(analysis, {})).enabled


def test_every_command_in_the_command_table_can_be_given_a_permission_rule() -> None:
    from bot import messages
    from bot.config import schema

    keys = set(schema()["$defs"]["permissions"]["properties"])
    assert set(messages.command_names()) <= keys
    for name in messages.command_names():
        assert load_config(f"permissions:\n  {name}: admin\n").rule_for(name) == "admin"
