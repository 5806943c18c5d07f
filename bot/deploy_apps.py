"""The bot-side apps file (DEVOPS_BOT_APPS_FILE): what `/deploy APP` deploys, where, and who approves.

    apps:
      checkout:
        repository: acme/checkout
        platform: {type: local, local: {haproxy_socket: …, prometheus_url: …, slots: {…}}}
        artifact: {type: container_registry, location: ghcr.io/acme/checkout}
        environments: [staging, production]        # the first is the default
        strategy: canary
        version: latest                            # when the command gives no @VERSION
        stable_version: v1
        stages: [{percentage: 5, duration: 300}, {percentage: 100}]
        manual_approval_points: ["25%", "50%"]
        analysis_interval: 30
        success_criteria: {error_rate: 0.01, latency_p99: 500}
        approvers: {production: [U0123ABCD, S0GROUP01]}   # Slack user ids (U/W…) or user group ids (S…)
        allow_self_approval: false
        gate: {timeout_minutes: 60, on_timeout: rollback}
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import YAMLError

from bot.errors import UserError
from bot.rollouts.strategies import DEFAULT_CANARY_STAGES
from bot.rollouts.strategies import STRATEGIES
from bot.rollouts.strategies import approval_weights

log = logging.getLogger(__name__)

ENVIRONMENTS = ("development", "staging", "production")
ON_TIMEOUT = ("rollback", "abort", "pause", "proceed")
_APP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,20}$")
_KEYS = {"repository", "platform", "artifact", "environments", "strategy", "version", "stable_version", "stages",
         "manual_approval_points", "analysis_interval", "success_criteria", "approvers", "allow_self_approval",
         "gate"}


class AppsFileError(UserError):
    """The apps file is invalid; the message lists every problem."""


@dataclass(frozen=True)
class DeployApp:
    """One app that `/deploy` knows."""

    name: str
    repository: str
    platform: dict[str, Any]
    artifact: dict[str, Any]
    environments: tuple[str, ...]
    strategy: str = "canary"
    version: str = "latest"
    stable_version: str = "current"
    rollout_settings: dict[str, Any] = field(default_factory=dict)
    approvers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    allow_self_approval: bool = False

    @property
    def default_environment(self) -> str:
        """The first environment listed."""
        return self.environments[0]

    def approvers_for(self, environment: str) -> tuple[str, ...]:
        """Slack user and user group ids that may approve in `environment`."""
        return self.approvers.get(environment, ())


def load_apps(path: str | Path | None) -> dict[str, DeployApp]:
    """The apps in the file at `path` ({} when no path); AppsFileError lists every problem."""
    if not path:
        return {}
    try:
        data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AppsFileError(f"DEVOPS_BOT_APPS_FILE ({path}): there is no such file") from None
    except (OSError, UnicodeDecodeError, YAMLError) as error:
        raise AppsFileError(f"DEVOPS_BOT_APPS_FILE ({path}): cannot be read as YAML ({error})") from None
    return parse_apps(data, str(path))


class AppsFile:
    """The apps file as the web process serves it: read again when it changes on disk, so adding or changing an
    app needs no restart. A change that does not parse keeps the last good apps (and is logged); the start-up
    read still fails loudly (AppsFileError), so a broken file never starts a process.
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = path
        self._stamp = self._read_stamp()
        self._apps = load_apps(path)

    def _read_stamp(self) -> tuple[int, int, int] | None:
        if not self.path:
            return None
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size, info.st_ino

    def current(self) -> dict[str, DeployApp]:
        """The apps, from the file as it is now (one stat per call; parsed only when it changed)."""
        stamp = self._read_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._apps = load_apps(self.path)
            except AppsFileError as error:
                log.error("the apps file changed but cannot be used; the last good apps stay: %s", error)
        return self._apps


