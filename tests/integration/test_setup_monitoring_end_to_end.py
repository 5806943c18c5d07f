"""`/devops setup monitoring` end to end: signed webhook → real web app → Redis → real worker → fake GitHub,
and the files of the pull request it opens pass promtool and amtool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import github_payload
from tests.fakes.fake_repo import FakeRepo
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_server import ServerThread
from tests.integration.test_setup_ci_end_to_end import APP_ID
from tests.integration.test_setup_ci_end_to_end import REPO
from tests.integration.test_setup_ci_end_to_end import app_key  # noqa: F401  (fixture)
from tests.integration.test_setup_ci_end_to_end import env  # noqa: F401  (fixture)
from tests.integration.test_setup_ci_end_to_end import in_order
from tests.integration.test_setup_ci_end_to_end import post_comment
from tests.integration.test_setup_ci_end_to_end import run_worker
from tests.integration.test_setup_ci_end_to_end import web  # noqa: F401  (fixture)
from tests.unit.monitoring_support import SHOP
from tests.unit.monitoring_support import check
from tests.unit.monitoring_support import promtool_for_config
from tests.unit.monitoring_support import tool
from tests.unit.monitoring_support import write

pytestmark = pytest.mark.integration

BRANCH = "devops-bot/monitoring"
DEVOPS_YML = "monitoring:\n  alert_channels:\n    - {type: slack, target: '#alerts'}\n"


@pytest.fixture
def github(app_key: tuple[str, str]) -> Iterator[tuple[FakeGitHub, FakeRepo]]:  # noqa: F811
    from tests.fakes.git_objects import read_directory

    with ServerThread() as fake:
        fake.strict_tokens = True
        fake.app_id, fake.app_public_key = APP_ID, app_key[1]
        payload = github_payload("issue_comment", "created.with-installation.payload.json")
        files = {**read_directory(SHOP), ".devops.yml": DEVOPS_YML.encode()}
        repo = fake.add_repo(REPO, files, default_branch=payload["repository"]["default_branch"],
                             repo_id=payload["repository"]["id"])
        repo.add_comment(payload["issue"]["number"], payload["comment"]["id"], "/devops setup monitoring",
                         payload["comment"]["user"]["login"])
        repo.grant(payload["comment"]["user"]["login"], "write")
        yield fake, repo


def test_setup_monitoring_comment_becomes_one_pull_request_whose_files_pass_the_tools(
        github: tuple[FakeGitHub, FakeRepo], env: dict[str, str], web: str, tmp_path: Path) -> None:  # noqa: F811
    fake, repo = github
    assert post_comment(web, "/devops setup monitoring").status_code == 202
    worker_log = run_worker(env)
    api = f"/repos/{REPO}"
    calls = fake.requests()
    expected = ["POST /app/installations/1/access_tokens", f"POST {api}/issues/comments/492700400/reactions",
                f"GET {api}/collaborators/Codertocat/permission", f"POST {api}/issues/1/comments",
                f"GET {api}/git/ref/heads/master", f"GET {api}/git/trees/", f"POST {api}/git/trees",
                f"POST {api}/git/commits", f"POST {api}/git/refs", f"POST {api}/pulls",
                f"PATCH {api}/issues/comments/"]
    assert in_order(calls, expected) == [], "\n".join(calls) + "\n" + worker_log
    print(f"\nGitHub API calls for one /devops setup monitoring: {len(calls)}")

    [pull] = repo.open_pulls()
    assert pull["head"] == BRANCH and pull["title"].startswith("Monitoring (prometheus_grafana)")
    files = repo.files_on(BRANCH)
    root = write({path: text for path, text in files.items() if path.startswith(("prometheus/", "alertmanager/"))},
                 tmp_path / "tree")
    check([promtool_for_config(files["prometheus/prometheus.yml"]), "check", "config", "prometheus/prometheus.yml"],
          root)
    tests = sorted(str(p.relative_to(root)) for p in (root / "prometheus" / "tests").glob("*.yml"))
    check([tool("promtool"), "test", "rules", *tests], root)
    check([tool("amtool"), "check-config", "alertmanager/alertmanager.yml"], root)
    assert "channel: '#alerts'" in files["alertmanager/alertmanager.yml"]
    [status] = [c["body"] for c in repo.comments_on(1) if c["user"].endswith("[bot]")]
    assert "Opened pull request #2 with the monitoring setup" in status
