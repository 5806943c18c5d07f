"""HCL literals and argument lists laid out the way `terraform fmt` writes them (aligned equals signs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.templating import hcl_string
from bot.templating import render

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def literal(value: Any, indent: int = 0) -> str:
    """An HCL literal: strings escaped, lists inline, maps one key per line with aligned equals signs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(item, indent) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = [_key(key) for key in value]
        width = max(len(key) for key in keys)
        pad = " " * (indent + 2)
        lines = [f"{pad}{key.ljust(width)} = {literal(item, indent + 2)}" for key, item in zip(keys, value.values())]
        return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def _key(key: Any) -> str:
    text = str(key)
    return text if _IDENTIFIER.match(text) and text not in ("true", "false", "null") else hcl_string(text)


def aligned(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Arguments with keys padded per run of single-line values, as terraform fmt aligns them."""
    result: list[tuple[str, str]] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        if run:
            width = max(len(key) for key, _ in run)
            result.extend((key.ljust(width), value) for key, value in run)
            run.clear()

    for key, value in pairs:
        if "\n" in value:
            flush()  # a multi-line value stands outside the alignment groups around it
            result.append((key, value))
        else:
            run.append((key, value))
    flush()
    return result


def passed_arguments(modules: list[dict[str, Any]], optional: dict[str, set[str]],
                     reads: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Module blocks with aligned arguments, keeping an optional input (`optional[module]`) only where the module
    reads it in this design (`reads[module]`): a module declares and is passed only what it uses."""
    return [{"name": module["name"],
             "arguments": aligned([(key, value) for key, value in module["arguments"]
                                   if key not in optional.get(module["name"], ()) or key in reads.get(module["name"], ())])}
            for module in modules]


def read_variables(text: str) -> set[str]:
    """The variables HCL text reads (var.X): an environment declares and sets only those."""
    return set(re.findall(r"\bvar\.(\w+)", text))


def only_variables(text: str, names: set[str]) -> str:
    """HCL text without the top-level variable blocks not in `names`."""
    kept = re.sub(r'^variable "(\w+)" \{\n.*?^\}\n', lambda block: block[0] if block[1] in names else "", text,
                  flags=re.MULTILINE | re.DOTALL)
    return tidy(kept)


def tidy(text: str) -> str:
    """Drop blank-line runs and trailing blank lines that conditional sections leave behind."""
    lines = text.rstrip("\n").split("\n")
    result: list[str] = []
    for line in lines:
        if line.strip() == "" and (not result or result[-1].strip() == ""):
            continue
        result.append(line)
    return "\n".join(result).strip("\n") + "\n"


def module_files(root: str, modules: list[str], templates: Callable[[str], tuple[str, str, str]],
                 values: dict[str, Any], only: str | None = None) -> dict[str, str]:
    """<root>/modules/<name>/{main,variables,outputs}.tf for each module (or just `only`); `templates(module)` names
    its main, variables and outputs templates. A file a design leaves empty is not written."""
    files = {}
    for module in modules:
        if only is not None and module != only:
            continue
        for part, template in zip(("main", "variables", "outputs"), templates(module)):
            text = tidy(render(template, **values))
            if text.strip():
                files[f"{root}/modules/{module}/{part}.tf"] = text
    return files
