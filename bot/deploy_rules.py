"""A Slack deploy's rules: the apps file (the operator's floor) refined by `.devops.yml`'s `deploy` section on the
app repository's default branch, read in the worker through the App's installation.

- strategy, manual_approval_points, gate and slo from the repository win over the apps file's; a strategy
  written in the command wins over both.
- self-approval is allowed only when neither the apps file nor the repository forbids it.
- the apps file's approvers for the environment stand; only when it lists none do the repository's Slack ids
  (U…/W…/S…) approve. GitHub logins and teams cannot approve in Slack, and the thread names them.
- a gate nobody may approve waits for its timeout and never proceeds by itself.
An invalid file stops the deploy (UserError with every problem). An unreachable repository or an absent file
leaves the apps file's rules, and the thread says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import requests
from github import GithubException

from bot import deploy_rules_messages as say
from bot.config import ConfigError
from bot.config import RepoConfig
from bot.config_checks import CONFIG_PATH
from bot.config_checks import read_config_from_tree
from bot.deploy_apps import DeployApp
from bot.deploy_apps import approvers_in_force
from bot.deploy_apps import is_slack_approver
from bot.deploy_apps import self_approval_refusal
from bot.deploy_slo import with_repository_slo
from bot.errors import UserError
from bot.rollouts.contract import Rollout
from bot.rollouts.strategies import DEFAULT_APPROVAL_POINTS
from bot.rollouts.strategies import plan_stages


@dataclass(frozen=True)
class RepositoryFile:
    """The app repository's `.devops.yml` on its default branch, or why the apps file decides alone."""

    repository: str
    branch: str = ""
    config: RepoConfig = field(default_factory=RepoConfig)
    tree: Any = None
    unused_because: str | None = None


def read_repository_file(repository: str, repository_for: Callable[[str], Any]) -> RepositoryFile:
    """The file, or why it is not used; UserError lists every problem of an invalid file."""
    from bot.github_tree import GitHubTree

    try:
        repo = repository_for(repository)
        branch = repo.default_branch
        tree = GitHubTree(repo, repo.get_git_ref(f"heads/{branch}").object.sha)
        if CONFIG_PATH not in tree.paths():
            return RepositoryFile(repository, branch, unused_because=say.no_file(repository, branch))
        config = read_config_from_tree(tree)
    except ConfigError as error:
        raise UserError(say.invalid(repository, str(error))) from None
    except GithubException as error:
        return RepositoryFile(repository, unused_because=say.unreachable(repository, _github_said(error)))
    except requests.RequestException as error:  # connection refused, timeouts, retries used up
        return RepositoryFile(repository, unused_because=say.unreachable(repository, type(error).__name__))
    return RepositoryFile(repository, branch, config, tree)


def rule_key(config: RepoConfig, app: str, environment: str, rule: str) -> str:
    """Where the file sets `rule` for `app` in `environment`: the app's own entry wins over every app's."""
    deploy = config.data.get("deploy", {})
    if rule in deploy.get("apps", {}).get(app, {}).get(environment, {}):
        return f"deploy.apps.{app}.{environment}.{rule}"
    return f"deploy.environments.{environment}.{rule}"


