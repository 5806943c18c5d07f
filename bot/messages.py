"""Every sentence the bot shows people on GitHub (comments, replies), in one place.

Values that come from people (logins, option values) go through `markdown_code`, so they
show literally and cannot turn into links, mentions or markup.
"""

from __future__ import annotations

from bot.errors import InputError
from bot.pipelines import input_enum
from bot.pipelines import load_pipeline
from bot.templating import markdown_code

CI_PIPELINE = "ci_cd_setup"
DEFAULT_PLATFORM = "github_actions"
COMMAND = "/devops"


def _choices(values: list[str], default: str | None = None) -> str:
    return ", ".join(f"`{value}`" + (" (default)" if value == default else "") for value in values)


def _ci_defaults() -> tuple[object, object]:
    inputs = load_pipeline(CI_PIPELINE)["inputs"]
    coverage = inputs["quality_gates"]["properties"]["test_coverage_threshold"].get("default")
    return coverage, inputs["branching_strategy"].get("default")


# The one command table: (command, its arguments, one line on what it does). `/devops help`, the usage
# text, the parser's list of commands and the onboarding pull request are all generated from it.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("setup ci", "[PLATFORM] [--type TYPE] [--coverage N] [--branching STRATEGY] "
                 "[--deploy ENV:PLATFORM[:REGION]]... [--no-security] [--shards N]",
     "open a pull request with CI/CD for this repository."),
    ("setup monitoring", "[STACK]",
     "open a pull request with Prometheus, SLO burn-rate alerts, Alertmanager routing, dashboards and runbooks."),
    ("setup infra", "CLOUD [ENVIRONMENT] [--compliance F,F] [--budget USD] [--priority P] [--region R] [--iac T]",
     "open a pull request with Terraform (`--iac cloudformation`: CloudFormation, aws only) for the environments, "
     "a compliance mapping and a cost estimate."),
    ("status", "", "list the recent runs for this repository, with their outcome and links."),
    ("onboard", "", "open the “Configure devops-bot” pull request again, even after it was closed."),
    ("refresh", "", "regenerate the open devops-bot pull requests from the default branch."),
    ("help", "", "show this message."),
)


def command_names() -> list[str]:
    """The commands in the table, in its order ("setup ci", "status", …)."""
    return [name for name, _, _ in COMMANDS]


def command_lines() -> list[str]:
    """One Markdown list item per command: its syntax, then what it does."""
    return [f"- `{COMMAND} {name}{' ' + arguments if arguments else ''}`: {description}"
            for name, arguments, description in COMMANDS]


def usage() -> str:
    """The command reference, with the valid values read from the pipeline definition."""
    coverage, branching = _ci_defaults()
    return "\n".join([
        "**Usage**",
        "",
        *command_lines(),
        "",
        f"- `PLATFORM`: {_choices(input_enum(CI_PIPELINE, 'ci_platform'), DEFAULT_PLATFORM)}",
        f"- `TYPE`: {_choices(input_enum(CI_PIPELINE, 'project_type'))}; "
        "inferred from the repository when not given",
        f"- `N`: the minimum test coverage, a number from 0 to 100 (default {coverage})",
        f"- `STRATEGY`: {_choices(input_enum(CI_PIPELINE, 'branching_strategy'), str(branching))}",
        f"- `--deploy ENV:PLATFORM[:REGION]`, once per environment: `ENV` is one of "
        f"{_choices(input_enum(CI_PIPELINE, 'deployment_targets.environment'))}, `PLATFORM` one of "
        f"{_choices(input_enum(CI_PIPELINE, 'deployment_targets.platform'))}; `REGION` is the cloud's own name, "
        "such as `eu-west-1`",
        "- `--no-security`: leave out the security scans",
        "- `--shards N`: split each unit's tests into N parallel jobs (1 to 50; pytest, jest, vitest and Go), "
        "with one job after them that merges their coverage and enforces the threshold",
        "",
        f"- `STACK`: {_choices(input_enum('monitoring_setup', 'monitoring_stack')[:-1], 'prometheus_grafana')}; "
        "channels, SLA and inventory come from `monitoring` in `.devops.yml`, else from the repository",
        "",
        f"- `CLOUD`: {_choices(input_enum('infrastructure', 'cloud_provider'))} (`aws` is generated today); "
        f"`ENVIRONMENT`: {_choices(input_enum('infrastructure', 'environment_type'), 'production')}; "
        "`--compliance` takes `hipaa`, `pci_dss`, `sox`, `gdpr`, `fedramp` separated by commas; `--budget` is "
        f"US dollars a month; `P`: {_choices(_priorities(), 'balanced')}",
        "",
        "Write the command at the start of a line in a comment. Only people with write access may run it.",
    ])


