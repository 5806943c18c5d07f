"""Rust: Cargo packages and workspaces, cargo test, rust-toolchain pins, web frameworks and drivers."""

from __future__ import annotations

import re
from typing import Any

from generators.analysis import common
from generators.analysis.layout import Layout
from generators.analysis.layout import join
from generators.analysis.layout import parent
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import first_line
from generators.analysis.versions import tool_versions

FRAMEWORKS = {"actix-web": "actix-web", "axum": "axum", "rocket": "rocket", "warp": "warp", "poem": "poem"}
DRIVERS = {"tokio-postgres": "postgres", "postgres": "postgres", "diesel": "postgres", "redis": "redis",
           "mysql_async": "mysql", "mongodb": "mongodb", "lapin": "rabbitmq"}
SERVERS = frozenset(FRAMEWORKS.values())
MAX_MEMBERS = 12
ENTRY_FILES = ("src/lib.rs", "src/main.rs")


def wanted(layout: Layout, directory: str) -> list[str]:
    """Member manifests and the crate roots that show inline tests (a few files only)."""
    found = common_files(layout, directory, "Cargo.toml")[:MAX_MEMBERS]
    roots = [parent(path) for path in found] or [directory]
    return found + [join(root, name) for root in roots[:4] for name in ENTRY_FILES if layout.has(join(root, name))]


def common_files(layout: Layout, directory: str, name: str) -> list[str]:
    """Files called `name` below a directory (nested members included), shallowest first."""
    prefix = f"{directory}/" if directory else ""
    found = [p for p in layout.paths if p.startswith(prefix) and p.rsplit("/", 1)[-1] == name
             and layout.owner(p) is not None]
    return sorted(found, key=lambda path: (path.count("/"), path))


def detect_rust(record: Record, directory: str) -> Unit:
    """One unit per Cargo package or workspace (members belong to the workspace root)."""
    manifest = join(directory, "Cargo.toml")
    cargo = record.toml(manifest)
    unit = common.new_unit(record, directory, "rust", "cargo", manifest, "Cargo.toml present (Cargo)")
    unit.build_script = "cargo build --locked"
    record.fact(directory, "build_tool", "cargo", manifest, "Cargo.toml present")
    members = common_files(record.layout, directory, "Cargo.toml")[1:MAX_MEMBERS]
    if isinstance(cargo.get("workspace"), dict):
        declared = cargo["workspace"].get("members", [])
        unit.extras["workspace_members"] = sorted(parent(path) for path in members)
        record.fact(directory, "monorepo", "cargo_workspace", manifest,
                    f"[workspace] members = {declared!r} in Cargo.toml ({len(members)} crates)")
    common.lockfile(record, unit, ("Cargo.lock",))
    bins = [b.get("name") for b in cargo.get("bin", []) if isinstance(b, dict)] or [cargo.get("package", {}).get("name")]
    if isinstance(bins[0], str) and record.layout.has(join(directory, "src/main.rs")) or cargo.get("bin"):
        unit.extras["binary"] = bins[0]  # what a generated Dockerfile builds and runs
    deps: dict[str, str] = {}
    for path in [manifest, *members]:
        for table in ("dependencies", "dev-dependencies"):
            for name in (record.toml(path).get(table) or {}):
                deps.setdefault(name, f"[{table}] of {path}")
        for name in (record.toml(path).get("workspace", {}).get("dependencies") or {}):
            deps.setdefault(name, f"[workspace.dependencies] of {path}")
    for name, fw in sorted(FRAMEWORKS.items()):
        if name in deps:
            common.framework(record, unit, fw, manifest, f"{name} in {deps[name]}")
    sqlx = _sqlx_service(cargo, members, record)
    if sqlx:
        deps["sqlx"] = "dependencies (sqlx feature)"
        common.services(record, unit, deps, {"sqlx": sqlx}, manifest, "crate")
    common.services(record, unit, deps, DRIVERS, manifest, "crate")
    _tests(record, unit, members)
    unit.runtime_version = choose(record, directory, "rust version", _versions(record, directory, cargo))
    _linters(record, unit, cargo)
    return unit


