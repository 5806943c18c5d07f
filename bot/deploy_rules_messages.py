"""The sentences a Slack `/deploy` thread shows about where its rules came from (bot/deploy_rules.py)."""

from __future__ import annotations

from bot.slack_blocks import escape
from bot.slack_blocks import mention

APPS_FILE = "apps file"
COMMAND = "your command"
SLACK_IDS = "Slack member ids (U…/W…) or user group ids (S…)"


def from_key(key: str) -> str:
    """A rule's source in the repository's file."""
    return f"`{escape(key)}`"


def rules_used(repository: str, branch: str) -> str:
    """The first line when the repository's file was read."""
    return f"Rules for this deploy: {escape(repository)}'s `.devops.yml` ({escape(branch)}) over the apps file."


def rules_not_used(why: str) -> str:
    """The first line when only the apps file decides."""
    return f"Rules for this deploy: the apps file's, because {why}."


def no_file(repository: str, branch: str) -> str:
    """Why: the repository keeps no `.devops.yml`."""
    return f"{escape(repository)} has no `.devops.yml` on {escape(branch)}"


def no_rules(repository: str, app: str, environment: str) -> str:
    """Why: the file says nothing about this app and environment."""
    return (f"{escape(repository)}'s `.devops.yml` sets no `deploy` rules for {escape(app)} in "
            f"{escape(environment)}")


def unreachable(repository: str, why: str) -> str:
    """Why: GitHub did not give us the file (after its retries)."""
    return f"I could not read {escape(repository)}'s `.devops.yml` ({escape(why)})"


def invalid(repository: str, problems: str) -> str:
    """The refusal when the repository's file is invalid: every problem."""
    return f"{escape(repository)}'s {problems}\nFix it on the default branch, then deploy again."


def rule_line(name: str, value: str, source: str) -> str:
    """One rule, its value and where it came from."""
    return f"• {name}: {value} ({source})"


def gate_value(minutes: float, on_timeout: str) -> str:
    """A gate's timeout and what it then does."""
    return f"{minutes:g} min, then {escape(on_timeout)}"


def approvers_value(approvers: tuple[str, ...]) -> str:
    """Who may approve, as Slack renders them; nobody when empty."""
    return ", ".join(mention(a) for a in approvers) or "nobody"


def operator_approvers_stand(repository: str, key: str, listed: list[str]) -> str:
    """The repository names other approvers than the apps file; the operator's list is the one used."""
    return (f"{escape(repository)}'s `{escape(key)}` lists other approvers ({', '.join(escape(a) for a in listed)}); "
            "the apps file's list is used, because the operator's approvers stand.")


def cannot_approve_in_slack(repository: str, key: str, entries: list[str]) -> str:
    """Repository approvers that Slack cannot check (GitHub logins, @org/teams, handles)."""
    return (f"These approvers in {escape(repository)}'s `{escape(key)}` cannot approve in Slack, which does not "
            f"know GitHub logins or teams: {', '.join(escape(e) for e in entries)}. Write {SLACK_IDS}.")


def nobody_can_approve(gates: list[int], minutes: float, on_timeout: str, proceed_refused: bool) -> str:
    """Gates that no one may approve: they wait for their timeout, and never pass by themselves."""
    where = ", ".join(f"{g}%" for g in gates)
    then = {"rollback": "rolls back", "abort": "aborts", "pause": "stays open until someone aborts"}[on_timeout]
    extra = " (not `proceed`: a gate nobody could approve never passes by itself)" if proceed_refused else ""
    return (f"⚠️ Nobody can approve the {where} gate in Slack (no approvers for this environment): it waits "
            f"{minutes:g} min, then {then}{extra}.")