def _priorities() -> list[str]:
    return input_enum("infrastructure", "budget_constraints.optimization_priority")


def help_text() -> str:
    """The answer to `/devops help`."""
    return "I write CI/CD for this repository and open it as a pull request.\n\n" + usage()


def problems_heading() -> str:
    """First line of a reply to a command with problems."""
    return f"I could not run that `{COMMAND}` command:"


def command_problems(error: InputError) -> str:
    """Reply to a bad command: every problem, then the usage."""
    return f"{error}\n\n{usage()}"


def unknown_command(word: str) -> str:
    """A problem line: the word after /devops is not a command."""
    names = [f"`{name}`" for name in command_names()]
    return f"{markdown_code(word)} is not a command; the commands are {', '.join(names[:-1])} and {names[-1]}."


def setup_needs_target(word: str | None) -> str:
    """A problem line: `/devops setup` without `ci`."""
    if word is None:
        return "`setup` needs to know what to set up; write `setup ci`, `setup monitoring` or `setup infra`."
    return f"I cannot set up {markdown_code(word)}; write `setup ci`, `setup monitoring` or `setup infra`."


def unknown_option(option: str) -> str:
    """A problem line: an option the command does not have."""
    return (f"{markdown_code(option)} is not an option; the options are `--type`, `--coverage`, `--branching`, "
            "`--deploy`, `--no-security` and `--shards`.")


def flag_takes_no_value(option: str) -> str:
    """A problem line: a flag such as --no-security given a value."""
    return f"{markdown_code(option)} takes no value; write it alone."


def bad_deploy_target(value: str) -> str:
    """A problem line: --deploy is not ENV:PLATFORM[:REGION]."""
    return (f"`--deploy` takes `ENV:PLATFORM` or `ENV:PLATFORM:REGION`, as in `--deploy production:ecs:eu-west-1` "
            f"(got {markdown_code(value)}).")


def bad_region(value: str) -> str:
    """A problem line: a region with characters no cloud uses."""
    return f"{markdown_code(value)} is not a region name; use the cloud's own, such as `eu-west-1` or `westeurope`."


def repeated_environment(environment: str) -> str:
    """A problem line: two --deploy options for one environment."""
    return f"{markdown_code(environment)} is given to `--deploy` more than once; one platform per environment."


def missing_value(option: str) -> str:
    """A problem line: an option given without its value."""
    return f"{markdown_code(option)} needs a value, as in {markdown_code(option + ' VALUE')}."


def repeated_option(option: str) -> str:
    """A problem line: the same option twice."""
    return f"{markdown_code(option)} is given more than once; keep one."


def unexpected_argument(word: str) -> str:
    """A problem line: a word the command does not expect."""
    return f"{markdown_code(word)} is not expected here."


def invalid_choice(what: str, value: str, valid: list[str]) -> str:
    """A problem line: a value outside an enum."""
    return f"{markdown_code(value)} is not a valid {what}; use one of {_choices(valid)}."


def bad_shards(value: str, least: int, most: int) -> str:
    """A problem line: --shards is not a whole number in range."""
    return f"`--shards` must be a whole number from {least} to {most} (got {markdown_code(value)})."


