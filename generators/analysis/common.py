"""Shared steps of the detectors for compiled and scripting ecosystems: unit, lockfile, tests, frameworks."""

from __future__ import annotations

from generators.analysis.layout import base
from generators.analysis.layout import join
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.record import add_service


def new_unit(record: Record, directory: str, language: str, manager: str, manifest: str, rule: str) -> Unit:
    """A unit with its language and package manager facts recorded."""
    record.fact(directory, "language", language, manifest, f"{base(manifest)} present")
    record.fact(directory, "package_manager", manager, manifest, rule)
    return Unit(name="", path=directory, language=language, package_manager=manager, manifest=manifest)


def lockfile(record: Record, unit: Unit, names: tuple[str, ...], where: list[str] | None = None) -> None:
    """The first lockfile present (in the unit's directory, then the given ones); a warning when there is none."""
    for directory in dict.fromkeys([unit.path, *(where or [])]):
        for name in names:
            path = join(directory, name)
            if record.layout.has(path):
                unit.lockfile = path
                record.fact(unit.path, "lockfile", name, path, f"{name} present")
                return
    record.fact(unit.path, "lockfile", "none", unit.manifest, f"no {' or '.join(names)}")
    record.warn(f"{unit.path or 'root'}: no lockfile for {unit.package_manager}; installs will not be frozen")


def tests(record: Record, unit: Unit, framework: str | None, command: str | None, file: str, rule: str) -> None:
    """Record the test framework and command, or that the unit has no tests."""
    if not command:
        record.fact(unit.path, "test_command", "none", file, rule)
        return
    unit.test_framework, unit.test_command = framework, command
    if framework:
        record.fact(unit.path, "test_framework", framework, file, rule)
    record.fact(unit.path, "test_command", command, file, rule)


def framework(record: Record, unit: Unit, name: str, file: str, rule: str) -> None:
    """Record a framework once."""
    if name not in unit.frameworks:
        unit.frameworks.append(name)
    record.fact(unit.path, "framework", name, file, rule)


def services(record: Record, unit: Unit, found: dict[str, str], drivers: dict[str, str], file: str, what: str) -> None:
    """Backing services from the driver packages a manifest lists (`found`: package -> where it was listed)."""
    for package, service in sorted(drivers.items()):
        if package in found:
            add_service(record, unit, service, file, f"driver {what} {package} in {found[package]}")


def owned_files(record: Record, directory: str, suffix: str, limit: int) -> list[str]:
    """Files with a suffix that the project directory owns, shallowest first, at most `limit`."""
    found = [path for path in record.layout.owned(directory) if path.endswith(suffix)]
    return sorted(found, key=lambda path: (path.count("/"), path))[:limit]


def files_under(record: Record, directory: str, suffixes: tuple[str, ...], limit: int) -> list[str]:
    """Files below a directory at any depth (nested member projects included), shallowest first."""
    prefix = f"{directory}/" if directory else ""
    # Not Layout.owner: Java packages such as com/example/... are source, not sample data.
    found = [path for path in record.layout.paths if path.startswith(prefix) and path.endswith(suffixes)
             and not any(part.startswith(".") for part in path.split("/")[:-1])]
    return sorted(found, key=lambda path: (path.count("/"), path))[:limit]
