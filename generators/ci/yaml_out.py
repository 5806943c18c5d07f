"""YAML emission for data-built files (workflows, dependabot): ruamel round-trip, stable layout."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

MAX_LINE = 110


def _wrap_line(line: str) -> str:
    """Break a long shell line at spaces outside quotes, with backslash continuations."""
    if len(line) <= MAX_LINE:
        return line
    words: list[str] = []
    current = ""
    quote = ""
    for char in line:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == " ":
            words.append(current)
            current = ""
            continue
        current += char
    words.append(current)
    lines: list[str] = []
    buffer = ""
    for word in words:
        if buffer and len(buffer) + 1 + len(word) > MAX_LINE:
            lines.append(buffer + " \\")
            buffer = "  " + word
        else:
            buffer = f"{buffer} {word}" if buffer else word
    lines.append(buffer)
    return "\n".join(lines)


def shell(command: str) -> str | LiteralScalarString:
    """A shell script as a YAML literal block when it spans lines."""
    text = "\n".join(_wrap_line(line) for line in command.strip("\n").split("\n"))
    return LiteralScalarString(text + "\n") if "\n" in text else text


def to_commented(value: Any) -> Any:
    """Plain dicts/lists to ruamel's commented containers, preserving order."""
    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        result = CommentedMap()
        for key, item in value.items():
            result[key] = to_commented(item)
        return result
    if isinstance(value, list) and not isinstance(value, CommentedSeq):
        return CommentedSeq([to_commented(item) for item in value])
    return value


def dump(data: Any, header: str = "") -> str:
    """Serialize to YAML text with two-space indentation and no line folding."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    stream = io.StringIO()
    yaml.dump(to_commented(data), stream)
    return header + stream.getvalue()