def bad_coverage(value: str) -> str:
    """A problem line: --coverage is not a number from 0 to 100."""
    return f"`--coverage` must be a number from 0 to 100 (got {markdown_code(value)})."


def not_allowed(login: str, permission: str) -> str:
    """Refusal for someone without write access."""
    return (f"Sorry {markdown_code(login)}, only people with write, maintain or admin access to this repository "
            f"may run `{COMMAND}` commands; your access is {markdown_code(permission)}.")


def job_failed(job_id: str) -> str:
    """What people see when a job fails for a reason that is not theirs to fix."""
    return (f"Something went wrong on my side and I could not finish; the maintainers of this bot can find it in "
            f"the logs under job id {markdown_code(job_id)}.")


def setup_ci_started(platform: str) -> str:
    """First text of the status comment of a `setup ci` run."""
    return f"Setting up CI for {markdown_code(platform)}: reading the repository…"


def setup_ci_heading(platform: str) -> str:
    """Heading of the status comment of a `setup ci` run, above the step checklist."""
    return f"Setting up CI for {markdown_code(platform)}."


def pull_request_opened(number: int, url: str, what: str = "the CI/CD files") -> str:
    """Final status: a new pull request."""
    return f"Opened pull request #{number} with {what}: {url}"


def pull_request_updated(number: int, url: str) -> str:
    """Final status: a new commit on the existing pull request."""
    return f"Updated pull request #{number} with a new commit: {url}"


def pull_request_unchanged(number: int, url: str) -> str:
    """Final status: the same command again, nothing to change."""
    return f"Pull request #{number} already has exactly these files, so I changed nothing: {url}"


def nothing_to_propose(branch: str) -> str:
    """Final status: the default branch already holds what the bot would propose."""
    return (f"The default branch already has these files (branch {markdown_code(branch)} has nothing new), "
            "so there is no pull request to open.")


def branch_not_ours(branch: str, head_sha: str) -> str:
    """Final status: somebody committed on the bot's branch, so the bot leaves it alone."""
    return (f"Branch {markdown_code(branch)} ends with a commit I did not make ({markdown_code(head_sha[:12])}), "
            "so I left it alone rather than overwrite that work. Merge or close its pull request, or delete the "
            "branch, then run the command again.")


# --- .devops.yml: who may run what, the off switch, the config check run (bot/config.py) ---

def permission_admin() -> str:
    """Why an admin may run any command."""
    return "Admins may run every command."


def permission_level_ok(command: str, level: str) -> str:
    """Why someone may run a command: their access meets the configured level."""
    return f"`{COMMAND} {command}` needs {markdown_code(level)} access or above."


def permission_level_needed(command: str, login: str, level: str, has: str) -> str:
    """Refusal: the configured level for this command is above the person's access."""
    return (f"Sorry {markdown_code(login)}, `{COMMAND} {command}` needs {markdown_code(level)} access or above to "
            f"this repository (see `permissions` in `.devops.yml`); your access is {markdown_code(has)}.")


def permission_listed(command: str, entry: str) -> str:
    """Why someone may run a command: .devops.yml names them or their team."""
    return f"`.devops.yml` lets {markdown_code(entry)} run `{COMMAND} {command}`."


def permission_not_listed(command: str, login: str, allowed: list[str]) -> str:
    """Refusal: .devops.yml lists who may run this command and the person is not among them."""
    return (f"Sorry {markdown_code(login)}, `.devops.yml` lets only {', '.join(markdown_code(e) for e in allowed)} "
            f"run `{COMMAND} {command}` (see `permissions`).")


def bot_disabled() -> str:
    """Final status: the repository turned the bot off."""
    return ("devops-bot is turned off for this repository (`enabled: false` in `.devops.yml`); remove that line "
            "or set it to `true` to use it again.")


def config_unreadable(path: str) -> str:
    """A config problem: the file is listed but could not be read (too large, or not UTF-8 text)."""
    return f"{markdown_code(path)} could not be read: it is larger than 1 MB or not UTF-8 text."


