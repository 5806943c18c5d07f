"""The one sandboxed Jinja2 environment: pipeline expressions and text templates both render here."""

from __future__ import annotations

import json
import re
import shlex
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def markdown_text(value: Any) -> str:
    """Escape a string so that Markdown shows it literally (no links, mentions' markup, HTML)."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # An @mention in generated text would notify people; a zero-width joiner keeps it inert.
    return text.replace("@", "@\u200d")


def markdown_code(value: Any) -> str:
    """Inline code span that survives backticks inside the value."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def shell_quote(value: Any) -> str:
    """POSIX shell single-quoting."""
    return shlex.quote(str(value))


def json_string(value: Any) -> str:
    """A JSON (and therefore YAML flow and HCL) double-quoted string literal."""
    return json.dumps(str(value), ensure_ascii=False)


def hcl_string(value: Any) -> str:
    """HCL string literal: JSON quoting plus escaping of `${` and `%{` template sequences."""
    return json_string(value).replace("${", "$${").replace("%{", "%%{")


def groovy_string(value: Any) -> str:
    """Groovy single-quoted string literal (no GString interpolation)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{text}'"


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment: StrictUndefined, block tags on their own lines."""
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        md=markdown_text,
        code=markdown_code,
        sh=shell_quote,
        json_str=json_string,
        hcl=hcl_string,
        groovy=groovy_string,
    )
    return env


def render(template: str, **values: Any) -> str:
    """Render a file under templates/ with the given, already computed values."""
    return environment().get_template(template).render(**values)
