"""The pipeline engine: runs `pipelines/<name>.yml` step by step and records the run."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol

from jinja2 import TemplateError
from jinja2 import Undefined

from bot.errors import UserError
from bot.inputs import validate_inputs
from bot.pipelines import load_pipeline
from bot.registry import StepContext
from bot.registry import get_step
from bot.templating import environment

log = logging.getLogger(__name__)

_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)


class PipelineError(Exception):
    """A pipeline definition or step broke its contract (a bug, not a user mistake)."""


@dataclass
class StepRecord:
    """What happened to one step of a run."""

    name: str
    type: str
    status: str = "pending"  # pending | running | succeeded | skipped | failed
    started_at: float | None = None
    ended_at: float | None = None
    duration_seconds: float | None = None
    outputs: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Run:
    """One execution of a pipeline: status, step records and the pipeline-level outputs."""

    run_id: str
    pipeline: str
    status: str = "running"  # running | succeeded | failed
    steps: list[StepRecord] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        """The run without its (possibly large) outputs: for storage and logs."""
        data = asdict(self)
        data["outputs"] = sorted(self.outputs)
        return data


@dataclass(frozen=True)
class StepEvent:
    """Progress of one step, for reporters (status comment, Slack thread, metrics)."""

    run_id: str
    pipeline: str
    step: str
    status: str  # started | succeeded | skipped | failed
    index: int
    total: int
    duration_seconds: float | None = None


class RunStore(Protocol):
    """Where runs are recorded."""

    def save(self, run: Run) -> None:
        """Persist the run's current state."""
        ...


class RedisRunStore:
    """Runs as JSON in Redis, kept for a week."""

    def __init__(self, redis: Any, ttl_seconds: int = 7 * 24 * 3600) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds

    def save(self, run: Run) -> None:
        """Persist the run's current state."""
        self.redis.set(f"devops-bot:run:{run.run_id}", json.dumps(run.summary()), ex=self.ttl_seconds)

    def load(self, run_id: str) -> dict[str, Any] | None:
        """A stored run summary, or None."""
        raw = self.redis.get(f"devops-bot:run:{run_id}")
        return json.loads(raw) if raw else None


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Render `{{ }}` inside a value: a lone expression keeps its native type, text renders to text."""
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    if not isinstance(value, str) or "{{" not in value and "{%" not in value:
        return value
    match = _WHOLE_EXPRESSION.match(value)
    if match and "{{" not in match.group("expr"):
        result = environment().compile_expression(match.group("expr"), undefined_to_none=False)(**context)
        if isinstance(result, Undefined):
            result._fail_with_undefined_error()
        return result
    return environment().from_string(value).render(**context)


def run_pipeline(
    name: str,
    inputs: dict[str, Any],
    ctx: StepContext,
    *,
    on_event: Callable[[StepEvent], None] | None = None,
    run_id: str = "",
    store: RunStore | None = None,
    definition: dict[str, Any] | None = None,
) -> Run:
    """Validate inputs, run each step in order, and return the recorded run.

    `definition` replaces the shipped pipelines/<name>.yml (tests, and pipelines from elsewhere).

    Raises InputError (before any step) for bad inputs and re-raises a step's UserError after
    recording it; any other step failure is recorded and re-raised as well.
    """
    definition = definition if definition is not None else load_pipeline(name)
    values = validate_inputs(definition.get("inputs", {}), inputs)
    run = Run(run_id=run_id or ctx.run_id or uuid.uuid4().hex, pipeline=name)
    ctx.run_id = run.run_id
    steps = definition.get("steps", [])
    run.steps = [StepRecord(name=step["name"], type=step["type"]) for step in steps]
    context: dict[str, Any] = {"metadata": definition.get("metadata", {}), **values}
    notify = _notifier(run, on_event, len(steps))
    _save(store, run)
    for index, (step, record) in enumerate(zip(steps, run.steps, strict=True)):
        try:
            produced = _run_step(step, record, context, ctx, notify, index)
        except Exception as error:
            record.status = "failed"
            record.ended_at = time.time()
            record.duration_seconds = record.ended_at - (record.started_at or record.ended_at)
            record.error = str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
            run.status, run.error = "failed", record.error
            notify(record.name, "failed", index, record.duration_seconds)
            _save(store, run)
            raise
        context.update(produced)
        _save(store, run)
    missing = [key for key in definition.get("outputs", {}) if key not in context]
    if missing:
        run.status = "failed"
        run.error = f"pipeline {name} did not produce its outputs: {', '.join(missing)}"
        _save(store, run)
        raise PipelineError(run.error)
    run.outputs = {key: context[key] for key in definition.get("outputs", {})}
    run.status = "succeeded"
    _save(store, run)
    return run


def _run_step(
    step: dict[str, Any],
    record: StepRecord,
    context: dict[str, Any],
    ctx: StepContext,
    notify: Callable[..., None],
    index: int,
) -> dict[str, Any]:
    """Run one step and return its declared outputs (an empty dict when skipped)."""
    if "when" in step and not _evaluate(step["when"], context, step["name"], "when"):
        record.status = "skipped"
        notify(record.name, "skipped", index, None)
        return {}
    record.status, record.started_at = "running", time.time()
    notify(record.name, "started", index, None)
    step_inputs = _evaluate(step.get("inputs", {}), context, step["name"], "inputs")
    produced = get_step(step["type"])(step_inputs, step.get("config", {}), ctx)
    declared = list(step.get("outputs", []))
    missing = [key for key in declared if key not in produced]
    extra = sorted(set(produced) - set(declared))
    if missing or extra:
        raise PipelineError(f"step {step['name']} ({step['type']}) returned {sorted(produced)}, declared {declared}")
    record.ended_at = time.time()
    record.duration_seconds = record.ended_at - record.started_at
    record.status, record.outputs = "succeeded", declared
    notify(record.name, "succeeded", index, record.duration_seconds)
    return produced


def _evaluate(value: Any, context: dict[str, Any], step: str, where: str) -> Any:
    try:
        return render_value(value, context)
    except TemplateError as error:
        raise PipelineError(f"step {step}: cannot render {where}: {error}") from error


def _notifier(run: Run, on_event: Callable[[StepEvent], None] | None, total: int) -> Callable[..., None]:
    def notify(step: str, status: str, index: int, duration: float | None) -> None:
        if on_event is None:
            return
        event = StepEvent(run.run_id, run.pipeline, step, status, index, total, duration)
        try:
            on_event(event)
        except Exception:  # a reporter failing must not fail the run
            log.exception("progress reporter failed for run %s step %s", run.run_id, step)

    return notify


def _save(store: RunStore | None, run: Run) -> None:
    if store is not None:
        store.save(run)
