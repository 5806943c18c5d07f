"""Installation lifecycle (real installation payloads), write pacing, and which pushes matter."""

from __future__ import annotations

import bisect
import datetime
from typing import Any

import pytest
import redis as redis_lib
from rq.registry import ScheduledJobRegistry

from bot import lifecycle
from bot.lifecycle import LifecycleDeps
from bot.lifecycle import run_lifecycle_job
from bot.pacing import BURST_WRITES
from bot.pacing import WriteBudget
from bot.queue import enqueue_job
from bot.queue import get_onboarding_queue
from bot.queue import get_queue
from bot.refresh import analysis_inputs_changed
from bot.settings import Settings
from handlers.github_webhook import Delivery
from handlers.github_webhook import router
from tests.conftest import github_payload



def handle(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The request the router's handlers queue for this delivery (exactly one)."""
    import handlers.installation  # noqa: F401  registers the handlers

    [request] = [handler(payload, Delivery(event, "delivery-1", Settings())) for handler, _ in
                 router.find_all(event, payload)]
    return request


def lifecycle_deps(redis: redis_lib.Redis) -> tuple[LifecycleDeps, list[int]]:
    forgotten: list[int] = []
    return LifecycleDeps(redis=redis, forget_token=forgotten.append), forgotten


def queued_onboarding(redis: redis_lib.Redis) -> list[str]:
    return get_onboarding_queue(redis).get_job_ids()


def test_an_installation_queues_one_onboarding_job_per_repository(redis: redis_lib.Redis) -> None:
    payload = github_payload("installation", "created.payload.json")
    deps, _ = lifecycle_deps(redis)

    summary = run_lifecycle_job(handle("installation", payload), deps=deps)

    assert summary["queued"] == 1
    assert queued_onboarding(redis) == ["onboard-957387-186853002"]
    assert lifecycle.states(redis, 957387) == {186853002: {"state": "queued", "repository": "Codertocat/Hello-World"}}


def test_the_same_event_again_queues_nothing_twice(redis: redis_lib.Redis) -> None:
    payload = github_payload("installation_repositories", "added.payload.json")
    deps, _ = lifecycle_deps(redis)
    run_lifecycle_job(handle("installation_repositories", payload), deps=deps)

    again = run_lifecycle_job(handle("installation_repositories", payload), deps=deps)

    assert again["queued"] == 0
    assert queued_onboarding(redis) == ["onboard-957387-186853007"]


def test_an_installation_without_the_permissions_onboarding_needs_waits_for_them(redis: redis_lib.Redis) -> None:
    payload = github_payload("installation", "created.payload.json")
    payload["installation"]["permissions"].pop("pull_requests")
    deps, _ = lifecycle_deps(redis)

    summary = run_lifecycle_job(handle("installation", payload), deps=deps)

    assert summary == {"installation_id": 957387, "action": "created", "queued": 0,
                       "missing_permissions": ["pull_requests: write"]}
    accepted = github_payload("installation", "new_permissions_accepted.payload.json")
    assert run_lifecycle_job(handle("installation", accepted), deps=deps)["queued"] == 1


@pytest.mark.parametrize("name", ["deleted.payload.json", "suspend.payload.json"])
def test_deleted_or_suspended_drops_queued_jobs_and_forgets_the_token(redis: redis_lib.Redis, name: str) -> None:
    payload = github_payload("installation", name)
    installation = payload["installation"]["id"]
    other = {"kind": "onboard", "installation_id": 1, "repository": "a/b", "repository_id": 5}
    enqueue_job(get_onboarding_queue(redis), lifecycle.ONBOARD_FUNCTION, other, job_id="onboard-1-5", timeout=60,
                retries=0)
    lifecycle.plan_onboarding(redis, installation, [{"id": 7, "full_name": "octocat/seven"}])
    command = {"kind": "setup_ci", "installation_id": installation, "repository": "octocat/Hello-World"}
    enqueue_job(get_queue(redis), "bot.jobs.run_github_command", command, job_id="github-x", timeout=60, retries=0)
    retry_later = get_onboarding_queue(redis).enqueue_in(
        datetime.timedelta(hours=1), lifecycle.ONBOARD_FUNCTION,
        {"kind": "onboard", "installation_id": installation, "repository": "octocat/eight", "repository_id": 8})
    deps, forgotten = lifecycle_deps(redis)

    summary = run_lifecycle_job(handle("installation", payload), deps=deps)

    assert summary["dropped"] == 3
    assert queued_onboarding(redis) == ["onboard-1-5"] and get_queue(redis).get_job_ids() == []
    assert retry_later.id not in ScheduledJobRegistry(queue=get_onboarding_queue(redis)).get_job_ids()
    assert forgotten == [installation]
    assert lifecycle.is_stopped(redis, installation)
    assert lifecycle.state_of(redis, installation, 7)["state"] == "cancelled"


def test_unsuspend_resumes_the_onboarding_that_suspension_cut_short(redis: redis_lib.Redis) -> None:
    suspend = github_payload("installation", "suspend.payload.json")
    unsuspend = github_payload("installation", "suspend.payload.json")
    unsuspend["action"] = "unsuspend"  # GitHub sends the same shape; there is no published unsuspend example
    installation = suspend["installation"]["id"]
    lifecycle.plan_onboarding(redis, installation, [{"id": 7, "full_name": "octocat/seven"}])
    lifecycle.set_state(redis, installation, 9, "opened", repository="octocat/nine")
    deps, forgotten = lifecycle_deps(redis)
    run_lifecycle_job(handle("installation", suspend), deps=deps)

    summary = run_lifecycle_job(handle("installation", unsuspend), deps=deps)

    assert not lifecycle.is_stopped(redis, installation)
    assert summary["queued"] == 1 and queued_onboarding(redis) == [f"onboard-{installation}-7"]
    assert forgotten == [installation, installation]


def test_removed_repositories_lose_their_queued_onboarding(redis: redis_lib.Redis) -> None:
    payload = github_payload("installation_repositories", "removed.payload.json")
    [removed] = payload["repositories_removed"]
    installation = payload["installation"]["id"]
    lifecycle.plan_onboarding(redis, installation, [{"id": removed["id"], "full_name": removed["full_name"]},
                                                    {"id": 1, "full_name": "Codertocat/kept"}])
    deps, _ = lifecycle_deps(redis)

    run_lifecycle_job(handle("installation_repositories", payload), deps=deps)

    assert queued_onboarding(redis) == [f"onboard-{installation}-1"]
    assert lifecycle.state_of(redis, installation, removed["id"])["state"] == "removed"


def test_the_write_budget_allows_a_burst_then_spaces_writes_under_githubs_limits(redis: redis_lib.Redis) -> None:
    now = [1_000_000.0]
    budget = WriteBudget(redis, clock=lambda: now[0])
    starts = [budget.reserve(42, 5) for _ in range(300)]  # 1500 writes asked for at one instant

    assert starts[: BURST_WRITES // 5] == [now[0]] * (BURST_WRITES // 5)
    assert starts == sorted(starts) and starts[-1] > now[0] + 3 * 3600
    writes = sorted(start for start in starts for _ in range(5))
    for index, start in enumerate(writes):
        assert bisect.bisect_left(writes, start + 60) - index <= 80
        assert bisect.bisect_left(writes, start + 3600) - index <= 500
    assert WriteBudget(redis, clock=lambda: now[0]).reserve(43, 5) == now[0]  # per installation


@pytest.mark.parametrize(("paths", "matter"), [
    (["README.md", "src/app.py"], []),
    (["requirements.txt", "README.md"], ["requirements.txt"]),
    (["web/package.json", "web/package-lock.json"], ["web/package-lock.json", "web/package.json"]),
    ([".python-version"], [".python-version"]),
    ([".devops.yml"], [".devops.yml"]),
    (["go.sum"], ["go.sum"]),
    # what chooses the infra design and feeds the monitoring inventory
    (["charts/shop/Chart.yaml", "charts/shop/templates/deployment.yaml"], ["charts/shop/Chart.yaml"]),
    (["k8s/deployment.yaml", "deploy/kustomization.yaml", "docs/k8s.md"],
     ["deploy/kustomization.yaml", "k8s/deployment.yaml"]),
    (["infra/main.tf", "node_modules/pkg/main.tf"], ["infra/main.tf"]),
])
def test_only_pushes_changing_what_the_analysis_reads_matter(paths: list[str], matter: list[str]) -> None:
    assert analysis_inputs_changed(paths) == matter
