"""The pipeline engine: inputs, expressions, `when`, the registry, run records and outputs."""

from __future__ import annotations

from typing import Any

import fakeredis
import pytest

from bot import registry
from bot.engine import PipelineError
from bot.engine import RedisRunStore
from bot.engine import render_value
from bot.engine import run_pipeline
from bot.errors import InputError
from bot.errors import UserError
from bot.inputs import validate_inputs
from bot.pipelines import available_pipelines
from bot.pipelines import load_pipeline
from bot.registry import StepContext
from bot.registry import registered_types


def _ctx() -> StepContext:
    return StepContext(open_tree=lambda path: pytest.fail(f"no tree expected, asked for {path}"))


@registry.step_type("test_doubler")
def _doubler(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    return {"doubled": inputs["value"] * config.get("factor", 2)}


@registry.step_type("test_describer")
def _describer(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    return {"description": inputs["text"]}


@registry.step_type("test_refuser")
def _refuser(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    raise UserError("this step refuses politely")


@registry.step_type("test_liar")
def _liar(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    return {"something_else": 1}


def _definition(steps: list[dict[str, Any]], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": "test",
        "metadata": {"tags": ["first", "second"]},
        "inputs": {
            "value": {"type": "number", "required": True},
            "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
            "gates": {"type": "object", "default": {}, "properties": {"strict": {"type": "boolean", "default": False}}},
        },
        "steps": steps,
        "outputs": outputs or {},
    }


def test_expressions_keep_native_types_and_text_renders_as_text() -> None:
    context = {"n": 3, "items": [1, 2], "meta": {"tags": ["a"]}}
    assert render_value("{{ n }}", context) == 3
    assert render_value("{{ items }}", context) == [1, 2]
    assert render_value("{{ meta.tags[0] }}", context) == "a"
    assert render_value("n is {{ n }}", context) == "n is 3"
    assert render_value({"nested": ["{{ n * 2 }}"]}, context) == {"nested": [6]}
    assert render_value("{{ missing | default({}) }}", context) == {}


def test_an_undefined_name_fails_loudly() -> None:
    with pytest.raises(Exception, match="missing"):
        render_value("{{ missing }}", {})


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(Exception):
        render_value("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_steps_run_in_order_and_outputs_feed_later_steps() -> None:
    definition = _definition(
        [
            {"name": "double", "type": "test_doubler", "inputs": {"value": "{{ value }}"}, "config": {"factor": 3},
             "outputs": ["doubled"]},
            {"name": "describe", "type": "test_describer",
             "inputs": {"text": "{{ mode }}:{{ doubled }}:{{ metadata.tags[1] }}"}, "outputs": ["description"]},
        ],
        outputs={"description": {"type": "text"}},
    )
    events = []
    run = run_pipeline("test", {"value": 5}, _ctx(), definition=definition, on_event=events.append)
    assert run.status == "succeeded"
    assert run.outputs == {"description": "fast:15:second"}
    assert [record.status for record in run.steps] == ["succeeded", "succeeded"]
    assert all(record.duration_seconds is not None and record.duration_seconds >= 0 for record in run.steps)
    assert run.steps[0].outputs == ["doubled"]
    assert [(event.step, event.status) for event in events] == [
        ("double", "started"), ("double", "succeeded"), ("describe", "started"), ("describe", "succeeded"),
    ]


def test_a_step_whose_when_is_false_is_skipped_and_its_outputs_stay_undefined() -> None:
    definition = _definition(
        [
            {"name": "double", "type": "test_doubler", "when": "{{ gates.strict }}", "inputs": {"value": 1},
             "outputs": ["doubled"]},
            {"name": "describe", "type": "test_describer", "inputs": {"text": "{{ doubled | default('none') }}"},
             "outputs": ["description"]},
        ]
    )
    run = run_pipeline("test", {"value": 1}, _ctx(), definition=definition)
    assert [record.status for record in run.steps] == ["skipped", "succeeded"]
    assert run.steps[0].started_at is None


def test_every_input_problem_is_reported_at_once() -> None:
    definition = _definition([])
    with pytest.raises(InputError) as caught:
        run_pipeline("test", {"mode": "medium", "gates": {"strict": "yes", "loud": True}, "colour": "red"},
                     _ctx(), definition=definition)
    problems = caught.value.problems
    assert len(problems) == 5, problems
    text = str(caught.value)
    for fragment in ("`colour` is not an input", "`value` is required", "valid values: fast, slow",
                     "`gates.strict` must be true or false", "`gates.loud` is not a known setting"):
        assert fragment in text


def test_defaults_fill_nested_properties() -> None:
    schema = _definition([])["inputs"]
    assert validate_inputs(schema, {"value": 2}) == {"value": 2, "mode": "fast", "gates": {"strict": False}}
    assert validate_inputs(schema, {"value": 2.5, "gates": {"strict": True}})["gates"] == {"strict": True}


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(InputError, match="must be a number"):
        validate_inputs(_definition([])["inputs"], {"value": True})


def test_a_user_error_in_a_step_is_recorded_on_the_run_and_raised() -> None:
    definition = _definition([{"name": "refuse", "type": "test_refuser", "outputs": []}])
    store = RedisRunStore(fakeredis.FakeRedis())
    events = []
    with pytest.raises(UserError, match="refuses politely"):
        run_pipeline("test", {"value": 1}, _ctx(), definition=definition, store=store, run_id="r1",
                     on_event=events.append)
    saved = store.load("r1")
    assert saved["status"] == "failed"
    assert saved["steps"][0]["status"] == "failed"
    assert saved["steps"][0]["error"] == "this step refuses politely"
    assert events[-1].status == "failed"


def test_a_step_that_does_not_return_its_declared_outputs_is_a_pipeline_error() -> None:
    definition = _definition([{"name": "lie", "type": "test_liar", "outputs": ["doubled"]}])
    with pytest.raises(PipelineError, match="declared"):
        run_pipeline("test", {"value": 1}, _ctx(), definition=definition)


def test_a_pipeline_output_nobody_produced_fails_the_run() -> None:
    definition = _definition([], outputs={"report": {"type": "text"}})
    with pytest.raises(PipelineError, match="report"):
        run_pipeline("test", {"value": 1}, _ctx(), definition=definition)


def test_the_run_is_recorded_with_timings() -> None:
    definition = _definition([{"name": "double", "type": "test_doubler", "inputs": {"value": 2},
                               "outputs": ["doubled"]}])
    store = RedisRunStore(fakeredis.FakeRedis())
    run_pipeline("test", {"value": 1}, _ctx(), definition=definition, store=store, run_id="r2")
    saved = store.load("r2")
    assert saved["status"] == "succeeded"
    assert saved["steps"][0]["outputs"] == ["doubled"]
    assert saved["steps"][0]["ended_at"] >= saved["steps"][0]["started_at"]


def test_an_unknown_step_type_is_named() -> None:
    definition = _definition([{"name": "x", "type": "no_such_type", "outputs": []}])
    with pytest.raises(KeyError, match="no_such_type"):
        run_pipeline("test", {"value": 1}, _ctx(), definition=definition)


@pytest.mark.parametrize("name", available_pipelines())
def test_every_shipped_pipeline_names_only_registered_step_types(name: str) -> None:
    definition = load_pipeline(name)
    known = set(registered_types())
    for step in definition["steps"]:
        assert step["type"] in known, f"{name}: step {step['name']} has unregistered type {step['type']}"
        assert step.get("outputs") is not None


def test_the_ci_pipeline_declares_the_spec_inputs() -> None:
    inputs = load_pipeline("ci_cd_setup")["inputs"]
    assert inputs["ci_platform"]["enum"] == ["github_actions", "gitlab_ci", "jenkins", "circleci", "azure_devops"]
    assert inputs["quality_gates"]["properties"]["test_coverage_threshold"]["default"] == 80
