"""contract.Reporter for GitHub Deployments: every rollout of an app with a repository shows in its Environments.

When the rollout starts, a deployment of `ref=<version>` is created (auto_merge off, no required contexts,
the rollout id in its payload) and marked in_progress; when it ends, success or failure (why, in at most
140 characters). GitHub's auto_inactive retires the previous deployment of a non-production environment;
for production (which auto_inactive skips) the previous one gets an explicit inactive status.

What was posted lives in `rollout.github` ({repository, deployment_id, state}), saved with the rollout.
GitHub failing never stops a rollout: it is logged and said once in the Slack thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from github.Repository import Repository

from bot.rollouts.contract import ABORTED
from bot.rollouts.contract import FAILED
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import Rollout
from bot.rollouts.store import FINISHED_TTL_SECONDS
from bot.rollouts.store import ConflictError
from bot.rollouts.store import RolloutStore

log = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 140  # GitHub refuses longer status descriptions
LIVE_TTL_SECONDS = 400 * 24 * 3600  # the live deployment per environment: kept while deploys happen at all
_ENDED = {SUCCEEDED: "success", ROLLED_BACK: "failure", ABORTED: "failure", FAILED: "failure"}


def live_key(repository: str, environment: str) -> str:
    """Redis key of the deployment id now live in a repository's environment."""
    return f"devops-bot:github-deployment-live:{repository}:{environment}"


def github_state(rollout: Rollout) -> str:
    """The deployment status a rollout's state shows as."""
    return _ENDED.get(rollout.state, "in_progress")


def short(text: str) -> str:
    """At most 140 characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    return text[:DESCRIPTION_LIMIT - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def describe(rollout: Rollout) -> str:
    """The status description for the rollout as it is now."""
    if rollout.state in TERMINAL and rollout.reason:
        return short(rollout.reason)
    if rollout.state == SUCCEEDED:
        return short(f"{rollout.version} serves all {rollout.environment} traffic")
    plan = " → ".join(f"{stage.weight}%" for stage in rollout.stages)
    return short(f"{rollout.strategy} of {rollout.version} to {rollout.environment}: {plan}")


class GitHubDeployments:
    """Reports one rollout as a GitHub deployment and its statuses."""

    def __init__(self, repository: Callable[[str], Repository], redis: Any,
                 note: Callable[[Rollout, str], None] = lambda rollout, text: None,
                 log_url: Callable[[Rollout], str | None] = lambda rollout: None) -> None:
        self.repository = repository  # full name -> PyGithub repository on an installation token
        self.redis = redis
        self.note = note  # one line in the rollout's Slack thread
        self.log_url = log_url  # where people follow the rollout (the Slack thread's permalink)

    # --- contract.Reporter ---------------------------------------------------------------------------

    def changed(self, rollout: Rollout) -> None:
        """Bring the deployment's status in line with the rollout (created on the first call)."""
        record = rollout.github
        if not record.get("repository") or record.get("gave_up"):
            return
        want = github_state(rollout)
        if record.get("state") == want:
            return
        try:
            if "log_url" not in record:
                record["log_url"] = self._find_log_url(rollout)
            repo = self.repository(record["repository"])
            if not record.get("deployment_id"):
                record["deployment_id"] = self._create(repo, rollout)
            self._status(repo, record["deployment_id"], want, rollout)
            record["state"] = want
            if want == "success":
                self._retire_previous(repo, rollout)
        except Exception as error:  # GitHub down or refusing: the rollout goes on without it
            log.warning("GitHub deployment %s for rollout %s failed: %s", want, rollout.rollout_id, error)
            if not record.get("deployment_id"):
                record["gave_up"] = True  # a create that failed may have been applied; never make two
            if not record.get("noted"):
                record["noted"] = True
                self.note(rollout, _failure_note(record["repository"], error))
        self._save(rollout)

    def event(self, rollout: Rollout, kind: str, text: str) -> None:
        """Events show in Slack; GitHub gets the state changes only."""

    def gate_opened(self, rollout: Rollout) -> None:
        """A waiting gate stays in_progress on GitHub."""

    def gate_closed(self, rollout: Rollout, outcome: str, by: str | None) -> None:
        """The outcome reaches GitHub through `changed`."""

    def _find_log_url(self, rollout: Rollout) -> str | None:
        try:
            return self.log_url(rollout)
        except Exception:  # a missing link never costs the status
            log.exception("no log url for rollout %s", rollout.rollout_id)
            return None

    # --- GitHub calls ----------------------------------------------------------------------------------

    def _create(self, repo: Repository, rollout: Rollout) -> int:
        production = rollout.environment == "production"
        deployment = repo.create_deployment(
            ref=rollout.version, task="deploy", auto_merge=False, required_contexts=[],
            payload={"rollout_id": rollout.rollout_id, "app": rollout.app, "strategy": rollout.strategy,
                     "stable_version": rollout.stable_version, "requested_by": rollout.requested_by},
            environment=rollout.environment, description=short(f"{rollout.strategy} rollout of {rollout.app}"),
            transient_environment=False, production_environment=production)
        return int(deployment.id)

    def _status(self, repo: Repository, deployment_id: int, state: str, rollout: Rollout) -> None:
        body: dict[str, Any] = {"state": state, "description": describe(rollout)}
        for key in ("log_url", "environment_url"):
            if rollout.github.get(key):
                body[key] = rollout.github[key]
        # PyGithub's create_status has no log_url; its requester keeps the auth, retries and counting.
        repo.requester.requestJsonAndCheck("POST", f"{repo.url}/deployments/{deployment_id}/statuses", input=body)

    def _retire_previous(self, repo: Repository, rollout: Rollout) -> None:
        key = live_key(rollout.github["repository"], rollout.environment)
        raw = self.redis.get(key)
        previous = int(raw) if raw else None
        current = int(rollout.github["deployment_id"])
        # auto_inactive already retired it unless the environment is production.
        if previous and previous != current and rollout.environment == "production":
            repo.requester.requestJsonAndCheck(
                "POST", f"{repo.url}/deployments/{previous}/statuses",
                input={"state": "inactive", "description": short(f"replaced by {rollout.version}")})
        self.redis.set(key, str(current), ex=LIVE_TTL_SECONDS)

    def _save(self, rollout: Rollout) -> None:
        try:  # reporters run under the rollout's lock, right after the engine saved it
            RolloutStore(self.redis).save(rollout, ttl=FINISHED_TTL_SECONDS if rollout.state in TERMINAL else None)
        except ConflictError:
            log.warning("rollout %s changed before its GitHub deployment id was saved", rollout.rollout_id)


