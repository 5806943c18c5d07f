"""Pipeline definitions as data: loading `pipelines/<name>.yml`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

PIPELINES_DIR = Path(__file__).resolve().parent.parent / "pipelines"


@lru_cache(maxsize=None)
def _load(name: str) -> dict[str, Any]:
    path = PIPELINES_DIR / f"{name}.yml"
    if not path.is_file():
        known = ", ".join(available_pipelines()) or "none"
        raise KeyError(f"no pipeline named {name!r} (known: {known})")
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def load_pipeline(name: str) -> dict[str, Any]:
    """The parsed pipeline definition; KeyError names the known pipelines."""
    return _load(name)


def available_pipelines() -> list[str]:
    """Names of the pipelines shipped in pipelines/."""
    return sorted(path.stem for path in PIPELINES_DIR.glob("*.yml"))


def input_enum(pipeline: str, name: str) -> list[str]:
    """The allowed values of one enum input: the single source for command usage text.

    A dotted name reaches a property of an object or array input: "deployment_targets.platform".
    """
    head, *rest = name.split(".")
    node = load_pipeline(pipeline)["inputs"][head]
    for part in rest:
        node = node.get("items", node)["properties"][part]
    return list(node["enum"])
