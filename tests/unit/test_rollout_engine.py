"""The rollout state machine on real Redis, an in-memory platform, a recording reporter and a fake clock."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis as redis_lib
from rq import Queue
from rq.registry import ScheduledJobRegistry

from bot.errors import UserError
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import ABORTED
from bot.rollouts.contract import FAILED
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import RUNNING
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.contract import Criteria
from bot.rollouts.contract import Rollout
from bot.rollouts.contract import Stage
from bot.rollouts.testing import MemoryPlatform
from bot.rollouts.testing import RecordingReporter
from tests.conftest import redis_url_for

REDIS_DB = 12


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t

    def set(self, value: float) -> None:
        self.t = value


@pytest.fixture
def conn() -> Any:
    c = redis_lib.Redis.from_url(redis_url_for(REDIS_DB))
    c.flushdb()
    yield c
    c.flushdb()
    c.close()


@pytest.fixture
def world(conn: Any) -> Any:
    class World:
        platform = MemoryPlatform()
        reporter = RecordingReporter()
        clock = Clock()
        deps = engine.Deps(redis=conn, queue=Queue("devops-bot", connection=conn),
                           platform=lambda r: World.platform, reporters=lambda r: [World.reporter],
                           now=clock)

        def step(self) -> bool:
            return driver.step(self.deps, set_clock=self.clock.set)

        def run_until_quiet(self, limit: int = 100) -> Rollout:
            for _ in range(limit):
                r = engine.get(self.rollout_id, deps=self.deps)
                if r.state in (WAITING_APPROVAL, SUCCEEDED, ROLLED_BACK, ABORTED, FAILED):
                    return r
                assert self.step(), "the rollout stopped with no job scheduled"
            raise AssertionError("too many steps")

    return World()


def canary(**changes: Any) -> Rollout:
    crit = Criteria(max_error_rate=0.01, max_p99_ms=500)
    stages = [Stage(5, 10, 5, crit), Stage(25, 10, 5, crit, manual_approval=True),
              Stage(50, 10, 5, crit), Stage(100, 0, 0, crit)]
    base: dict[str, Any] = dict(rollout_id="", app="checkout", environment="production", strategy="canary",
                                version="v2", stable_version="v1", platform="memory", requested_by="U1",
                                stages=stages, gate_timeout_seconds=300)
    base.update(changes)
    return Rollout(**base)


def start(world: Any, **changes: Any) -> Rollout:
    rollout = engine.start(canary(**changes), deps=world.deps)
    world.rollout_id = rollout.rollout_id
    return rollout


def test_a_canary_advances_through_its_stages_and_waits_at_the_gate(world: Any) -> None:
    start(world)
    r = world.run_until_quiet()
    assert r.state == WAITING_APPROVAL and r.stage_index == 1 and r.gate_token
    assert world.platform.weights() == [5, 25]
    assert world.reporter.kinds() == ["started", "stage_started", "analysis", "analysis",
                                      "stage_started", "analysis", "analysis", "gate_waiting"]
    assert ("gate_opened", f"1:{r.gate_token}") in world.reporter.calls


def test_approving_the_gate_finishes_the_rollout_on_the_new_version(world: Any) -> None:
    start(world)
    r = world.run_until_quiet()
    outcome = engine.approve(r.rollout_id, 1, r.gate_token, "U2", deps=world.deps)
    assert outcome.ok and outcome.code == "approved"
    done = world.run_until_quiet()
    assert done.state == SUCCEEDED and done.traffic == {"stable": 0, "canary": 100}
    assert world.platform.weights() == [5, 25, 50, 100]
    assert world.platform.live == "v2"
    assert ("gate_closed", "approved by U2") in world.reporter.calls
    assert world.reporter.kinds()[-1] == "succeeded"
    assert world.reporter.calls[-1] == ("changed", SUCCEEDED)


def test_every_transition_is_saved_with_a_new_version_counter(world: Any) -> None:
    first = start(world)
    later = world.run_until_quiet()
    assert later.version_counter > first.version_counter >= 2


def test_a_failed_error_rate_rolls_back_and_names_metric_value_and_limit(world: Any) -> None:
    start(world)
    world.step()  # analysis at 5% passes
    world.platform.readings = {"error_rate": 0.2, "p99_ms": 40.0}
    r = world.run_until_quiet()
    assert r.state == ROLLED_BACK and r.traffic == {"stable": 100, "canary": 0}
    assert "error rate 20.00% is above the limit 1.00%" in r.reason
    assert world.platform.calls[-1] == ("rollback", "v2")
    assert any("error rate 20.00%" in detail for _, detail in world.reporter.calls)


def test_a_slow_p99_rolls_back_with_its_value(world: Any) -> None:
    start(world)
    world.platform.readings = {"error_rate": 0.0, "p99_ms": 995.0}
    r = world.run_until_quiet()
    assert r.state == ROLLED_BACK and "p99 latency 995 ms is above the limit 500 ms" in r.reason


def test_no_data_rolls_back_when_data_is_required(world: Any) -> None:
    start(world)
    world.platform.readings = {"error_rate": None, "p99_ms": None}
    r = world.run_until_quiet()
    assert r.state == ROLLED_BACK and "no data" in r.reason


def test_no_data_passes_when_data_is_not_required(world: Any) -> None:
    crit = Criteria(require_data=False)
    start(world, stages=[Stage(50, 10, 5, crit), Stage(100, 0, 0, crit)])
    world.platform.readings = {"error_rate": None, "p99_ms": None}
    assert world.run_until_quiet().state == SUCCEEDED


def test_an_unreachable_metrics_server_rolls_back_and_says_so(world: Any) -> None:
    start(world)
    world.platform.metrics_error = ConnectionError("prometheus refused")
    r = world.run_until_quiet()
    assert r.state == ROLLED_BACK and "metrics unavailable (prometheus refused)" in r.reason


def test_a_stale_tick_changes_nothing(world: Any) -> None:
    r = start(world)
    old_token = r.tick_token
    world.step()
    before = engine.get(r.rollout_id, deps=world.deps)
    assert before.tick_token != old_token
    assert engine.tick(r.rollout_id, 0, old_token, deps=world.deps) == "stale"
    assert engine.tick(r.rollout_id, 3, before.tick_token, deps=world.deps) == "stale"
    after = engine.get(r.rollout_id, deps=world.deps)
    assert after.version_counter == before.version_counter


def test_a_tick_replayed_after_a_worker_restart_continues_from_the_saved_state(world: Any, conn: Any) -> None:
    r = start(world)
    # The first job is in Redis; a "new worker" with fresh dependencies picks it up.
    job_id, _ = driver.next_due(world.deps)
    fresh = engine.Deps(redis=redis_lib.Redis.from_url(redis_url_for(REDIS_DB)),
                        queue=Queue("devops-bot", connection=conn), platform=lambda _: world.platform,
                        reporters=lambda _: [], now=world.clock)
    world.clock.set(world.clock.t + 5)
    driver.run_job(fresh, job_id)
    saved = engine.get(r.rollout_id, deps=world.deps)
    assert saved.state == RUNNING and saved.events[-1]["kind"] == "analysis"
    assert driver.next_due(world.deps) is not None  # the next tick was scheduled with the new state
    # The same job run again (a worker killed after it finished) is stale.
    assert engine.tick(r.rollout_id, 0, r.tick_token, deps=fresh) == "stale"
    fresh.redis.close()


def test_scheduled_ticks_are_real_rq_jobs_at_the_stage_times(world: Any, conn: Any) -> None:
    start(world)
    registry = ScheduledJobRegistry(queue=world.deps.queue)
    [job] = registry.get_job_ids()
    score = conn.zscore(registry.key, job)
    assert score == pytest.approx(world.clock.t + 5)
    assert world.deps.queue.fetch_job(job).func_name == "bot.rollouts.engine.tick"


def test_concurrent_approvals_have_exactly_one_winner(world: Any) -> None:
    start(world)
    r = world.run_until_quiet()
    results: list[engine.Outcome] = []
    barrier = threading.Barrier(100)

    def click(n: int) -> None:
        deps = engine.Deps(redis=redis_lib.Redis.from_url(redis_url_for(REDIS_DB)), queue=world.deps.queue,
                           platform=lambda _: world.platform, reporters=lambda _: [world.reporter],
                           now=world.clock)
        barrier.wait()
        results.append(engine.approve(r.rollout_id, 1, r.gate_token, f"U{n}", deps=deps))
        deps.redis.close()

    threads = [threading.Thread(target=click, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.code for o in results).count("approved") == 1
    assert all(o.code == "stale" for o in results if not o.ok)
    assert world.platform.weights() == [5, 25, 50]
    assert [k for k in world.reporter.kinds() if k == "approved"] == ["approved"]


def test_a_click_with_a_wrong_token_or_stage_changes_nothing(world: Any) -> None:
    start(world)
    r = world.run_until_quiet()
    assert engine.approve(r.rollout_id, 1, "forged", "U2", deps=world.deps).code == "stale"
    assert engine.approve(r.rollout_id, 0, r.gate_token, "U2", deps=world.deps).code == "stale"
    assert engine.approve("nope", 1, r.gate_token, "U2", deps=world.deps).code == "not_found"
    assert engine.get(r.rollout_id, deps=world.deps).state == WAITING_APPROVAL


def test_rejecting_the_gate_rolls_back_and_names_who(world: Any) -> None:
    start(world)
    r = world.run_until_quiet()
    outcome = engine.reject(r.rollout_id, 1, r.gate_token, "U3", deps=world.deps)
    assert outcome.ok and outcome.rollout.state == ROLLED_BACK
    assert outcome.rollout.reason == "rejected by <@U3> at the 25% gate"
    assert ("gate_closed", "rejected by U3") in world.reporter.calls


def test_a_gate_that_times_out_rolls_back_by_default(world: Any) -> None:
    start(world)
    world.run_until_quiet()
    world.step()  # the gate-timeout job, 300 s later
    r = engine.get(world.rollout_id, deps=world.deps)
    assert r.state == ROLLED_BACK and "nobody answered the 25% gate within 300s" in r.reason
    assert ("gate_closed", "timed out by None") in world.reporter.calls


def test_a_gate_timeout_can_abort_instead(world: Any) -> None:
    start(world, on_gate_timeout="abort")
    world.run_until_quiet()
    world.step()
    assert engine.get(world.rollout_id, deps=world.deps).state == ABORTED


def test_a_gate_timeout_after_the_approval_is_stale(world: Any) -> None:
    start(world)
    r = world.run_until_quiet()
    engine.approve(r.rollout_id, 1, r.gate_token, "U2", deps=world.deps)
    assert engine.gate_timeout(r.rollout_id, 1, r.gate_token, deps=world.deps) == "stale"
    assert world.run_until_quiet().state == SUCCEEDED


def test_promote_skips_the_remaining_analysis(world: Any) -> None:
    start(world)
    world.step()
    outcome = engine.promote("checkout", "production", "U4", deps=world.deps)
    assert outcome.ok and outcome.rollout.state == SUCCEEDED
    assert world.platform.weights() == [5, 100] and world.platform.live == "v2"
    assert "promoted by <@U4> at 5%" in outcome.rollout.reason
    assert world.step() and engine.get(world.rollout_id, deps=world.deps).state == SUCCEEDED  # old tick stale


def test_abort_sends_traffic_back_and_cannot_repeat(world: Any) -> None:
    start(world)
    outcome = engine.abort("checkout", "production", "U5", deps=world.deps)
    assert outcome.ok and outcome.rollout.state == ABORTED and world.platform.live == "v1"
    again = engine.abort("checkout", "production", "U5", deps=world.deps)
    assert not again.ok and again.code == "finished"
    assert engine.abort("other", "production", "U5", deps=world.deps).code == "not_found"


def test_a_finished_rollout_can_be_rolled_back_to_the_previous_version(world: Any) -> None:
    start(world, stages=[Stage(100, 0, 0)])
    assert engine.get(world.rollout_id, deps=world.deps).state == SUCCEEDED
    outcome = engine.rollback("checkout", "production", "U6", deps=world.deps)
    assert outcome.ok and outcome.rollout.state == ROLLED_BACK and world.platform.live == "v1"
    assert "after it had succeeded" in outcome.rollout.reason
    assert engine.rollback("checkout", "production", "U6", deps=world.deps).code == "finished"


def test_a_second_deploy_while_one_runs_is_refused(world: Any) -> None:
    start(world)
    with pytest.raises(UserError, match="already has a canary rollout"):
        engine.start(canary(), deps=world.deps)


def test_status_lists_the_latest_rollout_per_app_and_environment(world: Any) -> None:
    start(world, stages=[Stage(100, 0, 0)])
    world.clock.set(world.clock.t + 1)
    start(world, stages=[Stage(100, 0, 0)], version="v3", stable_version="v2")
    world.clock.set(world.clock.t + 1)
    start(world, app="search")
    assert [(r.app, r.version) for r in engine.status(deps=world.deps)] == [("search", "v2"), ("checkout", "v3")]
    assert [r.app for r in engine.status("checkout", deps=world.deps)] == ["checkout"]


def test_a_failing_reporter_never_stops_the_rollout(world: Any) -> None:
    world.reporter.fail = True
    start(world, stages=[Stage(50, 10, 5), Stage(100, 0, 0)])
    assert world.run_until_quiet().state == SUCCEEDED


def test_a_platform_failure_ends_the_rollout_as_failed_on_stable(world: Any) -> None:
    world.platform.fail_on = "set_traffic"
    r = start(world)
    assert r.state == FAILED and "set_traffic broke" in r.reason
    assert world.platform.calls[-1] == ("rollback", "v2")
    assert driver.next_due(world.deps) is None


def test_reporters_passed_by_the_caller_replace_the_default_ones(world: Any) -> None:
    start(world)
    r = world.run_until_quiet()
    mine = RecordingReporter()
    engine.approve(r.rollout_id, 1, r.gate_token, "U2", reporters=[mine], deps=world.deps)
    assert mine.kinds() == ["approved", "stage_started"]


def test_an_on_finish_job_is_queued_once_when_the_rollout_ends(world: Any) -> None:
    start(world, stages=[Stage(100, 0, 0)], on_finish="bot.rollouts.engine.get")
    assert world.deps.queue.get_job_ids() == [f"rollout-{world.rollout_id}-finish"]


def test_a_gate_timeout_can_keep_waiting_or_proceed_as_configured(world: Any) -> None:
    start(world, on_gate_timeout="pause")
    world.run_until_quiet()
    world.step()
    paused = engine.get(world.rollout_id, deps=world.deps)
    assert paused.state == WAITING_APPROVAL and paused.gate_token and "stays open" in paused.events[-1]["text"]
    assert engine.approve(paused.rollout_id, 1, paused.gate_token, "U2", deps=world.deps).ok


def test_a_gate_timeout_set_to_proceed_moves_on_by_itself(world: Any) -> None:
    start(world, on_gate_timeout="proceed")
    world.run_until_quiet()
    world.step()
    r = engine.get(world.rollout_id, deps=world.deps)
    assert r.state == RUNNING and r.stage_index == 2
    assert world.run_until_quiet().state == SUCCEEDED


def test_a_tick_that_fails_is_retried_by_rq(world: Any) -> None:
    start(world)
    job_id, _ = driver.next_due(world.deps)
    assert world.deps.queue.fetch_job(job_id).retries_left == 3


@pytest.mark.parametrize(("strategy", "config", "weights"), [
    ("blue_green", {"smoke_duration": 4, "bake_duration": 4, "manual_approval_points": []}, [0, 100]),
    ("rolling", {"batch_size": 50, "batch_interval": 4, "manual_approval_points": []}, [50, 100]),
    ("recreate", {"bake_duration": 4}, [100]),
])
def test_every_strategy_runs_its_plan_to_the_end(world: Any, strategy: str, config: dict[str, Any],
                                                 weights: list[int]) -> None:
    from bot.rollouts.strategies import plan_stages

    start(world, strategy=strategy, stages=plan_stages(strategy, config))
    final = world.run_until_quiet()
    assert final.state == SUCCEEDED and world.platform.weights()[:len(weights)] == weights
    assert world.platform.live == "v2"


def test_deploys_started_at_once_for_one_app_and_environment_start_one_rollout(world: Any) -> None:
    started: list[str] = []
    refused: list[str] = []
    barrier = threading.Barrier(20)

    def deploy() -> None:
        deps = engine.Deps(redis=redis_lib.Redis.from_url(redis_url_for(REDIS_DB)), queue=world.deps.queue,
                           platform=lambda _: world.platform, reporters=lambda _: [], now=world.clock)
        barrier.wait()
        try:
            started.append(engine.start(canary(), deps=deps).rollout_id)
        except UserError as error:
            refused.append(str(error))
        finally:
            deps.redis.close()

    threads = [threading.Thread(target=deploy) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(started) == 1 and len(refused) == 19
    assert [name for name, _ in world.platform.calls].count("deploy") == 1
