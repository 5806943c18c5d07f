"""Elixir: mix projects and umbrellas, Phoenix, ExUnit (`mix test`), Ecto drivers, Elixir and OTP versions."""

from __future__ import annotations

import re

from generators.analysis import common
from generators.analysis.layout import join
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import lower_bound
from generators.analysis.versions import tool_versions

SERVERS = frozenset({"phoenix", "plug_cowboy", "bandit"})
DRIVERS = {"postgrex": "postgres", "myxql": "mysql", "redix": "redis", "mongodb_driver": "mongodb", "amqp": "rabbitmq"}


def detect_elixir(record: Record, directory: str) -> Unit:
    """One mix project (an umbrella's apps belong to it)."""
    manifest = join(directory, "mix.exs")
    text = record.text(manifest) or ""
    for path in common.files_under(record, directory, ("mix.exs",), 8)[1:]:
        text += "\n" + (record.text(path) or "")
    unit = common.new_unit(record, directory, "elixir", "mix", manifest, "mix.exs present (Mix)")
    app = re.search(r"\bapp:\s*:(\w+)", text)
    if app:
        unit.extras["app"] = app.group(1)  # the release name a generated Dockerfile starts
    unit.build_script = "mix compile --warnings-as-errors"
    if "apps_path:" in text:
        record.fact(directory, "monorepo", "mix_umbrella", manifest, "apps_path in mix.exs (umbrella project)")
    common.lockfile(record, unit, ("mix.lock",))
    deps = {name: "deps of mix.exs" for name in re.findall(r"\{:(\w+),", text)}
    if "phoenix" in deps:
        common.framework(record, unit, "phoenix", manifest, "{:phoenix, ...} in deps of mix.exs")
    elif "plug_cowboy" in deps or "bandit" in deps:
        common.framework(record, unit, "plug", manifest, "plug_cowboy/bandit server in deps of mix.exs")
    common.services(record, unit, deps, DRIVERS, manifest, "dep")
    for name, tool in (("credo", "credo"),):
        if name in deps:
            unit.lint_tools.append(tool)
            record.fact(directory, "lint_tool", tool, manifest, f"{{:{name}, ...}} in deps of mix.exs")
    if record.layout.has(join(directory, ".formatter.exs")):
        unit.lint_tools.append("mix_format")
        record.fact(directory, "lint_tool", "mix_format", join(directory, ".formatter.exs"), ".formatter.exs present")
    tests = [p for p in common.files_under(record, directory, ("_test.exs",), 500)]
    if tests:
        common.tests(record, unit, "exunit", "mix test", tests[0], f"{len(tests)} *_test.exs files (ExUnit)")
    else:
        common.tests(record, unit, None, None, manifest, "no *_test.exs files")
    if "junit_formatter" in deps:
        unit.extras["junit_formatter"] = True
    unit.runtime_version = choose(record, directory, "elixir version", _versions(record, directory, text))
    otp = _otp(record, directory)
    if otp:
        unit.extras["otp_version"] = otp
    return unit


def _versions(record: Record, directory: str, text: str) -> list[Declared]:
    declared = []
    for where in dict.fromkeys([directory, ""]):
        path = join(where, ".tool-versions")
        if (raw := tool_versions(record.text(path) or "", ("elixir",))):
            declared.append(Declared(raw, lower_bound(raw.split("-")[0], 2), path, f"elixir {raw} in .tool-versions"))
    match = re.search(r'elixir:\s*"([^"]+)"', text)
    if match:
        declared.append(Declared(match.group(1), lower_bound(match.group(1), 2), join(directory, "mix.exs"),
                                 f'elixir: "{match.group(1)}" in mix.exs (lowest allowed)', spec=match.group(1)))
    return declared


def _otp(record: Record, directory: str) -> dict[str, str] | None:
    for where in dict.fromkeys([directory, ""]):
        path = join(where, ".tool-versions")
        raw = tool_versions(record.text(path) or "", ("erlang",))
        if raw:
            record.fact(directory, "runtime_version", f"otp {raw.split('.')[0]}", path, f"erlang {raw} in .tool-versions")
            return {"value": raw.split(".")[0], "source": path}
    return None
