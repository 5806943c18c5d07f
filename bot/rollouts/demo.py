"""`devops-bot deploy-demo`: a short real canary on the local stack, printed as a text thread."""

from __future__ import annotations

import time
from collections import Counter
from typing import TextIO

from rq import Queue

from bot.platforms import platform_for
from bot.platforms.local_stack import LoadGenerator
from bot.platforms.local_stack import start_stack
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.contract import Rollout
from bot.rollouts.strategies import plan_stages
from bot.rollouts.text import TextReporter


def demo_stages(stage_seconds: float, gates: list[str]) -> Rollout:
    """The demo rollout (5 → 25 → 50 → 100%), not yet started."""
    config = {"canary_stages": [{"percentage": p, "duration": stage_seconds if p < 100 else 0,
                                 "success_criteria": {"error_rate": 0.01, "latency_p99": 500}}
                                for p in (5, 25, 50, 100)],
              "manual_approval_points": gates, "analysis_interval": max(1.0, stage_seconds / 2)}
    return Rollout(rollout_id="", app="demo", environment="development", strategy="canary", version="v2",
                   stable_version="v1", platform="local", requested_by="you", stages=plan_stages("canary", config),
                   gate_timeout_seconds=120)


def run_demo(out: TextIO, *, stage_seconds: float = 4, approve_as: str = "demo-approver",
             fault_error_rate: float = 0.0) -> bool:
    """Start the stack, run the canary with a gate at 25% approved by `approve_as`; True when it succeeded."""
    import fakeredis

    reporter = TextReporter(out)
    out.write("starting HAProxy, Prometheus and app versions v1 (stable) and v2 (canary) on loopback…\n")
    with start_stack("v1", "v2") as stack:
        load = LoadGenerator(stack.url).start()
        try:
            if fault_error_rate:
                stack.set_fault("canary", error_rate=fault_error_rate)
                out.write(f"injected a {fault_error_rate:.0%} error rate into v2\n")
            redis = fakeredis.FakeRedis()  # the demo's own state: no Redis server needed
            deps = engine.Deps(redis=redis, queue=Queue("devops-bot-demo", connection=redis),
                               platform=platform_for, reporters=lambda _: [reporter])
            rollout = demo_stages(stage_seconds, ["25%"])
            rollout.platform_config = stack.platform_config()
            rollout = engine.start(rollout, deps=deps)

            def at_gate(current: Rollout) -> None:
                if current.state == WAITING_APPROVAL and current.gate_token:
                    time.sleep(1)  # a person would take longer; the demo shows the gate waiting
                    engine.approve(current.rollout_id, current.stage_index, current.gate_token, approve_as,
                                   deps=deps)

            final = driver.drive(rollout.rollout_id, deps, timeout=300, on_idle=at_gate)
            load.reset()
            time.sleep(2)
            served = _served(load.reset())
            out.write(f"\n{final.state}: {final.reason or 'every stage passed'}\n"
                      f"the last 2 s through HAProxy at {stack.url}: {served}\n")
            return final.state == SUCCEEDED
        finally:
            load.stop()


def _served(counts: Counter[tuple[str, int]]) -> str:
    return ", ".join(f"{version or 'no answer'} {status}: {n}" for (version, status), n in sorted(counts.items()))
