"""Step types by name: each pipeline step's `type` is a key here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from generators.analysis.tree import FileTree


@dataclass
class StepContext:
    """What a step may use besides its inputs: how to open the project's files, the run's id."""

    open_tree: Callable[[str], FileTree]  # project_path -> tree (local directory or GitHub repository)
    run_id: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


StepFn = Callable[[dict[str, Any], dict[str, Any], StepContext], dict[str, Any]]

_STEPS: dict[str, StepFn] = {}


def step_type(name: str) -> Callable[[StepFn], StepFn]:
    """Register a callable as the implementation of a pipeline step type."""

    def register(fn: StepFn) -> StepFn:
        if name in _STEPS and _STEPS[name] is not fn:
            raise ValueError(f"step type {name!r} is registered twice")
        _STEPS[name] = fn
        return fn

    return register


def get_step(name: str) -> StepFn:
    """The callable for a step type; KeyError names the unknown type."""
    load_builtin_steps()
    try:
        return _STEPS[name]
    except KeyError:
        raise KeyError(f"no step type {name!r} is registered") from None


def registered_types() -> list[str]:
    """Every registered step type, sorted."""
    load_builtin_steps()
    return sorted(_STEPS)


def load_builtin_steps() -> None:
    """Import the modules whose decorators fill the registry."""
    import bot.steps  # noqa: F401  (imported for its registrations)