def parse_apps(data: Any, source: str = "apps file") -> dict[str, DeployApp]:
    """Validate parsed YAML; AppsFileError lists every problem with its place."""
    problems: list[str] = []
    apps: dict[str, DeployApp] = {}
    raw_apps = data.get("apps") if isinstance(data, dict) else None
    if not isinstance(raw_apps, dict) or not raw_apps:
        raise AppsFileError(f"{source}: needs a top-level `apps:` mapping of app name to its settings")
    for name, raw in sorted(raw_apps.items(), key=lambda item: str(item[0])):
        where = f"{source}: apps.{name}"
        before = len(problems)
        if not _APP_NAME.match(str(name)):
            problems.append(f"{where}: an app name is letters, digits, '.', '_' and '-'")
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        app = _parse_app(str(name), raw, where, problems)
        if len(problems) == before:
            apps[str(name)] = app
    if problems:
        raise AppsFileError("The apps file has problems:\n" + "\n".join(f"- {p}" for p in problems))
    return apps


def _parse_app(name: str, raw: dict[str, Any], where: str, problems: list[str]) -> DeployApp:
    for key in sorted(set(raw) - _KEYS):
        problems.append(f"{where}.{key}: unknown setting (known: {', '.join(sorted(_KEYS))})")
    repository = raw.get("repository")
    if not isinstance(repository, str) or repository.count("/") != 1:
        problems.append(f"{where}.repository: give the app's GitHub repository as owner/name")
    platform = raw.get("platform") or {"type": "local"}
    if isinstance(platform, str):
        platform = {"type": platform}
    if not isinstance(platform, dict):
        problems.append(f"{where}.platform: a mapping with `type` (local, kubernetes, ecs, lambda, vm_based)")
        platform = {}
    artifact = raw.get("artifact") or {}
    if not isinstance(artifact, dict) or not artifact.get("location"):
        problems.append(f"{where}.artifact: a mapping with `type` and `location` (where versions are pulled from)")
        artifact = {}
    environments = raw.get("environments") or []
    if not isinstance(environments, list) or not environments:
        problems.append(f"{where}.environments: list at least one of {', '.join(ENVIRONMENTS)}")
        environments = []
    for env in environments:
        if env not in ENVIRONMENTS:
            problems.append(f"{where}.environments: {env!r} is not one of {', '.join(ENVIRONMENTS)}")
    strategy = raw.get("strategy", "canary")
    if strategy not in STRATEGIES:
        problems.append(f"{where}.strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
    approvers: dict[str, tuple[str, ...]] = {}
    raw_approvers = raw.get("approvers") or {}
    if not isinstance(raw_approvers, dict):
        problems.append(f"{where}.approvers: a mapping of environment to a list of Slack user or group ids")
        raw_approvers = {}
    for env, ids in sorted(raw_approvers.items()):
        if env not in environments:
            problems.append(f"{where}.approvers.{env}: not one of this app's environments")
        ids = ids if isinstance(ids, list) else [ids]
        for slack_id in ids:
            if not _SLACK_ID.match(str(slack_id)):
                problems.append(f"{where}.approvers.{env}: {slack_id!r} is not a Slack user id (U…/W…) or "
                                "user group id (S…); copy it from the profile's ⋮ → Copy member ID")
        approvers[env] = tuple(str(i) for i in ids)
    settings = _rollout_settings(raw, where, problems)
    return DeployApp(name=name, repository=str(repository), platform=dict(platform), artifact=dict(artifact),
                     environments=tuple(str(e) for e in environments), strategy=str(strategy),
                     version=str(raw.get("version", "latest")),
                     stable_version=str(raw.get("stable_version", "current")),
                     rollout_settings=settings, approvers=approvers,
                     allow_self_approval=bool(raw.get("allow_self_approval", False)))


def _rollout_settings(raw: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    stages = raw.get("stages")
    if stages is not None:
        if not isinstance(stages, list) or not all(isinstance(s, dict) and "percentage" in s for s in stages):
            problems.append(f"{where}.stages: a list of {{percentage, duration}} such as "
                            "{percentage: 5, duration: 300}")
        else:
            settings["canary_stages"] = stages
    criteria = raw.get("success_criteria")
    if criteria is not None:
        if not isinstance(criteria, dict) or set(criteria) - {"error_rate", "latency_p99", "require_data",
                                                              "error_budget_burn"}:
            problems.append(f"{where}.success_criteria: a mapping of error_rate, latency_p99, require_data and "
                            "error_budget_burn ({availability, max_burn_rate, service}: judge the SLO's burn)")
        else:
            # a stage's own success_criteria win over the app's
            base = stages if isinstance(stages, list) else DEFAULT_CANARY_STAGES
            settings["canary_stages"] = [{**s, "success_criteria": {**criteria, **(s.get("success_criteria") or {})}}
                                         for s in base if isinstance(s, dict)]
    points = raw.get("manual_approval_points")
    if points is not None:
        try:
            approval_weights(list(points))
            settings["manual_approval_points"] = list(points)
        except (UserError, TypeError) as error:
            problems.append(f"{where}.manual_approval_points: {error}")
    if "analysis_interval" in raw:
        settings["analysis_interval"] = raw["analysis_interval"]
    gate = raw.get("gate") or {}
    timeout = gate.get("timeout_minutes", 60) if isinstance(gate, dict) else None
    if not isinstance(timeout, (int, float)) or not 0 < timeout <= 10080:
        problems.append(f"{where}.gate.timeout_minutes: a number of minutes from 1 to 10080")
    else:
        settings["gate_timeout_seconds"] = float(timeout) * 60
    on_timeout = gate.get("on_timeout", "rollback") if isinstance(gate, dict) else None
    if on_timeout not in ON_TIMEOUT:
        problems.append(f"{where}.gate.on_timeout: one of {', '.join(ON_TIMEOUT)}")
    else:
        settings["on_gate_timeout"] = on_timeout
    return settings


def is_slack_approver(entry: str) -> bool:
    """Whether an approver entry is a Slack member id (U…/W…) or user group id (S…), which Slack can check."""
    return bool(_SLACK_ID.match(entry))


def approvers_in_force(app: DeployApp, environment: str, recorded: dict[str, Any] | None = None
                       ) -> tuple[tuple[str, ...], str]:
    """(who may approve, where that list is from): the apps file's list stands; only without one do the
    repository's Slack ids recorded at the deploy's start (`recorded`, bot/deploy_rules.py) apply."""
    own = app.approvers_for(environment)
    if own or not (recorded or {}).get("approvers"):
        return own, f"approvers.{environment} in the apps file"
    assert recorded is not None
    return tuple(recorded["approvers"]), f"{recorded['approvers_key']} in {recorded['repository']}'s `.devops.yml`"


def self_approval_refusal(app: DeployApp, recorded: dict[str, Any] | None = None) -> str | None:
    """Which side forbids the deployer approving their own deploy (None: both allow it); the stricter wins."""
    if not app.allow_self_approval:
        return "the apps file does not allow self-approval (allow_self_approval: false)"
    if (recorded or {}).get("allow_self_approval") is False:
        assert recorded is not None
        return f"{recorded['repository']}'s `.devops.yml` forbids it ({recorded['self_approval_key']}: false)"
    return None


def approval_refusal(app: DeployApp, environment: str, user: str, requested_by: str,
                     members_of: Callable[[str], set[str]], recorded: dict[str, Any] | None = None) -> str | None:
    """Why `user` may not approve `app` in `environment` (None: they may); groups resolved by `members_of`.

    `recorded` is the repository's approval rules the rollout carries (Rollout.approval), combined with the apps
    file as it is now, so an operator's edit still takes effect at the next click.
    """
    approvers, source = approvers_in_force(app, environment, recorded)
    if not approvers:
        return (f"nobody is configured to approve {app.name} in {environment} (approvers.{environment} in the apps "
                "file, or Slack ids in the repository's `.devops.yml` approvers)")
    forbidden = self_approval_refusal(app, recorded)
    if user == requested_by and forbidden:
        return f"you started this deploy, and {forbidden}"
    if user in approvers:
        return None
    for group in approvers:
        if group.startswith("S") and user in members_of(group):
            return None
    from bot.slack_blocks import mention

    listed = ", ".join(mention(a) for a in approvers)
    return f"you are not an approver of {app.name} in {environment} (approvers: {listed}, from {source})"
