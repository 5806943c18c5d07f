"""Keeping bot pull requests alive: refresh on push, `/devops refresh`, `/devops status`, `/devops onboard`.

A bot pull request is regenerated only while every commit on its branch since the default branch
is the bot's (the `Generated-by: devops-bot` trailer). Once a person has pushed to it, a push
only earns one comment saying it is stale; `/devops refresh` then builds on top of their commits
(a fast-forward; nothing is ever force-pushed).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any
from urllib.parse import quote

from github.PullRequest import PullRequest
from github.Repository import Repository

from bot import jobs
from bot import lifecycle
from bot import messages
from bot import onboarding
from bot import refresh_messages
from bot.publishers import is_bot_commit
from bot.refresh_packages import BOT_BRANCHES
from bot.refresh_packages import regenerate
from bot.reporters import add_reaction
from bot.reporters import reply
from bot.run_index import recent_runs
from bot.run_index import record_run

log = logging.getLogger(__name__)

STALE_MARKER = "<!-- devops-bot:stale -->"
STALE_KEY = "devops-bot:stale-comment:{repository_id}:{number}"
STALE_TTL_SECONDS = 90 * 24 * 3600
INVALID_OPTIONS_KEY = "devops-bot:invalid-options-comment:{repository_id}:{number}:{digest}"
LOCKFILES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb",
                       "bun.lock", "poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock", "go.sum", "Cargo.lock",
                       "Gemfile.lock", "composer.lock", "mix.lock", "packages.lock.json"})


def analysis_inputs_changed(paths: list[str]) -> list[str]:
    """Of the changed paths, those the analyses read or look for: manifests, lockfiles, versions, config, and the
    charts, Kubernetes manifests and Terraform that choose the infra design and feed the monitoring inventory."""
    from generators.analysis import wanted_files
    from generators.analysis.static import is_infrastructure_file

    wanted = set(wanted_files(sorted(set(paths))))
    return sorted(path for path in set(paths)
                  if path in wanted or path == onboarding.CONFIG_PATH or path.rsplit("/", 1)[-1] in LOCKFILES
                  or is_infrastructure_file(path))


def branch_is_ours(repo: Repository, base: str, branch: str) -> bool:
    """Whether every commit on `branch` since `base` carries the bot's trailer (one compare request)."""
    _, data = repo.requester.requestJsonAndCheck(
        "GET", f"{repo.url}/compare/{quote(base, safe='')}...{quote(branch, safe='')}", parameters={"per_page": 250})
    commits = data.get("commits") or []
    if int(data.get("total_commits") or 0) > len(commits):
        return False  # more than one page of commits: not a branch the bot keeps
    return all(is_bot_commit(str(item["commit"]["message"])) for item in commits)


def open_pull(repo: Repository, branch: str) -> PullRequest | None:
    """The open pull request of a bot branch, if any."""
    owner = repo.full_name.split("/")[0]
    return next(iter(repo.get_pulls(state="open", head=f"{owner}:{branch}")), None)


def refresh_pulls(repo: Repository, request: dict[str, Any], deps: jobs.Deps, *, force: bool,
                  on_not_ours: Callable[[PullRequest, str], None],
                  on_options_problem: Callable[[PullRequest, str], None]) -> list[dict[str, Any]]:
    """Regenerate each open bot pull request from the default branch; `force` builds on people's commits too.

    A pull request whose recorded options no longer parse, or that cannot run without the options it does
    not record, is left alone and handed, with the answer people need, to `on_options_problem`.
    """
    default_branch = request.get("default_branch") or repo.default_branch
    results: list[dict[str, Any]] = []
    for branch in BOT_BRANCHES:
        pull = open_pull(repo, branch)
        if pull is None:
            continue
        entry = {"branch": branch, "pull_request": pull.number, "url": pull.html_url}
        if not force and not branch_is_ours(repo, default_branch, branch):
            on_not_ours(pull, branch)
            results.append({**entry, "outcome": "branch_not_ours"})
            continue
        result = {**entry, **regenerate(repo, pull, deps, default_branch, branch, force)}
        if "answer" in result:
            on_options_problem(pull, result["answer"])
        results.append(result)
    return results


def comment_stale_once(redis: Any, repository_id: int, pull: PullRequest, branch: str) -> bool:
    """Say once per pull request that it is stale; True when the comment was posted now."""
    return _comment_once(redis, STALE_KEY.format(repository_id=repository_id, number=pull.number), pull,
                         f"{STALE_MARKER}\n{refresh_messages.stale_pull_request(branch)}")


def answer_options_problem_once(redis: Any, repository_id: int, pull: PullRequest, answer: str) -> bool:
    """Say on the pull request why its options stop its refresh, once per distinct answer; True when posted now."""
    digest = hashlib.sha256(answer.encode()).hexdigest()[:16]
    return _comment_once(redis, INVALID_OPTIONS_KEY.format(repository_id=repository_id, number=pull.number,
                                                           digest=digest), pull, answer)


def _comment_once(redis: Any, key: str, pull: PullRequest, text: str) -> bool:
    if not redis.set(key, "1", nx=True, ex=STALE_TTL_SECONDS):
        return False
    reply(_issue_of(pull), text)
    return True


def _issue_of(pull: PullRequest) -> Any:
    from github.Issue import Issue

    # the pull request's conversation is its issue; built from its url, it costs no request
    return Issue(pull.requester, attributes={"url": pull.issue_url, "number": pull.number}, completed=False)


