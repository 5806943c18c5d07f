"""Go modules: go.mod directives, tests, main packages serving HTTP, linters, drivers, local replaces."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from generators.analysis import known
from generators.analysis.layout import Layout
from generators.analysis.layout import base
from generators.analysis.layout import join
from generators.analysis.layout import resolve
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.record import add_service
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import go_version
from generators.analysis.versions import tool_versions

GOLANGCI = (".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json")
MAX_MAIN_FILES = 5


@dataclass
class GoMod:
    """The parts of go.mod that matter to a pipeline."""

    module: str = ""
    go: str | None = None
    toolchain: str | None = None
    requires: list[str] = field(default_factory=list)
    replaces: list[tuple[str, str]] = field(default_factory=list)  # (module, local path)


def parse_go_mod(text: str) -> GoMod:
    """Read module, go, toolchain, require and local replace directives (block and single-line forms)."""
    mod = GoMod()
    block = None
    for raw in text.splitlines():
        line = raw.split("//")[0].strip()
        if not line:
            continue
        if block and line == ")":
            block = None
            continue
        words = line.split()
        if not block and len(words) >= 2 and words[1] == "(":
            block = words[0]
            continue
        verb, rest = (block, words) if block else (words[0], words[1:])
        if verb == "module" and rest:
            mod.module = rest[0].strip('"')
        elif verb == "go" and rest:
            mod.go = rest[0]
        elif verb == "toolchain" and rest:
            mod.toolchain = rest[0]
        elif verb == "require" and rest:
            mod.requires.append(rest[0])
        elif verb == "replace" and "=>" in rest:
            target = rest[rest.index("=>") + 1:]
            if target and target[0].startswith((".", "/")):
                mod.replaces.append((rest[0], target[0]))
    return mod


def main_files(layout: Layout, directory: str) -> list[str]:
    """main.go of the module and of cmd/* programs (at most five), the files that show an HTTP server."""
    owned = layout.owned(directory)
    prefix = join(directory, "cmd") + "/"
    main, depth = join(directory, "main.go"), prefix.count("/") + 1
    found = [path for path in owned if path == main]
    found += [path for path in owned if path.endswith("main.go") and path.startswith(prefix) and base(path) == "main.go"
              and path.count("/") == depth]
    return sorted(found)[:MAX_MAIN_FILES]


def detect_go(record: Record, directory: str) -> tuple[Unit, list[tuple[str, str, str]]]:
    """One Go module unit and its local replace targets (target dir, file, rule)."""
    manifest = join(directory, "go.mod")
    mod = parse_go_mod(record.text(manifest) or "")
    record.fact(directory, "language", "go", manifest, "go.mod present")
    record.fact(directory, "package_manager", "go", manifest, "go.mod present (Go modules)")
    unit = Unit(name="", path=directory, language="go", package_manager="go", manifest=manifest,
                build_script="go build ./...")
    record.fact(directory, "build_tool", "go build", manifest, "Go modules are always buildable with go build ./...")
    go_sum = join(directory, "go.sum")
    if record.layout.has(go_sum):
        unit.lockfile = go_sum
        record.fact(directory, "lockfile", "go.sum", go_sum, "go.sum present")
    elif mod.requires:
        record.fact(directory, "lockfile", "none", manifest, "go.mod requires modules but go.sum is missing")
        record.warn(f"{directory or 'root'}: go.sum is missing; module downloads will not be verified")
    unit.runtime_version = choose(record, directory, "go version", _versions(record, directory, mod))
    owned = record.layout.owned(directory)
    tests = [path for path in owned if path.endswith("_test.go")]
    if tests:
        unit.test_framework, unit.test_command = "go_test", "go test ./..."
        record.fact(directory, "test_framework", "go_test", tests[0], f"{len(tests)} *_test.go files")
        record.fact(directory, "test_command", "go test ./...", tests[0], "*_test.go files present")
    else:
        record.fact(directory, "test_command", "none", manifest, "no *_test.go files")
    for name in GOLANGCI:
        if name in record.layout.names(directory):
            unit.lint_tools.append("golangci-lint")
            record.fact(directory, "lint_tool", "golangci-lint", join(directory, name), f"{name} present")
            break
    for module, framework in sorted(known.GO_FRAMEWORKS.items()):
        if module in mod.requires:
            unit.frameworks.append(framework)
            record.fact(directory, "framework", framework, manifest, f"require {module} in go.mod")
    for module, service in sorted(known.GO_DRIVERS.items()):
        if module in mod.requires:
            add_service(record, unit, service, manifest, f"driver require {module} in go.mod")
    for path in main_files(record.layout, directory):
        text = record.text(path) or ""
        if re.search(r"^package main\b", text, re.MULTILINE) and '"net/http"' in text:
            unit.extras["http_main"] = path
            break
    replaces = []
    for module, local in mod.replaces:
        target = resolve(directory, local)
        if target is not None:
            replaces.append((target, manifest, f"replace {module} => {local} in go.mod"))
    return unit, replaces


def _versions(record: Record, directory: str, mod: GoMod) -> list[Declared]:
    manifest = join(directory, "go.mod")
    declared = []
    if mod.toolchain:
        declared.append(Declared(mod.toolchain, go_version(mod.toolchain), manifest, f"toolchain {mod.toolchain} directive in go.mod"))
    for where in dict.fromkeys([directory, ""]):
        path = join(where, ".tool-versions")
        if (text := record.text(path)) is not None and (raw := tool_versions(text, ("golang", "go"))):
            declared.append(Declared(raw, go_version(raw), path, f"golang {raw} in .tool-versions"))
    if mod.go:
        # The go directive is the minimum the module needs; with no toolchain line it is the version to use.
        declared.append(Declared(mod.go, go_version(mod.go), manifest, f"go {mod.go} directive in go.mod",
                                 spec=f">={mod.go}"))
    return declared
