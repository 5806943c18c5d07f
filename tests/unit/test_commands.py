"""The `/devops` comment grammar."""

from __future__ import annotations

import pytest

from bot import messages
from bot.errors import InputError
from bot.pipelines import input_enum
from handlers.commands import Command
from handlers.commands import parse_comment
from handlers.commands import parse_setup
from handlers.commands import parse_setup_ci
from handlers.commands import setup_ci_words
from handlers.commands import setup_words


def problems_of(body: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_comment(body)
    return caught.value.problems


def test_setup_ci_alone_leaves_the_platform_to_devops_yml_or_the_default() -> None:
    assert parse_comment("/devops setup ci") == Command("setup_ci", {
        "ci_platform": None, "project_type": None, "coverage": None, "branching": None,
        "deployment_targets": None, "security_scan_required": None})


def test_every_option_is_read() -> None:
    command = parse_comment("/devops setup ci gitlab_ci --type library --coverage 72.5 --branching trunk_based")

    assert command == Command("setup_ci", {
        "ci_platform": "gitlab_ci", "project_type": "library", "coverage": 72.5, "branching": "trunk_based",
        "deployment_targets": None, "security_scan_required": None})


def test_options_may_use_equals_signs_any_order_and_any_case() -> None:
    command = parse_comment("/devops Setup CI --Branching=GitFlow --coverage=90 Jenkins --type=WEB-APP")

    assert command is not None
    assert command.options == {"ci_platform": "jenkins", "project_type": "web_app", "coverage": 90,
                               "branching": "gitflow", "deployment_targets": None, "security_scan_required": None}


@pytest.mark.parametrize("text", ["/devops help", "/devops", "/devops HELP  "])
def test_help_and_a_bare_command_ask_for_help(text: str) -> None:
    assert parse_comment(text) == Command("help")


def test_the_command_is_found_on_a_later_line() -> None:
    assert parse_comment("Could you add CI?\r\n\r\n/devops setup ci circleci\r\nthanks") == Command(
        "setup_ci", {"ci_platform": "circleci", "project_type": None, "coverage": None, "branching": None,
                     "deployment_targets": None, "security_scan_required": None})


@pytest.mark.parametrize("body", [
    "",
    "LGTM",
    "please run /devops setup ci",
    "> /devops setup ci",
    ">/devops setup ci",
    "```\n/devops setup ci\n```",
    "~~~ text\n/devops setup ci\n~~~",
    "    /devops setup ci",
    "/devopsy setup ci",
])
def test_text_that_is_not_a_command_at_the_start_of_a_line_is_no_command(body: str) -> None:
    assert parse_comment(body) is None


def test_a_command_after_a_closed_code_block_is_found() -> None:
    body = "```sh\n/devops setup ci jenkins\n```\n/devops help"

    assert parse_comment(body) == Command("help")


def test_a_null_body_is_no_command() -> None:
    assert parse_comment(None) is None


def test_an_unknown_command_is_a_problem() -> None:
    assert problems_of("/devops deploy prod") == [messages.unknown_command("deploy")]


@pytest.mark.parametrize("text", ["/devops setup", "/devops setup k8s"])
def test_setup_without_ci_is_a_problem(text: str) -> None:
    [problem] = problems_of(text)

    assert "write `setup ci`" in problem


def test_every_bad_option_is_reported_at_once() -> None:
    found = problems_of("/devops setup ci travis extra --type desktop --coverage 101 --branching --colour red "
                        "--type api")

    assert found == [
        messages.invalid_choice("CI platform", "travis", input_enum("ci_cd_setup", "ci_platform")),
        messages.unexpected_argument("extra"),
        messages.invalid_choice("project type", "desktop", input_enum("ci_cd_setup", "project_type")),
        messages.bad_coverage("101"),
        messages.missing_value("--branching"),
        messages.unknown_option("--colour"),
        messages.unexpected_argument("red"),
        messages.repeated_option("--type"),
    ]


@pytest.mark.parametrize("value", ["-1", "100.1", "nan", "inf", "eighty"])
def test_coverage_must_be_a_number_from_0_to_100(value: str) -> None:
    assert problems_of(f"/devops setup ci --coverage={value}") == [messages.bad_coverage(value)]


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("100", 100), ("80%", 80), ("66.6", 66.6)])
def test_coverage_accepts_the_whole_range(value: str, expected: float) -> None:
    command = parse_comment(f"/devops setup ci --coverage {value}")

    assert command is not None and command.options["coverage"] == expected


def test_the_valid_values_come_from_the_pipeline_definition() -> None:
    usage = messages.usage()

    for name in ("ci_platform", "project_type", "branching_strategy"):
        for value in input_enum("ci_cd_setup", name):
            assert f"`{value}`" in usage


