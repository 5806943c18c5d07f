"""The onboarding pull request "Configure devops-bot": `.devops.yml`, and CI when the repository has none.

`run_onboarding(request)` is the job queued per repository by bot/lifecycle.py (trigger "install")
and run inline by `/devops onboard` (trigger "command"). Install-triggered jobs are paced per
installation (bot/pacing.py) and never reopen a pull request a person closed without merging.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from github import GithubException
from github import UnknownObjectException
from github.Repository import Repository

from bot import lifecycle
from bot.github_client import is_transient
from bot.github_tree import GitHubTree
from bot.jobs import Deps
from bot.jobs import run_setup_pipeline
from bot.publishers import BaseCommit
from bot.publishers import BranchNotOurs
from bot.publishers import PublishResult
from bot.publishers import PullRequestPublisher
from generators.analysis.tree import Unlisted

log = logging.getLogger(__name__)

BRANCH = "devops-bot/onboarding"
TITLE = "Configure devops-bot"
LABELS = ["devops-bot"]
CONFIG_PATH = ".devops.yml"
# tree, commit, ref, pull request, labels: what one onboarding pull request costs in writes
WRITES_PER_PULL_REQUEST = 5
CLOSED_KEY = "devops-bot:onboarding-closed:{repository_id}"


@dataclass
class OnboardingDeps:
    """What an onboarding job uses: the command-job deps (client, runner, run store), Redis, a clock."""

    jobs: Deps
    redis: Any
    clock: Callable[[], float] = field(default=time.time)
    # run the same request again at a time (seconds since the epoch); RQ's enqueue_at in production
    schedule: Callable[[float, dict[str, Any]], None] | None = None


def mark_closed(redis: Any, repository_id: int | str) -> None:
    """Remember that a person closed the onboarding pull request without merging it."""
    redis.set(CLOSED_KEY.format(repository_id=repository_id), "1")


def clear_closed(redis: Any, repository_id: int | str) -> None:
    """Forget a closed onboarding pull request (someone asked for it with `/devops onboard`)."""
    redis.delete(CLOSED_KEY.format(repository_id=repository_id))


def run_onboarding(request: dict[str, Any], *, deps: OnboardingDeps | None = None) -> dict[str, Any]:
    """Open (or update) one repository's onboarding pull request, or record why it gets none."""
    installation_id, repository_id = int(request["installation_id"]), int(request["repository_id"])
    deps = deps or build_deps(request)
    redis = deps.redis
    if lifecycle.is_stopped(redis, installation_id):
        return {"outcome": "installation_stopped", "repository": request["repository"]}
    install = request.get("trigger", "install") == "install"
    known = lifecycle.state_of(redis, installation_id, repository_id) or {}
    if install and known.get("state") in lifecycle.FINAL_STATES:
        return {"outcome": f"already_{known['state']}", "repository": request["repository"]}
    try:
        summary = onboard(request, deps)
    except Exception as error:
        if not is_transient(error) or deps.jobs.retries_left <= 0:
            lifecycle.set_state(redis, installation_id, repository_id, "failed", repository=request["repository"],
                                error=type(error).__name__)
            lifecycle.forget_onboarding_job(redis, installation_id, repository_id)
        raise
    if summary["outcome"] != "deferred":
        state = "opened" if summary["outcome"] in ("opened", "updated", "unchanged") else "skipped"
        lifecycle.set_state(redis, installation_id, repository_id, state, repository=request["repository"],
                            reason=summary["outcome"], pull_request=summary.get("pull_request"))
        if install:
            lifecycle.forget_onboarding_job(redis, installation_id, repository_id)
    from bot.run_index import record_run

    record_run(redis, repository_id, {"run_id": deps.jobs.job_id, "kind": "onboard", **summary}, clock=deps.clock)
    log.info("onboarding %s: %s", request["repository"], summary)
    return summary


def onboard(request: dict[str, Any], deps: OnboardingDeps) -> dict[str, Any]:
    """The onboarding itself; returns {"outcome": opened | updated | unchanged | deferred | <skip reason>, …}."""
    install = request.get("trigger", "install") == "install"
    repository = request["repository"]
    repo = deps.jobs.github.get_repo(repository)
    reason = skip_reason(repo.raw_data, install=install)
    if reason:
        return {"outcome": reason, "repository": repository}
    default_branch = repo.default_branch
    try:
        head_sha = repo.get_git_ref(f"heads/{default_branch}").object.sha
    except (UnknownObjectException, GithubException) as error:
        if isinstance(error, UnknownObjectException) or error.status == 409:  # 409: "Git Repository is empty."
            return {"outcome": "empty", "repository": repository}
        raise
    tree = _CachingTree(GitHubTree(repo, head_sha))
    if CONFIG_PATH in tree.paths():
        return {"outcome": "has_config", "repository": repository}
    if install and closed_by_person(deps.redis, repo, int(request["repository_id"])):
        return {"outcome": "closed_by_person", "repository": repository}
    if install:
        start = _reserved_start(request, deps)
        if start is not None:
            return {"outcome": "deferred", "repository": repository, "at": start}
    if lifecycle.is_stopped(deps.redis, int(request["installation_id"])):  # stopped while we read
        return {"outcome": "installation_stopped", "repository": repository}
    from bot.onboarding_files import onboarding_files

    files, body = onboarding_files(repository, tree, head_sha, default_branch, deps.jobs, run_setup_pipeline)
    base = BaseCommit(head_sha, tree.tree_sha) if tree.tree_sha else None
    try:
        result = PullRequestPublisher().publish(repo, default_branch, BRANCH, files, TITLE, body, LABELS, base=base)
    except BranchNotOurs as error:
        return {"outcome": "branch_not_ours", "repository": repository, "head_sha": error.head_sha}
    return {"outcome": _outcome(result), "repository": repository, "pull_request": result.number or None,
            "url": result.url, "files": sorted(files)}