def run_push_refresh(request: dict[str, Any], *, deps: jobs.Deps | None = None, redis: Any = None) -> dict[str, Any]:
    """The job for a push to the default branch that changed what the analysis reads."""
    if deps is None or redis is None:
        deps, redis = _production(request)
    if lifecycle.is_stopped(redis, int(request["installation_id"])):
        return {"outcome": "installation_stopped"}
    repo = deps.github.get_repo(request["repository"])
    repository_id = int(request["repository_id"])
    turned_off = _turned_off(repo, request)
    if turned_off:
        return {"outcome": turned_off, "repository": request["repository"]}
    results = refresh_pulls(repo, request, deps, force=False,
                            on_not_ours=lambda pull, branch: comment_stale_once(redis, repository_id, pull, branch),
                            on_options_problem=lambda pull, answer: answer_options_problem_once(
                                redis, repository_id, pull, answer))
    summary = {"outcome": "refreshed" if results else "no_bot_pull_requests", "pulls": results,
               "repository": request["repository"]}
    for result in results:
        record_run(redis, repository_id, {"run_id": deps.job_id, "kind": "refresh", **result})
    log.info("push refresh of %s: %s", request["repository"], summary)
    return summary


def _turned_off(repo: Repository, request: dict[str, Any]) -> str | None:
    """"disabled" when .devops.yml says `enabled: false`, "invalid_config" when it cannot be read; else None."""
    from bot.config import ConfigError
    from bot.config_checks import read_config_at

    try:
        config = read_config_at(repo, request.get("default_branch") or repo.default_branch)
    except ConfigError:  # the config check run reports it; a refresh waits for a valid file
        return "invalid_config"
    return None if config.enabled else "disabled"


def _production(request: dict[str, Any]) -> tuple[jobs.Deps, Any]:
    from bot.queue import connect
    from bot.settings import Settings

    return jobs.build_deps(request), connect(Settings.from_env())


# --- commands: the job kinds bot.jobs.run_github_command hands to this module ---

def _command_start(request: dict[str, Any], deps: jobs.Deps, progress: Any, command: str) -> tuple[Any, Any, bool]:
    """(repo, issue, allowed): react to the command and check who may run it; a refusal is already posted."""
    repo = deps.github.get_repo(request["repository"])
    issue = progress.issue = repo.get_issue(int(request["issue_number"]))
    add_reaction(issue.get_comment(int(request["comment_id"])), "eyes")
    allowed, why = may_run(repo, request, command)
    if not allowed:
        reply(issue, why)
    return repo, issue, allowed


def may_run(repo: Repository, request: dict[str, Any], command: str) -> tuple[bool, str]:
    """Whether the commenter may run `command`: `.devops.yml` permissions, default write access or above.

    An invalid `.devops.yml` refuses with its problem report rather than failing the job.
    """
    from bot.config_checks import gate_command

    _, level = jobs._may_write(repo, request["commenter"])
    ref = request.get("default_branch") or repo.default_branch
    return gate_command(repo, ref, command, request["commenter"], level)


def status_job(request: dict[str, Any], deps: jobs.Deps, progress: Any) -> dict[str, Any]:
    """`/devops status`: the recent runs of this repository, newest first."""
    repo, issue, allowed = _command_start(request, deps, progress, "status")
    if not allowed:
        return {"outcome": "not_allowed"}
    redis = getattr(deps.run_store, "redis", None)
    runs = recent_runs(redis, int(request["repository_id"])) if redis is not None else []
    rows = [{**run, "when": datetime.fromtimestamp(float(run["at"]), UTC).strftime("%Y-%m-%d %H:%M")} for run in runs]
    reply(issue, messages.status_report(request["repository"], rows))
    return {"outcome": "status", "runs": len(rows)}


def refresh_job(request: dict[str, Any], deps: jobs.Deps, progress: Any) -> dict[str, Any]:
    """`/devops refresh`: regenerate the open bot pull requests, on top of people's commits if there are any."""
    repo, issue, allowed = _command_start(request, deps, progress, "refresh")
    if not allowed:
        return {"outcome": "not_allowed"}
    # the person who asked reads every answer in the reply, so nothing is posted on the pull requests
    results = refresh_pulls(repo, request, deps, force=True, on_not_ours=lambda pull, branch: None,
                            on_options_problem=lambda pull, answer: None)
    reply(issue, refresh_messages.refresh_results(
        [refresh_messages.refresh_line(r["branch"], r["pull_request"], r["url"], r["outcome"]) for r in results],
        [r["answer"] for r in results if "answer" in r]))
    return {"outcome": "refreshed" if results else "no_bot_pull_requests", "pulls": results}


def onboard_job(request: dict[str, Any], deps: jobs.Deps, progress: Any) -> dict[str, Any]:
    """`/devops onboard`: open the onboarding pull request now, even after a person closed one."""
    repo, issue, allowed = _command_start(request, deps, progress, "onboard")
    if not allowed:
        return {"outcome": "not_allowed"}
    redis = getattr(deps.run_store, "redis", None)
    if redis is not None:
        onboarding.clear_closed(redis, int(request["repository_id"]))
    summary = onboarding.onboard({**request, "trigger": "command"},
                                 onboarding.OnboardingDeps(jobs=deps, redis=redis))
    reply(issue, messages.onboard_result(summary["outcome"], summary.get("url")))
    return summary


COMMAND_JOBS: dict[str, Callable[[dict[str, Any], jobs.Deps, Any], dict[str, Any]]] = {
    "status": status_job, "refresh": refresh_job, "onboard": onboard_job,
}