def test_a_problem_reply_gives_every_problem_then_the_usage() -> None:
    with pytest.raises(InputError) as caught:
        parse_comment("/devops setup ci --type desktop --coverage x")

    reply = messages.command_problems(caught.value)

    assert reply.startswith(messages.problems_heading() + "\n- ")
    assert reply.count("\n- `") >= 2
    assert reply.endswith(messages.usage())


def test_deploy_targets_are_repeatable_and_read_as_environment_platform_and_region() -> None:
    command = parse_comment("/devops setup ci --deploy staging:kubernetes --deploy=Production:ECS:eu-west-1")

    assert command is not None
    assert command.options["deployment_targets"] == [
        {"environment": "staging", "platform": "kubernetes", "region": None},
        {"environment": "production", "platform": "ecs", "region": "eu-west-1"},
    ]
    assert command.options["security_scan_required"] is None


def test_no_security_turns_the_security_scans_off() -> None:
    command = parse_comment("/devops setup ci --no-security")

    assert command is not None and command.options["security_scan_required"] is False


def test_every_bad_deploy_target_is_named_with_the_valid_values() -> None:
    found = problems_of("/devops setup ci --deploy qa:nomad --deploy production --deploy staging:ecs:eu_west "
                        "--deploy staging:heroku --deploy staging:vercel --no-security=yes")

    assert found == [
        messages.invalid_choice("deployment environment", "qa",
                                input_enum("ci_cd_setup", "deployment_targets.environment")),
        messages.invalid_choice("deployment platform", "nomad", input_enum("ci_cd_setup", "deployment_targets.platform")),
        messages.bad_deploy_target("production"),
        messages.bad_region("eu_west"),
        messages.repeated_environment("staging"),
        messages.flag_takes_no_value("--no-security"),
    ]
    assert "`kubernetes`, `ecs`, `lambda`, `app_service`, `heroku`, `vercel`" in found[1]


def test_the_usage_lists_the_deploy_environments_and_platforms_from_the_pipeline() -> None:
    usage = messages.usage()

    for name in ("deployment_targets.environment", "deployment_targets.platform"):
        for value in input_enum("ci_cd_setup", name):
            assert f"`{value}`" in usage
    assert "--no-security" in usage


def test_the_job_passes_deploy_targets_and_the_security_switch_to_the_pipeline() -> None:
    from bot.jobs import _inputs

    command = parse_comment("/devops setup ci --coverage 70 --deploy production:lambda:eu-west-1 "
                            "--deploy staging:heroku --no-security")
    assert command is not None
    inputs = _inputs("/repo", command.options)

    assert inputs["deployment_targets"] == [{"environment": "production", "platform": "lambda", "region": "eu-west-1"},
                                            {"environment": "staging", "platform": "heroku"}]
    assert inputs["quality_gates"] == {"test_coverage_threshold": 70, "security_scan_required": False}
    assert "deployment_targets" not in _inputs("/repo", parse_comment("/devops setup ci").options)  # type: ignore[union-attr]


def test_user_text_in_problems_is_shown_in_a_code_span_that_its_backticks_cannot_close() -> None:
    # GitHub renders neither markup nor @mentions inside a code span.
    [problem] = problems_of("/devops `@everyone`")

    assert problem.startswith("`` `@everyone` `` is not a command")


@pytest.mark.parametrize("text", [
    "/devops setup ci",
    "/devops setup ci gitlab-ci --shards 4",
    "/devops setup ci jenkins --type=api --coverage 72.5 --branching trunk-based --no-security",
    "/devops setup ci --deploy staging:kubernetes:eu-west-1 --deploy production:ecs --coverage 0",
])
def test_the_normal_form_of_a_setup_ci_command_parses_back_to_the_same_options(text: str) -> None:
    command = parse_comment(text)
    assert command is not None
    words = setup_ci_words(command.options)
    assert parse_setup_ci(words) == command.options
    assert setup_ci_words(parse_setup_ci(words)) == words  # normal: writing it again changes nothing


@pytest.mark.parametrize("text", [
    "/devops setup monitoring",
    "/devops setup monitoring New-Relic",
    "/devops setup infra aws",
    "/devops setup infra gcp staging --region europe-west1",
    "/devops setup infra aws production --compliance hipaa,gdpr --budget $2,000.50 --priority cost "
    "--iac cloudformation",
    "/devops setup infra azure --compliance= --budget 0",
])
def test_the_normal_form_of_a_monitoring_or_infra_command_parses_back_to_the_same_options(text: str) -> None:
    command = parse_comment(text)
    assert command is not None
    target = command.kind.removeprefix("setup_")
    words = setup_words(target, command.options)
    assert parse_setup(target, words) == command.options
    assert setup_words(target, parse_setup(target, words)) == words