def skip_reason(data: dict[str, Any], *, install: bool) -> str | None:
    """Why a repository (GET /repos/{owner}/{repo}) gets no onboarding pull request, or None."""
    if data.get("archived"):
        return "archived"
    if data.get("disabled"):
        return "disabled"
    if not data.get("default_branch") or data.get("size") == 0:
        return "empty"
    if data.get("fork") and install:  # a fork follows its parent; `/devops onboard` onboards it on purpose
        return "fork"
    return None


def closed_by_person(redis: Any, repo: Repository, repository_id: int) -> bool:
    """Whether an onboarding pull request was closed without merging (Redis marker, then GitHub)."""
    if redis.exists(CLOSED_KEY.format(repository_id=repository_id)):
        return True
    owner = repo.full_name.split("/")[0]
    for pull in repo.get_pulls(state="closed", head=f"{owner}:{BRANCH}"):
        if not pull.raw_data.get("merged_at"):
            mark_closed(redis, repository_id)
            return True
    return False


def _reserved_start(request: dict[str, Any], deps: OnboardingDeps) -> float | None:
    """None when this job may write now; else when it will (it was scheduled again for that time)."""
    from bot.pacing import WriteBudget

    now = deps.clock()
    reserved = request.get("reserved_at")
    if reserved is not None and float(reserved) <= now + 1:
        return None  # this run is the slot reserved earlier
    start = float(reserved) if reserved is not None else WriteBudget(deps.redis, clock=deps.clock).reserve(
        int(request["installation_id"]), WRITES_PER_PULL_REQUEST)
    if start <= now + 1:
        return None
    (deps.schedule or _enqueue_at(deps.redis))(start, {**request, "reserved_at": start})
    return start


def _enqueue_at(redis: Any) -> Callable[[float, dict[str, Any]], None]:
    def schedule(at: float, request: dict[str, Any]) -> None:
        from bot.queue import get_onboarding_queue

        job_id = f"{lifecycle.onboard_job_id(request['installation_id'], request['repository_id'])}-at-{int(at)}"
        get_onboarding_queue(redis).enqueue_at(datetime.fromtimestamp(at, UTC), lifecycle.ONBOARD_FUNCTION, request,
                                               job_id=job_id, job_timeout=lifecycle.ONBOARD_TIMEOUT_SECONDS)

    return schedule


def _outcome(result: PublishResult) -> str:
    if result.created:
        return "opened"
    if result.updated:
        return "updated"
    return "unchanged" if result.number else "nothing_to_propose"


class _CachingTree:
    """A FileTree that reads each file once, so analysis and the pipeline share one set of reads."""

    def __init__(self, tree: GitHubTree) -> None:
        self.inner = tree
        self.cache: dict[str, str] = {}

    @property
    def truncated(self) -> bool:
        """Whether GitHub cut the listing short."""
        return bool(self.inner.truncated)

    @property
    def unlisted(self) -> Unlisted | None:
        """Which folders a truncated listing could not finish."""
        return self.inner.unlisted

    @property
    def tree_sha(self) -> str | None:
        """The root tree of the commit."""
        return self.inner.tree_sha

    def paths(self) -> list[str]:
        """Every file path."""
        return self.inner.paths()

    def read(self, paths: list[str]) -> dict[str, str]:
        """Contents of the readable files among `paths`."""
        missing = [path for path in paths if path not in self.cache]
        if missing:
            self.cache.update(self.inner.read(missing))
        return {path: self.cache[path] for path in paths if path in self.cache}


def build_deps(request: dict[str, Any]) -> OnboardingDeps:
    """Production dependencies: the command-job deps for the installation, and Redis."""
    from bot import jobs

    job_deps = jobs.build_deps(request)
    return OnboardingDeps(jobs=job_deps, redis=job_deps.run_store.redis)  # one connection, settings read once


def run_pull_closed(request: dict[str, Any], *, redis: Any = None) -> dict[str, Any]:
    """The job for an onboarding pull request a person closed without merging: remember it."""
    if redis is None:
        from bot.queue import connect
        from bot.settings import Settings

        redis = connect(Settings.from_env())
    mark_closed(redis, int(request["repository_id"]))
    return {"outcome": "remembered_closed", "repository": request["repository"],
            "pull_request": request["pull_request"]}
