"""Text-level helpers of the Azure Pipelines renderer: identifiers, path filters, folding and plain scalars."""

from __future__ import annotations

import re
import shlex
from typing import Any

from ruamel.yaml.scalarstring import FoldedScalarString


def job_name(job_id: str) -> str:
    """An Azure job or stage identifier: letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", job_id)


def glob_regex(glob: str) -> str:
    """A path glob (`dir/**`, `*.yml`) as an anchored extended regular expression."""
    out = ""
    index = 0
    while index < len(glob):
        if glob.startswith("**", index):
            out += ".*"
            index += 2
            continue
        char = glob[index]
        out += "[^/]*" if char == "*" else "[^/]" if char == "?" else re.sub(r"([.^$+(){}\[\]|\\])", r"\\\1", char)
        index += 1
    return f"^{out}$"


def filter_script(filters: dict[str, list[str]]) -> str:
    """A bash script that sets one output variable per unit: true when the unit must run."""
    # Pull request builds check out the merge commit, whose first parent is the target branch.
    lines = ['changed=""', 'if [ "$BUILD_REASON" = "PullRequest" ]; then', "  changed=$(git diff --name-only HEAD^1 HEAD)",
             "fi"]
    for name in sorted(filters):
        pattern = "|".join(glob_regex(glob) for glob in filters[name])
        lines += [
            f"if [ \"$BUILD_REASON\" != \"PullRequest\" ] || printf '%s\\n' \"$changed\" | grep -Eq {shlex.quote(pattern)}; "
            "then value=true; else value=false; fi",
            f'echo "##vso[task.setvariable variable={job_name(name)};isOutput=true]$value"',
        ]
    return "\n".join(lines)


def folded(condition: str, width: int = 100) -> str:
    """A long condition as a folded YAML scalar, broken after commas (YAML joins the lines with spaces)."""
    if len(condition) <= width:
        return condition
    out = FoldedScalarString(condition)
    out.fold_pos = []
    line_start = 0
    for index, char in enumerate(condition):
        if char == " " and condition[index - 1] == "," and index - line_start > width // 2:
            out.fold_pos.append(index)
            line_start = index
    return out


def as_strings(value: Any, typed: bool = False) -> Any:
    """Numbers and booleans as strings (Azure reads every scalar as a string, and its schema says so), except in
    task inputs, which the schema types."""
    if isinstance(value, bool) and not typed:
        return "true" if value else "false"
    if isinstance(value, int) and not isinstance(value, bool) and not typed:
        return str(value)
    if isinstance(value, str):
        # Azure evaluates `${{ }}` and `$[ ]` anywhere in the file and the bot emits neither, so one in a
        # repository-supplied name (unit, path, branch) is broken up to stay plain text.
        if "${{" in value or "$[" in value:
            return type(value)(value.replace("${{", "$ {{").replace("$[", "$ ["))
        return value
    if isinstance(value, dict):
        for key in list(value):
            value[key] = as_strings(value[key], typed or key == "inputs")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = as_strings(item, typed)
    return value
