""".devops.yml on GitHub: read it for a job, and the `devops-bot / config` check run when it changes.

The check run annotates every problem at its line and column. GitHub takes at most 50 annotations
per request, so the first 50 go with the creation and the rest follow in PATCHes of 50.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import quote

from github import UnknownObjectException
from github.File import File
from github.PaginatedList import PaginatedList
from github.Repository import Repository

from bot import messages
from bot import metrics
from bot.config import CONFIG_PATH
from bot.config import MAX_CONFIG_BYTES
from bot.config import ConfigError
from bot.config import ConfigProblem
from bot.config import RepoConfig
from bot.config import load_config
from bot.config import too_large_problem
from generators.analysis.tree import FileTree

log = logging.getLogger(__name__)

CHECK_NAME = "devops-bot / config"
ANNOTATIONS_PER_REQUEST = 50
MAX_ANNOTATIONS = 1000  # 20 requests; a file with more problems is not worth annotating further
SUMMARY_PROBLEMS = 100  # the summary lists this many; the annotations carry the rest


def read_config_from_tree(tree: FileTree) -> RepoConfig:
    """The .devops.yml in `tree` (the tree listing the job already made); RepoConfig() when absent."""
    if CONFIG_PATH not in tree.paths():
        return RepoConfig()
    texts = tree.read([CONFIG_PATH])
    if CONFIG_PATH not in texts:  # GitHubTree leaves out files over 1 MB and files that are not UTF-8
        raise ConfigError([ConfigProblem(1, 1, messages.config_unreadable(CONFIG_PATH))])
    return load_config(texts[CONFIG_PATH])


def read_config_text(repo: Repository, ref: str) -> str | None:
    """.devops.yml at `ref` through the contents API (one request); None when absent; ConfigError when too big."""
    try:
        _, data = repo.requester.requestJsonAndCheck("GET", f"{repo.url}/contents/{quote(CONFIG_PATH)}",
                                                     parameters={"ref": ref})
    except UnknownObjectException:
        return None
    if not isinstance(data, dict) or data.get("type") != "file":
        raise ConfigError([ConfigProblem(1, 1, messages.config_unreadable(CONFIG_PATH))])
    if int(data.get("size") or 0) > MAX_CONFIG_BYTES:  # refused before anything is downloaded or parsed
        raise ConfigError([too_large_problem(int(data["size"]), MAX_CONFIG_BYTES)])
    try:
        return base64.b64decode(data.get("content") or "").decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ConfigError([ConfigProblem(1, 1, messages.config_unreadable(CONFIG_PATH))]) from None


def read_config_at(repo: Repository, ref: str) -> RepoConfig:
    """The config at `ref` through the contents API: RepoConfig() when absent, ConfigError when invalid."""
    text = read_config_text(repo, ref)
    return RepoConfig() if text is None else load_config(text)


def team_memberships(repo: Repository, login: str, teams: list[str]) -> tuple[str, ...]:
    """Which of the "org/team" slugs `login` is an active member of (one request per team)."""
    found = []
    for team in teams:
        org, _, slug = team.partition("/")
        try:
            _, data = repo.requester.requestJsonAndCheck(
                "GET", f"/orgs/{quote(org, safe='')}/teams/{quote(slug, safe='')}/memberships/{quote(login, safe='')}")
        except UnknownObjectException:
            continue
        if data.get("state") == "active":
            found.append(team)
    return tuple(found)


def changed_files(repo: Repository, number: int) -> list[str]:
    """Paths a pull request changes (GitHub lists at most 3000)."""
    files = PaginatedList(File, repo.requester, f"{repo.url}/pulls/{number}/files", {"per_page": 100})
    return [item.filename for item in files]


def run_config_check(request: dict[str, Any], *, deps: Any = None) -> dict[str, Any]:
    """Validate .devops.yml at the pushed or proposed commit and publish the `devops-bot / config` check run."""
    from bot.jobs import build_deps

    deps = deps or build_deps(request)
    try:
        summary = _check(request, deps)
    except Exception:
        metrics.JOBS.labels(kind="config_check", status="failed").inc()
        log.exception("job %s: config check of %s@%s failed", deps.job_id, request.get("repository"),
                      request.get("head_sha"))
        raise
    metrics.JOBS.labels(kind="config_check", status="succeeded").inc()
    summary.update(job_id=deps.job_id, kind="config_check", repository=request["repository"],
                   api_calls=deps.counter.calls)
    log.info("job %s done: %s", deps.job_id, json.dumps(summary, sort_keys=True))
    return summary


def _check(request: dict[str, Any], deps: Any) -> dict[str, Any]:
    repo = deps.github.withLazy(True).get_repo(request["repository"])  # no GET /repos: the name is enough
    head_sha = str(request["head_sha"])
    if request.get("pull_request") and CONFIG_PATH not in changed_files(repo, int(request["pull_request"])):
        return {"outcome": "not_changed"}
    try:
        text = read_config_text(repo, head_sha)
        if text is None:
            return {"outcome": "absent"}
        load_config(text)
        problems: list[ConfigProblem] = []
    except ConfigError as error:
        problems = error.problems
    run_id = publish_check_run(repo, head_sha, problems)
    return {"outcome": "invalid" if problems else "valid", "problems": len(problems), "check_run": run_id}


def publish_check_run(repo: Repository, head_sha: str, problems: list[ConfigProblem]) -> int:
    """Create the check run (success, or failure with every problem annotated); returns its id."""
    notes = [_annotation(problem) for problem in problems[:MAX_ANNOTATIONS]]
    lines = [str(problem) for problem in problems[:SUMMARY_PROBLEMS]]
    if len(problems) > SUMMARY_PROBLEMS:
        lines.append(f"… and {len(problems) - SUMMARY_PROBLEMS} more")
    output = {"title": messages.config_check_title(len(problems)),
              "summary": messages.config_check_summary(CONFIG_PATH, lines)}
    conclusion = "failure" if problems else "success"
    run = repo.create_check_run(CHECK_NAME, head_sha, status="completed", conclusion=conclusion,
                                output={**output, "annotations": notes[:ANNOTATIONS_PER_REQUEST]})
    for start in range(ANNOTATIONS_PER_REQUEST, len(notes), ANNOTATIONS_PER_REQUEST):
        run.edit(output={**output, "annotations": notes[start:start + ANNOTATIONS_PER_REQUEST]})
    return int(run.id)


def _annotation(problem: ConfigProblem) -> dict[str, Any]:
    note: dict[str, Any] = {"path": CONFIG_PATH, "start_line": problem.line, "end_line": problem.line,
                            "annotation_level": "failure", "message": problem.message, "title": "devops-bot config"}
    note["start_column"] = problem.column
    note["end_column"] = max(problem.end_column or problem.column, problem.column)
    return note


def command_refusal(config: RepoConfig, repo: Repository, command: str, login: str, level: str) -> str | None:
    """None when `login` (repository role `level`) may run `command` under `config`; else what to tell them."""
    if not config.enabled:
        return messages.bot_disabled()
    teams = config.teams_for(command)
    allowed, why = config.may_run(command, login, level, team_memberships(repo, login, teams) if teams else ())
    return None if allowed else why


def gate_command(repo: Repository, ref: str, command: str, login: str, level: str) -> tuple[bool, str]:
    """(allowed, why) from the .devops.yml at `ref` (one contents read); an invalid file refuses with its report."""
    try:
        config = read_config_at(repo, ref)
    except ConfigError as error:
        return False, str(error)
    refusal = command_refusal(config, repo, command, login, level)
    return refusal is None, refusal or ""
