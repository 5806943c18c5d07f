"""What job tests share: a request built from a real payload, a small stand-in pipeline, fast deps."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from bot.engine import run_pipeline
from bot.github_client import CallCounter
from bot.github_client import RetryPolicy
from bot.github_client import make_github
from bot.jobs import Deps
from bot.pipelines import load_pipeline
from bot.registry import StepContext
from bot.registry import step_type
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_REPO = ROOT / "tests" / "fixtures" / "repos" / "python-pip"
MANIFESTS = ("requirements.txt", "requirements-dev.txt", "pyproject.toml", "package.json", ".python-version")
FAST = RetryPolicy(total=3, backoff_factor=0.0, max_wait_seconds=2.0, secondary_rate_wait=0.0)


@step_type("test_tree_reader")
def _read_tree(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Reads the repository the way analysis does: all paths, then only the manifests."""
    tree = ctx.open_tree(inputs["path"])
    paths = tree.paths()
    texts = tree.read([path for path in paths if path.rsplit("/", 1)[-1] in MANIFESTS])
    return {"project_analysis": {"paths": paths, "manifests": texts}}


@step_type("test_package")
def _package(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`files` generated files: a workflow (showing the coverage gate) and filler documents."""
    analysis, coverage = inputs["analysis"], inputs["coverage"]
    files = {".github/workflows/ci.yml": f"name: CI\n# coverage gate: {coverage}\non: [push]\n"}
    files.update({f"docs/ci/part-{index:02d}.md": f"# Part {index}\n" for index in range(int(config["files"]) - 1)})
    found = ", ".join(f"`{path}`" for path in sorted(analysis["manifests"]))
    guide = {"title": "Set up CI/CD with GitHub Actions",
             "body": f"Detected from {found}.\n\nCoverage gate: {coverage}%."}
    return {"ci_cd_package": {"files": files}, "implementation_guide": guide}


def pipeline(files: int = 3) -> dict[str, Any]:
    """The CI pipeline's real inputs with two stand-in steps that produce `files` files."""
    return {
        "name": "ci_cd_setup_pipeline",
        "inputs": load_pipeline("ci_cd_setup")["inputs"],
        "steps": [
            {"name": "analyze_project", "type": "test_tree_reader", "inputs": {"path": "{{ project_path }}"},
             "outputs": ["project_analysis"]},
            {"name": "assemble_ci_package", "type": "test_package", "config": {"files": files},
             "inputs": {"analysis": "{{ project_analysis }}",
                        "coverage": "{{ quality_gates.test_coverage_threshold }}"},
             "outputs": ["ci_cd_package", "implementation_guide"]},
        ],
        "outputs": {"ci_cd_package": {}, "implementation_guide": {}},
    }


def command_request(payload: dict[str, Any], kind: str = "setup_ci", *, message: str | None = None,
                    **options: Any) -> dict[str, Any]:
    """The request the webhook handler queues for this issue_comment payload."""
    issue, comment, repository = payload["issue"], payload["comment"], payload["repository"]
    return {
        "kind": kind, "delivery_id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "installation_id": payload["installation"]["id"], "repository": repository["full_name"],
        "repository_id": repository["id"], "default_branch": repository["default_branch"],
        "issue_number": issue["number"], "is_pull_request": "pull_request" in issue,
        "comment_id": comment["id"], "comment_url": comment["html_url"], "commenter": comment["user"]["login"],
        "options": {"ci_platform": None, "project_type": None, "coverage": None, "branching": None, **options},
        "message": message,
    }


def seed(fake: FakeGitHub, payload: dict[str, Any], *, role: str = "write") -> FakeRepo:
    """The payload's repository in the fake, holding the sample service, with the command comment."""
    repository = payload["repository"]
    repo = fake.add_repo(repository["full_name"], SAMPLE_REPO, default_branch=repository["default_branch"],
                         repo_id=repository["id"])
    comment = payload["comment"]
    repo.add_comment(payload["issue"]["number"], comment["id"], "/devops setup ci", comment["user"]["login"])
    repo.grant(comment["user"]["login"], role)
    return repo


def deps_for(fake: FakeGitHub, *, files: int = 3, job_id: str = "github-job-1", retries_left: int = 0,
             memo: dict[str, Any] | None = None, **extra: Any) -> Deps:
    """Deps pointed at the fake, with fast retries and the stand-in pipeline."""
    counter = CallCounter()
    extra.setdefault("runner", functools.partial(run_pipeline, definition=pipeline(files)))
    return Deps(github=make_github("ghs_test", fake.base_url, counter=counter, policy=FAST), job_id=job_id,
                counter=counter, retries_left=retries_left, memo=memo if memo is not None else {},
                status_interval=3600, **extra)