def apply_deploy_rules(inputs: dict[str, Any], app: DeployApp, repository_for: Callable[[str], Any] | None,
                       strategy_from_command: bool) -> tuple[dict[str, Any], str | None]:
    """(deployment inputs under the rules in force, the thread's note on where each came from; None: nothing to
    say). `repository_for` maps owner/name to a PyGithub repository on the installation; None (no GitHub App)
    leaves the apps file alone, as does an app without a repository.
    """
    repository = inputs.get("repository")
    file = read_repository_file(repository, repository_for) if repository and repository_for else None
    environment = inputs["target_environment"]
    config = file.config if file and not file.unused_because else RepoConfig()
    rules = config.deploy_rules(app.name, environment)
    if file and not file.unused_because and not rules:
        file = RepositoryFile(file.repository, file.branch, unused_because=say.no_rules(
            file.repository, app.name, environment))

    def source(rule: str) -> str:
        return say.from_key(rule_key(config, app.name, environment, rule)) if rule in rules else say.APPS_FILE

    settings = dict(inputs.get("rollout_settings") or {})
    lines: list[str] = []
    strategy = inputs["deployment_strategy"]
    if not strategy_from_command and "strategy" in rules:
        strategy = rules["strategy"]
    lines.append(say.rule_line("strategy", f"`{strategy}`", say.COMMAND if strategy_from_command
                               else source("strategy")))
    if "manual_approval_points" in rules:
        settings["manual_approval_points"] = list(rules["manual_approval_points"])
    points = settings.get("manual_approval_points", DEFAULT_APPROVAL_POINTS)
    lines.append(say.rule_line("approval points", ", ".join(points) or "none", source("manual_approval_points")))
    gate = rules.get("gate", {})
    if "timeout_minutes" in gate:
        settings["gate_timeout_seconds"] = float(gate["timeout_minutes"]) * 60
    if "on_timeout" in gate:
        settings["on_gate_timeout"] = gate["on_timeout"]
    minutes = float(settings.get("gate_timeout_seconds", Rollout.gate_timeout_seconds)) / 60
    on_timeout = str(settings.get("on_gate_timeout", Rollout.on_gate_timeout))
    lines.append(say.rule_line("gate", say.gate_value(minutes, on_timeout), source("gate")))
    inputs = {**inputs, "deployment_strategy": strategy, "rollout_settings": settings}
    criteria = None
    if "slo" in rules and file is not None:
        inputs, criteria = with_repository_slo(inputs, config, file.tree, file.repository,
                                               rule_key(config, app.name, environment, "slo"))
    lines.append(f"• {criteria}" if criteria else say.rule_line("success criteria", "the apps file's", say.APPS_FILE))
    recorded, notes = _approval(app, environment, rules, config, repository or "")
    approvers, _ = approvers_in_force(app, environment, recorded)
    from_repository = bool(approvers) and approvers != app.approvers_for(environment)
    lines.append(say.rule_line("approvers", say.approvers_value(approvers),
                               source("approvers") if from_repository else say.APPS_FILE))
    lines.append(say.rule_line("self-approval", *_self_approval(app, recorded, rules, source)))
    inputs["rollout_settings"] = {**inputs["rollout_settings"], "approval": recorded}
    gates = [s.weight for s in plan_stages(strategy, inputs["rollout_settings"]) if s.manual_approval]
    if gates and not approvers:
        # Today's rule for a gate nobody may approve: it waits for its timeout. Proceeding would skip it unseen.
        refused = on_timeout == "proceed"
        if refused:
            inputs["rollout_settings"]["on_gate_timeout"] = on_timeout = "rollback"
        notes.append(say.nobody_can_approve(gates, minutes, on_timeout, refused))
    if file is None:
        return inputs, "\n".join(notes) or None
    header = say.rules_not_used(file.unused_because) if file.unused_because else \
        say.rules_used(file.repository, file.branch)
    return inputs, "\n".join([header, *lines, *notes])


def _approval(app: DeployApp, environment: str, rules: dict[str, Any], config: RepoConfig,
              repository: str) -> tuple[dict[str, Any], list[str]]:
    """(the repository's approval rules as the rollout records them, notes on approvers it cannot use)."""
    recorded: dict[str, Any] = {}
    notes: list[str] = []
    if "allow_self_approval" in rules:
        recorded.update(repository=repository, allow_self_approval=bool(rules["allow_self_approval"]),
                        self_approval_key=rule_key(config, app.name, environment, "allow_self_approval"))
    listed = [str(a) for a in rules.get("approvers", [])]
    if not listed:
        return recorded, notes
    key = rule_key(config, app.name, environment, "approvers")
    usable = [a for a in listed if is_slack_approver(a)]
    recorded.update(repository=repository, approvers=usable, approvers_key=key)
    own = app.approvers_for(environment)
    if own and set(listed) != set(own):
        notes.append(say.operator_approvers_stand(repository, key, listed))
    elif not own and len(usable) < len(listed):
        notes.append(say.cannot_approve_in_slack(repository, key, [a for a in listed if a not in usable]))
    return recorded, notes


def _self_approval(app: DeployApp, recorded: dict[str, Any], rules: dict[str, Any],
                   source: Callable[[str], str]) -> tuple[str, str]:
    """(allowed or not, which side decided): the stricter of the apps file and the repository."""
    if self_approval_refusal(app, recorded) is None:
        return "allowed", say.APPS_FILE + (f" and {source('allow_self_approval')}" if "allow_self_approval" in rules
                                           else "")
    return "not allowed", say.APPS_FILE if not app.allow_self_approval else source("allow_self_approval")


def _github_said(error: GithubException) -> str:
    if error.status == 404:
        return "devops-bot is not installed on it, or it does not exist"
    said = error.data.get("message") if isinstance(error.data, dict) else None
    return f"GitHub answered HTTP {error.status}" + (f": {said}" if said else "")
