"""Approval clicks that must not count: another rollout, another stage, a stale token, a finished rollout, a
non-approver, the deployer. Every one is correctly signed (they come from inside the workspace) and none is accepted.
"""

from __future__ import annotations

import json
import random
from typing import Any

from tests.fakes.slack_kit import APPROVER
from tests.fakes.slack_kit import DEPLOYER
from tests.fakes.slack_kit import STRANGER
from tests.fakes.slack_kit import World
from tests.fakes.slack_kit import click_body
from tests.fakes.slack_kit import command_body
from tests.fakes.slack_kit import post
from tests.handlers.test_slack import ephemerals
from tests.handlers.test_slack import start_at_gate
from tests.handlers.test_slack import world  # noqa: F401  the fixture: web app, fake Slack, engine, private Redis

OUTSIDERS = [STRANGER, "U0NOBODY01", "W0OUTSIDE1", "B0SOMEBOT1", ""]


def forged_values(value: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The open gate's button value changed to name another rollout, another stage or a stale gate."""
    rng = random.Random(8)
    changed: list[tuple[str, dict[str, Any]]] = []
    for rollout_id in ("another-rollout", value["rollout_id"][::-1], value["rollout_id"][:-1], "", "*",
                       rng.randbytes(8).hex()):
        changed.append((f"rollout {rollout_id!r}", {**value, "rollout_id": rollout_id}))
    for stage in (1, 2, -1, 99, 2**63, True):
        changed.append((f"stage {stage!r}", {**value, "stage_index": stage}))
    for token in ("", value["gate_token"][:-1], value["gate_token"].upper(), rng.randbytes(6).hex(), "*"):
        changed.append((f"gate token {token!r}", {**value, "gate_token": token}))
    return changed


def test_no_click_that_names_another_gate_or_comes_from_the_wrong_person_is_accepted(
        world: World) -> None:  # noqa: F811
    value = json.loads(start_at_gate(world))
    refused = 0
    for approve in (True, False):
        for what, forged in forged_values(value):
            post(world.client, click_body(json.dumps(forged), APPROVER, approve=approve))
            world.run_jobs()
            assert world.latest().state == "waiting_approval", what
            refused += 1
        for user in [*OUTSIDERS, DEPLOYER]:
            post(world.client, click_body(json.dumps(value), user, approve=approve))
            world.run_jobs()
            assert world.latest().state == "waiting_approval", user
            refused += 1

    assert refused == 2 * (17 + 6)
    assert [call for call in world.platform.calls if call[0] in ("promote", "rollback")] == []
    assert all(text.startswith("Nothing changed") for text in ephemerals(world, APPROVER))
    assert len(ephemerals(world, APPROVER)) == 2 * 17
    assert ephemerals(world, STRANGER) and all(text.startswith("You can't") for text in ephemerals(world, STRANGER))
    deployer = ephemerals(world, DEPLOYER)
    assert deployer and all("you started this deploy" in text for text in deployer)
    # The control: the real approver's click on the real gate is accepted.
    post(world.client, click_body(json.dumps(value), APPROVER))
    world.run_jobs()
    assert world.latest().state == "succeeded"


def test_no_click_on_a_finished_rollout_is_accepted(world: World) -> None:  # noqa: F811
    value = json.loads(start_at_gate(world))
    post(world.client, command_body("abort checkout"))
    world.run_jobs()
    assert world.latest().state == "aborted"
    calls = list(world.platform.calls)
    clicks = 0
    for approve in (True, False):
        for user in (APPROVER, DEPLOYER, STRANGER):
            for _what, forged in [("the real gate", value), *forged_values(value)]:
                post(world.client, click_body(json.dumps(forged), user, approve=approve))
                world.run_jobs()
                clicks += 1

    assert clicks == 2 * 3 * 18
    assert world.latest().state == "aborted"
    assert world.platform.calls == calls
