"""Queue jobs for GitHub commands: `/devops setup ci`, `/devops help`, and replies to bad commands."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from collections.abc import MutableMapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from github import Github
from github import GithubException
from github import UnknownObjectException
from github.Issue import Issue
from github.Repository import Repository

from bot import messages
from bot import metrics
from bot.errors import UserError
from bot.github_client import CallCounter
from bot.github_client import is_transient
from bot.github_tree import GitHubTree
from bot.publishers import BaseCommit
from bot.publishers import BranchNotOurs
from bot.publishers import PublishResult
from bot.publishers import PullRequestPublisher
from bot.recorded_options import with_options
from bot.reporters import StatusComment
from bot.reporters import add_reaction
from bot.reporters import reply

log = logging.getLogger(__name__)

PIPELINE = "ci_cd_setup"
BRANCH = "devops-bot/setup-ci"
COMMAND = "setup ci"
LABELS = ["devops-bot"]
WRITE_ROLES = {"admin", "maintain", "write"}
WRITE_PERMISSIONS = {"admin", "write"}  # the legacy field: maintain reports "write", triage "read"
STATUS_KEY = "devops-bot:status-comment:{job_id}"
STATUS_TTL_SECONDS = 24 * 3600


@dataclass
class Deps:
    """What a job uses besides its request; tests build it, production builds it from settings."""

    github: Github
    job_id: str
    counter: CallCounter = field(default_factory=CallCounter)
    retries_left: int = 0  # RQ retries still to come after this attempt; 0 means this is the last
    stop_retries: Callable[[], None] = lambda: None  # a permanent error: do not retry the job
    forget_token: Callable[[], None] = lambda: None  # GitHub said 401: mint a fresh token next time
    memo: MutableMapping[str, Any] = field(default_factory=dict)  # survives retries: the status comment id
    runner: Callable[..., Any] | None = None  # bot.engine.run_pipeline unless replaced
    run_store: Any = None
    status_interval: float = 3.0
    schema_url: str | None = None  # where editors find the .devops.yml schema (the bot serves it)


@dataclass
class _Progress:
    """What a failure report needs to know about how far the job got."""

    issue: Issue | None = None
    status: StatusComment | None = None


def run_github_command(request: dict[str, Any], *, deps: Deps | None = None) -> dict[str, Any]:
    """Carry out one GitHub command request (as the webhook handler queued it); returns a summary."""
    progress = _Progress()
    job_id = deps.job_id if deps else _current_job_id(request)
    try:
        deps = deps or build_deps(request)
        if _installation_stopped(request, deps):  # uninstalled or suspended after this job was queued
            return {"outcome": "installation_stopped", "job_id": job_id, "kind": request.get("kind")}
        handler = {"setup_ci": _setup_ci, "help": _help, "reply": _reply,
                   "setup_monitoring": _setup_monitoring,
                   "setup_infra": _setup_infra}.get(request["kind"]) or _command_job(request["kind"])
        summary = handler(request, deps, progress)
    except Exception as error:
        final = _report_failure(request, deps, job_id, progress, error)
        metrics.JOBS.labels(kind=request.get("kind", "unknown"), status="failed" if final else "retried").inc()
        raise
    refused = summary["outcome"] in ("not_allowed", "branch_not_ours", "invalid_config")
    metrics.JOBS.labels(kind=request["kind"], status="refused" if refused else "succeeded").inc()
    summary.update(job_id=job_id, kind=request["kind"], repository=request["repository"],
                   api_calls=deps.counter.calls, retries=deps.counter.retries)
    if request["kind"] not in ("help", "reply", "status") and hasattr(deps.run_store, "redis"):
        from bot.run_index import record_run  # for `/devops status`

        record_run(deps.run_store.redis, request["repository_id"], {**summary, "run_id": job_id})
    log.info("job %s done: %s", job_id, json.dumps(summary, sort_keys=True))
    return summary


def build_deps(request: dict[str, Any]) -> Deps:
    """Production dependencies: settings, Redis, an installation token, a counting client."""
    from rq import get_current_job

    from bot.engine import RedisRunStore
    from bot.github_auth import InstallationTokens
    from bot.github_client import make_github
    from bot.queue import connect
    from bot.settings import Settings

    settings = Settings.from_env()
    redis = connect(settings)
    tokens = InstallationTokens(redis, settings)
    installation = request["installation_id"]
    counter = CallCounter()
    job = get_current_job()

    def stop_retries() -> None:
        if job is not None:
            job.retries_left = 0  # RQ reads this after the job raises

    return Deps(
        schema_url=settings.schema_url,
        github=make_github(tokens.token(installation), settings.github_api_url, counter=counter),
        job_id=_current_job_id(request),
        counter=counter,
        retries_left=int(job.retries_left or 0) if job is not None else 0,
        stop_retries=stop_retries,
        forget_token=lambda: tokens.forget(installation),
        memo=_RedisMemo(redis),
        run_store=RedisRunStore(redis),
    )


def _setup_ci(request: dict[str, Any], deps: Deps, progress: _Progress) -> dict[str, Any]:
    repo = deps.github.get_repo(request["repository"])
    issue = progress.issue = repo.get_issue(int(request["issue_number"]))
    add_reaction(issue.get_comment(int(request["comment_id"])), "eyes")
    allowed, level = _may_write(repo, request["commenter"])
    if not allowed and _config_admits(repo, request, level):
        allowed = True  # .devops.yml names them (or their team) for this command
    if not allowed:
        reply(issue, messages.not_allowed(request["commenter"], level))
        return {"outcome": "not_allowed", "permission": level}

    options = request.get("options") or {}
    platform = options.get("ci_platform") or messages.DEFAULT_PLATFORM
    status = progress.status = StatusComment(
        issue, messages.setup_ci_heading(platform), _step_names(),
        comment_id=deps.memo.get(STATUS_KEY.format(job_id=deps.job_id)), min_interval=deps.status_interval)
    comment_id = status.start(messages.setup_ci_started(platform))
    deps.memo[STATUS_KEY.format(job_id=deps.job_id)] = comment_id

    default_branch = request.get("default_branch") or repo.default_branch
    head_sha = repo.get_git_ref(f"heads/{default_branch}").object.sha
    tree = GitHubTree(repo, head_sha)
    from bot.config import ConfigError
    from bot.config_checks import command_refusal
    from bot.config_checks import read_config_from_tree

    try:
        config = read_config_from_tree(tree)  # the listing the pipeline reads anyway; one blob more
        refusal = command_refusal(config, repo, COMMAND, request["commenter"], level)
        if refusal is not None:
            status.finish(refusal)
            return {"outcome": "not_allowed", "permission": level}
        status.heading = messages.setup_ci_heading(options.get("ci_platform") or config.ci_defaults().get(
            "ci_platform") or messages.DEFAULT_PLATFORM)
        run = run_setup_pipeline(request["repository"], tree, head_sha, default_branch, options, deps,
                                 on_event=status.on_event, config=config)
    except ConfigError as error:  # every problem of .devops.yml, each at its line: the job stops here
        status.finish(str(error))
        return {"outcome": "invalid_config", "problems": len(error.problems)}
    except UserError as error:
        status.finish(str(error))
        return {"outcome": "user_error", "error": str(error)}

    files: dict[str, str] = run.outputs["ci_cd_package"]["files"]
    guide = run.outputs["implementation_guide"]
    base = BaseCommit(head_sha, tree.tree_sha) if tree.tree_sha else None
    body = with_options(guide["body"], COMMAND, options)  # a refresh regenerates with these options
    try:
        result = PullRequestPublisher().publish(repo, default_branch, BRANCH, files, guide["title"], body,
                                                LABELS, base=base)
    except BranchNotOurs as error:
        status.finish(messages.branch_not_ours(error.branch, error.head_sha))
        return {"outcome": "branch_not_ours", "head_sha": error.head_sha}
    status.finish(_outcome_text(result))
    return {"outcome": _outcome(result), "pull_request": result.number, "url": result.url,
            "commit": result.commit_sha, "files": len(files), "truncated_tree": tree.truncated}


def run_setup_pipeline(repository: str, tree: Any, head_sha: str, default_branch: str, options: dict[str, Any],
                       deps: Deps, *, on_event: Callable[[Any], None] | None = None, config: Any = None) -> Any:
    """Run the setup-ci pipeline on `tree` (one commit of `repository`); shared by setup ci, onboarding, refresh.

    Inputs: options from the command win, then `config` (.devops.yml, read from `tree` when not given;
    ConfigError when invalid), then what the analysis finds.
    """
    from bot.config import merge_ci_inputs
    from bot.config_checks import read_config_from_tree
    from bot.registry import StepContext

    config = config if config is not None else read_config_from_tree(tree)

    project_path = f"github:{repository}@{head_sha}"

    def open_tree(path: str) -> Any:
        if path != project_path:
            raise UserError(f"This job can only read {repository}, not {path}.")
        return tree

    def observe(event: Any) -> None:
        if event.status == "succeeded" and event.duration_seconds is not None:
            metrics.STEP_DURATION.labels(pipeline=PIPELINE, step=event.step).observe(event.duration_seconds)
        if on_event is not None:
            on_event(event)

    runner = deps.runner or _engine_runner()
    ctx = StepContext(open_tree=open_tree, run_id=deps.job_id, extras={"default_branch": default_branch,
                                                                       "repository": repository})
    inputs = merge_ci_inputs(_inputs(project_path, options), options, config)
    return runner(PIPELINE, inputs, ctx, on_event=observe, run_id=deps.job_id, store=deps.run_store)


def _setup_infra(request: dict[str, Any], deps: Deps, progress: _Progress) -> dict[str, Any]:
    from bot.infra_job import setup_infra_job

    return setup_infra_job(request, deps, progress)


def _setup_monitoring(request: dict[str, Any], deps: Deps, progress: _Progress) -> dict[str, Any]:
    from bot.monitoring_job import setup_monitoring_job

    return setup_monitoring_job(request, deps, progress)


def _installation_stopped(request: dict[str, Any], deps: Deps) -> bool:
    redis = getattr(deps.run_store, "redis", None)
    if redis is None or "installation_id" not in request:
        return False
    from bot.lifecycle import is_stopped

    return is_stopped(redis, request["installation_id"])


def _command_job(kind: str) -> Callable[[dict[str, Any], Deps, Any], dict[str, Any]]:
    """The job for a command implemented outside this module (status, onboard, refresh)."""
    from bot.refresh import COMMAND_JOBS

    return COMMAND_JOBS[kind]


def _help(request: dict[str, Any], deps: Deps, progress: _Progress) -> dict[str, Any]:
    repo = deps.github.get_repo(request["repository"])
    issue = progress.issue = repo.get_issue(int(request["issue_number"]))
    add_reaction(issue.get_comment(int(request["comment_id"])), "eyes")
    reply(issue, messages.help_text())
    return {"outcome": "help"}


def _reply(request: dict[str, Any], deps: Deps, progress: _Progress) -> dict[str, Any]:
    repo = deps.github.get_repo(request["repository"])
    issue = progress.issue = repo.get_issue(int(request["issue_number"]))
    reply(issue, str(request["message"]))
    return {"outcome": "replied"}


def _may_write(repo: Repository, login: str) -> tuple[bool, str]:
    """(allowed, how GitHub describes their access) from one collaborator-permission call."""
    from urllib.parse import quote

    try:
        _, data = repo.requester.requestJsonAndCheck(
            "GET", f"{repo.url}/collaborators/{quote(login, safe='')}/permission")
    except UnknownObjectException:  # GitHub does not know them as a user of this repository
        return False, "none"
    role, permission = str(data.get("role_name") or ""), str(data.get("permission") or "none")
    return role in WRITE_ROLES or permission in WRITE_PERMISSIONS, role or permission


def _config_admits(repo: Repository, request: dict[str, Any], level: str) -> bool:
    """Whether .devops.yml on the default branch lets someone below write access run `setup ci`."""
    from bot.config_checks import gate_command

    ref = request.get("default_branch") or repo.default_branch
    return gate_command(repo, ref, COMMAND, request["commenter"], level)[0]


def _inputs(project_path: str, options: dict[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = {"project_path": project_path,
                              "ci_platform": options.get("ci_platform") or messages.DEFAULT_PLATFORM}
    if options.get("project_type"):
        inputs["project_type"] = options["project_type"]
    if options.get("coverage") is not None:
        inputs["quality_gates"] = {"test_coverage_threshold": options["coverage"]}
    if options.get("branching"):
        inputs["branching_strategy"] = options["branching"]
    if options.get("deployment_targets"):
        # A target without a region leaves the key out: the pipeline's schema types region as a string.
        inputs["deployment_targets"] = [{key: value for key, value in target.items() if value is not None}
                                        for target in options["deployment_targets"]]
    if options.get("test_shards"):
        inputs["test_shards"] = int(options["test_shards"])
    if options.get("security_scan_required") is not None:
        inputs.setdefault("quality_gates", {})["security_scan_required"] = bool(options["security_scan_required"])
    return inputs


def _step_names() -> list[str]:
    from bot.pipelines import load_pipeline

    return [step["name"] for step in load_pipeline(PIPELINE).get("steps", [])]


def _engine_runner() -> Callable[..., Any]:
    from bot.engine import run_pipeline

    return run_pipeline


def _outcome(result: PublishResult) -> str:
    if result.created:
        return "opened"
    if result.updated:
        return "updated"
    return "unchanged" if result.number else "nothing_to_propose"


def _outcome_text(result: PublishResult) -> str:
    outcome = _outcome(result)
    if outcome == "opened":
        return messages.pull_request_opened(result.number, result.url)
    if outcome == "updated":
        return messages.pull_request_updated(result.number, result.url)
    if outcome == "unchanged":
        return messages.pull_request_unchanged(result.number, result.url)
    return messages.nothing_to_propose(BRANCH)


def _report_failure(request: dict[str, Any], deps: Deps | None, job_id: str, progress: _Progress,
                    error: Exception) -> bool:
    """Log the failure with the job id; on the last attempt, say so on the issue. True when final."""
    if isinstance(error, GithubException) and error.status == 401 and deps is not None:
        deps.forget_token()
    transient = is_transient(error) or (isinstance(error, GithubException) and error.status == 401)
    retries_left = deps.retries_left if deps is not None else _current_retries_left()
    final = not transient or retries_left <= 0
    if not transient and deps is not None and _repository_gone(request, deps, error):
        deps.stop_retries()  # no issue left to comment on, and no retry can reach it
        log.warning("job %s (%s on %s#%s) dropped: GitHub answers 404 for %s, so it was deleted or removed from "
                    "the installation after the command was queued", job_id, request.get("kind"),
                    request.get("repository"), request.get("issue_number"), request.get("repository"))
        return True
    log.error("job %s (%s on %s#%s) failed: %s; %s", job_id, request.get("kind"), request.get("repository"),
              request.get("issue_number"), "transient" if transient else "permanent",
              "final attempt" if final else f"{retries_left} retries left", exc_info=error)
    if not final:
        return False
    if deps is not None and not transient:
        deps.stop_retries()
    try:
        text = messages.job_failed(job_id)
        if progress.status is not None:
            progress.status.finish(text)
        elif deps is not None:
            issue = progress.issue or deps.github.get_repo(request["repository"]).get_issue(int(request["issue_number"]))
            reply(issue, text)
    except Exception:  # GitHub itself may be what failed; the log line above has the id
        log.exception("job %s: could not report the failure on GitHub", job_id)
    return True


def report_lost_job(request: dict[str, Any], lost_job_id: str, *, deps: Deps | None = None) -> dict[str, Any]:
    """Say on the issue that a command job died with its worker and will not be retried (RQ would say nothing)."""
    deps = deps or build_deps(request)
    issue = deps.github.get_repo(request["repository"]).get_issue(int(request["issue_number"]))
    text = messages.job_failed(lost_job_id)
    comment_id = deps.memo.get(STATUS_KEY.format(job_id=lost_job_id))
    if comment_id:  # the status comment it left says "running": it says failed instead
        issue.get_comment(int(comment_id)).edit(text)
    else:
        reply(issue, text)
    log.warning("job %s (%s on %s#%s) died with its worker and had no retries left; reported as failed",
                lost_job_id, request.get("kind"), request.get("repository"), request.get("issue_number"))
    return {"outcome": "reported_lost", "job_id": lost_job_id}


def _repository_gone(request: dict[str, Any], deps: Deps, error: Exception) -> bool:
    """After a 404: whether the repository itself is out of this installation's reach (one more request)."""
    if not (isinstance(error, GithubException) and error.status == 404) or "repository" not in request:
        return False
    try:
        repo = deps.github.get_repo(request["repository"])
        repo.requester.requestJsonAndCheck("GET", repo.url)
    except UnknownObjectException:
        return True
    except Exception:  # GitHub unwell too: report the failure the usual way
        return False
    return False


def _current_retries_left() -> int:
    from rq import get_current_job

    job = get_current_job()
    return int(job.retries_left or 0) if job is not None else 0


def _current_job_id(request: dict[str, Any]) -> str:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else f"github-{request.get('delivery_id', 'unknown')}"


class _RedisMemo(MutableMapping[str, Any]):
    """A tiny Redis-backed mapping for what a retried job must remember (its status comment)."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def __getitem__(self, key: str) -> Any:
        value = self.redis.get(key)
        if value is None:
            raise KeyError(key)
        return int(value)

    def __setitem__(self, key: str, value: Any) -> None:
        self.redis.set(key, value, ex=STATUS_TTL_SECONDS)

    def __delitem__(self, key: str) -> None:
        self.redis.delete(key)

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0
