"""Where a .devops.yml problem is and how to say it: schema errors placed on the offending key or value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in the file: 1-based line and column, a sentence, where the token ends if known."""

    line: int
    column: int
    message: str
    end_column: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


def schema_problems(error: ValidationError, root: Any) -> list[ConfigProblem]:
    """Problems for one schema error, placed on the key or value it is about."""
    path = list(error.absolute_path)
    where = _dotted(path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        known = f"; the keys here are {_names(allowed)}" if allowed else ""
        return [_at_key(root, path + [key], f"`{key}` is not a known key{' in `' + where + '`' if where else ''}{known}")
                for key in error.instance if key not in allowed]
    if "propertyNames" in error.relative_schema_path:  # the error is about a key, not the mapping
        key = error.instance
        if error.validator == "enum":
            text = f"`{key}` is not a valid key in `{where}`; use one of {_names(error.validator_value)}"
        else:
            text = f"`{key}` in `{where}` is not {error.schema.get('description', 'a valid name')}"
        return [_at_key(root, path + [key], text)]
    if kind == "required":
        return [_at_key(root, path, _sentence(error, where))]
    return [_at_value(root, path, _sentence(error, where))]


def _sentence(error: ValidationError, where: str) -> str:
    value, expected = error.instance, error.validator_value
    subject = f"`{where}`" if where and not where.startswith("`") else where or "the file"
    shown = _show(value)
    kind = error.validator
    if kind == "type":
        wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in ([expected] if isinstance(expected, str) else expected))
        found = _type_name(value) + ("" if isinstance(value, (dict, list)) or value is None else f" ({shown})")
        return f"{subject} must be {wanted}, not {found}"
    if kind == "enum":
        return f"{subject} is {shown}, which is not one of {_names(expected)}"
    if kind == "required":
        return f"{subject} needs {_names([name for name in expected if not (isinstance(value, dict) and name in value)])}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bound = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most",
                 "exclusiveMaximum": "less than"}[kind]
        return f"{subject} must be {bound} {expected} (it is {shown})"
    if kind == "pattern":
        return f"{subject} is {shown}, which is not {error.schema.get('description', 'in the expected form')}"
    if kind == "uniqueItems":
        return f"{subject} lists the same value more than once"
    if kind in ("minItems", "minLength"):
        return f"{subject} must not be empty"
    if kind == "maxLength":
        return f"{subject} is longer than {expected} characters"
    return f"{subject}: {error.message}"


_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
               "integer": "a whole number", "boolean": "true or false", "null": "empty"}


def _type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = json.dumps(value, default=str)
    return f"`{text if len(text) <= 60 else text[:57] + '...'}`"


def _names(values: Any) -> str:
    return ", ".join(f"`{value}`" for value in values)


def _dotted(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _container(root: Any, path: list[Any]) -> Any:
    node = root
    for part in path:
        node = node[part]
    return node


def _at_key(root: Any, path: list[Any], message: str) -> ConfigProblem:
    """At the key that names path[-1] (the file's start for the root)."""
    if not path:
        return ConfigProblem(1, 1, message)
    parent, last = _container(root, path[:-1]), path[-1]
    try:
        line, column = parent.lc.key(last) if isinstance(parent, dict) else parent.lc.item(last)
    except (AttributeError, KeyError, IndexError, TypeError):
        return _at_key(root, path[:-1], message)
    return ConfigProblem(line + 1, column + 1, message, column + 1 + len(str(last)) if isinstance(parent, dict) else None)


def _at_value(root: Any, path: list[Any], message: str) -> ConfigProblem:
    """At the value of path[-1]; a mapping or list value is pointed at by its key."""
    if not path:
        return ConfigProblem(1, 1, message)
    parent, last = _container(root, path[:-1]), path[-1]
    value = parent[last]
    if (value is None or isinstance(value, (dict, list))) and isinstance(parent, dict):
        return _at_key(root, path, message)  # an empty value has no position of its own
    try:
        line, column = parent.lc.value(last) if isinstance(parent, dict) else parent.lc.item(last)
    except (AttributeError, KeyError, IndexError, TypeError):
        return _at_key(root, path, message)
    end = column + 1 + len(str(value)) if not isinstance(value, (dict, list)) else None
    return ConfigProblem(line + 1, column + 1, message, end)