def _failure_note(repository: str, error: Exception) -> str:
    status = getattr(error, "status", None)
    data = getattr(error, "data", None)
    said = data.get("message") if isinstance(data, dict) else None
    detail = f"HTTP {status}: {said}" if status else str(error) or type(error).__name__
    return (f"GitHub Deployments for {repository} are not recorded for this rollout ({detail}); "
            "the rollout itself goes on.")


def github_deployments(rollout: Rollout) -> GitHubDeployments:
    """Factory for Rollout.reporter_factories: "bot.github_deployments:github_deployments"."""
    from bot.github_auth import InstallationTokens
    from bot.queue import connect
    from bot.settings import Settings
    from bot.slack_reporter import SlackReporter
    from bot.slack_reporter import slack_client

    settings = Settings.from_env(require_github=False)
    redis = connect(settings)

    def note(r: Rollout, text: str) -> None:
        if settings.slack_enabled:
            SlackReporter(slack_client(settings), redis).reply(r.rollout_id, text)

    def thread_link(r: Rollout) -> str | None:
        if not settings.slack_enabled:
            return None
        client = slack_client(settings)
        where = SlackReporter(client, redis).thread(r.rollout_id)
        if not where:
            return None
        return str(client.chat_getPermalink(channel=where["channel"], message_ts=where["ts"])["permalink"])

    return GitHubDeployments(repository_on_installation(settings, redis, InstallationTokens(redis, settings)),
                             redis, note, thread_link)


def repository_on_installation(settings: Any, redis: Any, tokens: Any) -> Callable[[str], Repository]:
    """full name -> a lazy PyGithub repository on its installation's token (installation id cached)."""
    from github import Auth
    from github import GithubIntegration

    from bot.github_auth import JWT_BACKDATE_SECONDS
    from bot.github_auth import JWT_LIFETIME_SECONDS
    from bot.github_client import RetryPolicy
    from bot.github_client import make_github
    from bot.github_client import make_retry

    # Reporters run while the rollout's lock is held (120 s): honour rate limits, but never wait for long.
    policy = RetryPolicy(total=2, backoff_factor=0.5, max_wait_seconds=10, secondary_rate_wait=10)

    def repository(full_name: str) -> Repository:
        if not (settings.github_app_id and settings.github_private_key):
            raise RuntimeError("the GitHub App is not configured (GITHUB_APP_ID, GITHUB_PRIVATE_KEY)")
        key = f"devops-bot:repo-installation:{full_name}"
        installation = redis.get(key)
        if installation is None:
            owner, name = full_name.split("/", 1)
            # Our JWT claims, not PyGithub's (iat 60 s back): they survive a clock 2 minutes off GitHub's.
            auth = Auth.AppAuth(int(settings.github_app_id), settings.github_private_key,
                                jwt_expiry=JWT_LIFETIME_SECONDS, jwt_issued_at=-JWT_BACKDATE_SECONDS)
            app = GithubIntegration(auth=auth, base_url=settings.github_api_url, retry=make_retry(policy), timeout=10,
                                    seconds_between_requests=None, seconds_between_writes=None)
            installation = app.get_repo_installation(owner, name).id
            redis.set(key, str(installation), ex=3600)
        installation_id = int(installation)
        return make_github(tokens.token(installation_id), settings.github_api_url, policy=policy,
                           timeout=10).get_repo(full_name)

    return repository
