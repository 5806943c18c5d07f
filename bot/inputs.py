"""Validate pipeline inputs against a pipeline's own `inputs:` schema, every problem at once."""

from __future__ import annotations

import copy
import re
from typing import Any

from bot.errors import InputError

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


def validate_inputs(schema: dict[str, dict[str, Any]], given: dict[str, Any]) -> dict[str, Any]:
    """Inputs with defaults applied; raises InputError listing every problem."""
    problems: list[str] = []
    for name in sorted(set(given) - set(schema)):
        problems.append(f"`{name}` is not an input of this pipeline (inputs: {', '.join(sorted(schema))})")
    values: dict[str, Any] = {}
    for name, spec in schema.items():
        if name in given and given[name] is not None:
            values[name] = _check(name, given[name], spec, problems)
        elif "default" in spec:
            values[name] = _check(name, copy.deepcopy(spec["default"]), spec, problems)
        elif spec.get("required"):
            problems.append(f"`{name}` is required ({_describe(spec)})")
    if problems:
        raise InputError(problems, heading="The pipeline inputs have problems:")
    return values


def _check(path: str, value: Any, spec: dict[str, Any], problems: list[str]) -> Any:
    kind = spec.get("type")
    if kind and not _is_type(value, kind):
        problems.append(f"`{path}` must be {_TYPE_NAMES.get(kind, kind)}, got {value!r}")
        return value
    if kind in ("number", "integer") and not _in_range(value, spec):
        problems.append(f"`{path}` is {value!r}; it must be from {spec.get('minimum', '-inf')} to "
                        f"{spec.get('maximum', 'inf')}")
        return value
    if kind == "string" and "pattern" in spec and not re.fullmatch(spec["pattern"], value):
        # Strings that end up inside generated files (a region in a workflow) may hold only what they need.
        problems.append(f"`{path}` is {value!r}; it must match `{spec['pattern']}`")
        return value
    if "enum" in spec and value not in spec["enum"]:
        allowed = ", ".join(str(option) for option in spec["enum"])
        problems.append(f"`{path}` is {value!r}; valid values: {allowed}")
    if kind == "array" and "items" in spec:
        return [_check(f"{path}[{index}]", item, spec["items"], problems) for index, item in enumerate(value)]
    if kind == "object" and "properties" in spec:
        return _check_object(path, value, spec["properties"], problems)
    return value


def _check_object(path: str, value: dict[str, Any], properties: dict[str, Any], problems: list[str]) -> dict:
    result: dict[str, Any] = {}
    for key in sorted(set(value) - set(properties)):
        problems.append(f"`{path}.{key}` is not a known setting (known: {', '.join(sorted(properties))})")
    for key, spec in properties.items():
        if key in value and value[key] is not None:
            result[key] = _check(f"{path}.{key}", value[key], spec, problems)
        elif "default" in spec:
            result[key] = copy.deepcopy(spec["default"])
        elif spec.get("required"):
            problems.append(f"`{path}.{key}` is required ({_describe(spec)})")
    return result


def _in_range(value: float, spec: dict[str, Any]) -> bool:
    return spec.get("minimum", value) <= value <= spec.get("maximum", value)


def _is_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _describe(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "one of: " + ", ".join(str(option) for option in spec["enum"])
    return _TYPE_NAMES.get(spec.get("type", ""), "a value")