def config_check_title(problems: int) -> str:
    """Title of the `devops-bot / config` check run."""
    if not problems:
        return ".devops.yml is valid"
    return ".devops.yml has 1 problem" if problems == 1 else f".devops.yml has {problems} problems"


def config_check_summary(path: str, problems: list[str]) -> str:
    """Summary of the `devops-bot / config` check run: every problem, or what the file sets."""
    if not problems:
        return f"{markdown_code(path)} follows the devops-bot schema; its settings apply from the default branch."
    listed = "\n".join(f"- {problem}" for problem in problems)
    return (f"{markdown_code(path)} does not follow the devops-bot schema (`schemas/devops.schema.json`). "
            f"On the default branch, it stops every command with this report until it is fixed.\n\n{listed}")


# --- onboarding and bot pull requests kept alive (bot/onboarding.py; refreshes: bot/refresh_messages.py) ---

def onboarding_why_config() -> str:
    """Onboarding file table: why `.devops.yml` is there."""
    return ("devops-bot's settings for this repository, filled with what I detected and commented key by key; "
            "your editor validates it against the schema named on its first line.")


def onboarding_why_ci(path: str) -> str:
    """Onboarding file table: why a generated CI file is there (the repository has none)."""
    name = path.rsplit("/", 1)[-1]
    if name == "Dockerfile" or name == ".dockerignore":
        what = "The container image CI builds for this service"
    elif name == "dependabot.yml":
        what = "Dependabot keeps the CI actions and dependencies up to date"
    elif path.endswith(".md"):
        what = "How the generated CI works and how to change it"
    else:
        what = "The CI pipeline"
    return f"{what}; the repository has no CI yet, and this is what `{COMMAND} setup ci` generates for it."


def onboarding_no_ci_without_units() -> str:
    """Onboarding body: no CI proposed because nothing buildable was found."""
    return "The repository has no CI, and I found nothing to build, so I propose no CI files."


def onboarding_ci_not_generated(reason: str) -> str:
    """Onboarding body: CI generation stopped for a reason people can act on."""
    return f"The repository has no CI, but I could not generate it: {reason}"


def onboard_result(outcome: str, url: str | None) -> str:
    """Reply to `/devops onboard`."""
    if outcome in ("opened", "updated", "unchanged") and url:
        return f"The onboarding pull request is open: {url}"
    said = {"has_config": "this repository already has `.devops.yml`, so it needs no onboarding pull request",
            "archived": "this repository is archived", "disabled": "this repository is disabled",
            "empty": "this repository is empty", "branch_not_ours":
            f"someone else pushed to {markdown_code('devops-bot/onboarding')}, so I left it alone",
            "nothing_to_propose": "the default branch already has everything I would propose"}
    return f"No onboarding pull request: {said.get(outcome, markdown_code(outcome))}."


def status_report(repository: str, rows: list[dict[str, object]]) -> str:
    """Reply to `/devops status`: the recent runs, newest first."""
    if not rows:
        return f"No devops-bot runs recorded for {markdown_code(repository)} in the last week."
    lines = [f"Recent devops-bot runs for {markdown_code(repository)}, newest first:", "",
             "| When (UTC) | Command | Outcome | Link |", "| --- | --- | --- | --- |"]
    for row in rows:
        link = f"[#{row['pull_request']}]({row['url']})" if row.get("url") and row.get("pull_request") else "–"
        lines.append(f"| {row['when']} | {markdown_code(row['kind'])} | {markdown_code(row['outcome'])} | {link} |")
    return "\n".join(lines)


def publish_outcome(kind: str, number: int | None, url: str | None, branch: str, *, what: str) -> str:
    """Final status of a publish: the pull request opened, updated or unchanged, or nothing to propose."""
    if kind == "opened":
        return pull_request_opened(number or 0, url or "", what)
    if kind == "updated":
        return pull_request_updated(number or 0, url or "")
    if kind == "unchanged":
        return pull_request_unchanged(number or 0, url or "")
    return nothing_to_propose(branch)