def _linters(record: Record, unit: Unit, cargo: dict[str, Any]) -> None:
    names = record.layout.names(unit.path)
    lints = (cargo.get("lints") or cargo.get("workspace", {}).get("lints") or {})
    config = next((n for n in ("clippy.toml", ".clippy.toml") if n in names), None)
    if config or "clippy" in lints:
        unit.lint_tools.append("clippy")
        record.fact(unit.path, "lint_tool", "clippy", join(unit.path, config) if config else unit.manifest,
                    f"{config} present" if config else "[lints.clippy] in Cargo.toml")
    config = next((n for n in ("rustfmt.toml", ".rustfmt.toml") if n in names), None)
    if config:
        unit.lint_tools.append("rustfmt")
        record.fact(unit.path, "lint_tool", "rustfmt", join(unit.path, config), f"{config} present")


def _sqlx_service(cargo: dict[str, Any], members: list[str], record: Record) -> str | None:
    for data in [cargo, *(record.toml(path) for path in members)]:
        spec = (data.get("dependencies") or {}).get("sqlx")
        features = spec.get("features", []) if isinstance(spec, dict) else []
        for feature, service in (("postgres", "postgres"), ("mysql", "mysql")):
            if feature in features:
                return service
    return None


def _tests(record: Record, unit: Unit, members: list[str]) -> None:
    roots = [unit.path, *(parent(path) for path in members)]
    test_dirs = [p for p in common.files_under(record, unit.path, (".rs",), 2000) if "/tests/" in f"/{p}"]
    if test_dirs:
        common.tests(record, unit, "cargo_test", "cargo test", test_dirs[0], f"{len(test_dirs)} integration test files in tests/")
        return
    for root in roots:
        for name in ENTRY_FILES:
            path = join(root, name)
            if re.search(r"#\[(tokio::)?test\]", record.text(path) or ""):
                common.tests(record, unit, "cargo_test", "cargo test", path, f"#[test] functions in {name}")
                return
    common.tests(record, unit, None, None, unit.manifest, "no tests/ directory and no #[test] in the crate roots")


def _versions(record: Record, directory: str, cargo: dict[str, Any]) -> list[Declared]:
    declared = []
    for where in dict.fromkeys([directory, ""]):
        path = join(where, "rust-toolchain.toml")
        channel = record.toml(path).get("toolchain", {}).get("channel") if record.text(path) is not None else None
        if isinstance(channel, str):
            declared.append(Declared(channel, _rust(channel), path, f'channel = "{channel}" in rust-toolchain.toml'))
        path = join(where, "rust-toolchain")
        if (text := record.text(path)) is not None and first_line(text):
            declared.append(Declared(first_line(text), _rust(first_line(text)), path, f"rust-toolchain pins {first_line(text)}"))
        path = join(where, ".tool-versions")
        if (text := record.text(path)) is not None and (raw := tool_versions(text, ("rust",))):
            declared.append(Declared(raw, _rust(raw), path, f"rust {raw} in .tool-versions"))
    minimum = cargo.get("package", {}).get("rust-version") or cargo.get("workspace", {}).get("package", {}).get("rust-version")
    if isinstance(minimum, str):
        # rust-version is the minimum supported Rust (MSRV); stable satisfies it, so it only checks a pin.
        declared.append(Declared(minimum, None, join(directory, "Cargo.toml"), f'rust-version = "{minimum}" in Cargo.toml',
                                 spec=f">={minimum}"))
    return declared


def _rust(raw: str) -> str | None:
    text = raw.strip()
    if text in ("stable", "beta", "nightly") or text.startswith("nightly-"):
        return text
    match = re.match(r"^(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else None
