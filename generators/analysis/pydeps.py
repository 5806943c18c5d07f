"""Python dependency declarations: pyproject (PEP 621, Poetry, uv, PDM), requirements files, Pipfile, setup.*."""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from typing import Any

from generators.analysis.known import python_name
from generators.analysis.layout import is_requirements
from generators.analysis.layout import join
from generators.analysis.layout import resolve
from generators.analysis.record import Record


@dataclass(frozen=True)
class Dep:
    """One declared dependency and where it was declared."""

    name: str  # normalised distribution name
    file: str
    where: str  # e.g. "[project] dependencies", "requirements-dev.txt"


@dataclass(frozen=True)
class PathDep:
    """A dependency on another directory of the repository."""

    target: str  # repository-relative directory
    file: str
    rule: str


def read_deps(record: Record, directory: str) -> tuple[list[Dep], list[PathDep], dict[str, str]]:
    """All dependencies declared in a Python project directory, path dependencies, and source names (uv)."""
    deps: list[Dep] = []
    paths: list[PathDep] = []
    sources: dict[str, str] = {}  # name -> "workspace" for uv workspace sources
    pyproject = join(directory, "pyproject.toml")
    data = record.toml(pyproject)
    _pep621(data, pyproject, deps)
    _poetry(data.get("tool", {}).get("poetry", {}), pyproject, directory, deps, paths)
    _uv(data.get("tool", {}).get("uv", {}), pyproject, directory, deps, paths, sources)
    for group, items in sorted(data.get("tool", {}).get("pdm", {}).get("dev-dependencies", {}).items()):
        _strings(items, pyproject, f"[tool.pdm.dev-dependencies] {group}", deps)
    for path in _requirement_files(record, directory):
        _requirements(record.text(path) or "", path, directory, deps, paths)
    pipfile = join(directory, "Pipfile")
    pipdata = record.toml(pipfile)
    for table in ("packages", "dev-packages"):
        for name in sorted(pipdata.get(table, {})):
            deps.append(Dep(python_name(name) or name, pipfile, f"[{table}]"))
    _setup_cfg(record, join(directory, "setup.cfg"), deps)
    _setup_py(record, join(directory, "setup.py"), deps)
    return deps, paths, sources


def requirement_files(record: Record, directory: str) -> list[str]:
    """requirements*.txt files of a project directory, sorted (requirements.txt first)."""
    return _requirement_files(record, directory)


def _requirement_files(record: Record, directory: str) -> list[str]:
    found = [join(directory, name) for name in record.layout.names(directory) if is_requirements(join(directory, name))]
    sub = join(directory, "requirements")
    found += [join(sub, name) for name in record.layout.names(sub) if name.endswith(".txt")]
    main = join(directory, "requirements.txt")
    return sorted(found, key=lambda path: (path != main, path))


def _pep621(data: dict[str, Any], file: str, deps: list[Dep]) -> None:
    project = data.get("project", {})
    _strings(project.get("dependencies", []), file, "[project] dependencies", deps)
    for extra, items in sorted(project.get("optional-dependencies", {}).items()):
        _strings(items, file, f"[project.optional-dependencies] {extra}", deps)
    for group, items in sorted(data.get("dependency-groups", {}).items()):
        _strings(items, file, f"[dependency-groups] {group}", deps)


def _poetry(poetry: dict[str, Any], file: str, directory: str, deps: list[Dep], paths: list[PathDep]) -> None:
    tables = [("[tool.poetry.dependencies]", poetry.get("dependencies", {})),
              ("[tool.poetry.dev-dependencies]", poetry.get("dev-dependencies", {}))]
    for group, body in sorted(poetry.get("group", {}).items()):
        tables.append((f"[tool.poetry.group.{group}.dependencies]", body.get("dependencies", {})))
    for where, table in tables:
        for name, spec in sorted(table.items()):
            if name.lower() == "python":
                continue
            deps.append(Dep(python_name(name) or name, file, where))
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                target = resolve(directory, spec["path"])
                if target is not None:
                    paths.append(PathDep(target, file, f"path dependency {name} = {{ path = {spec['path']!r} }} in {where}"))


def _uv(uv: dict[str, Any], file: str, directory: str, deps: list[Dep], paths: list[PathDep],
        sources: dict[str, str]) -> None:
    _strings(uv.get("dev-dependencies", []), file, "[tool.uv] dev-dependencies", deps)
    for name, spec in sorted(uv.get("sources", {}).items()):
        if not isinstance(spec, dict):
            continue
        if isinstance(spec.get("path"), str):
            target = resolve(directory, spec["path"])
            if target is not None:
                paths.append(PathDep(target, file, f"[tool.uv.sources] {name} = {{ path = {spec['path']!r} }}"))
        elif spec.get("workspace") is True:
            sources[python_name(name) or name] = "workspace"


def _strings(items: Any, file: str, where: str, deps: list[Dep]) -> None:
    for item in items if isinstance(items, list) else []:
        name = python_name(item) if isinstance(item, str) else None
        if name:
            deps.append(Dep(name, file, where))


def _requirements(text: str, file: str, directory: str, deps: list[Dep], paths: list[PathDep]) -> None:
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        editable = re.match(r"^(?:-e|--editable)\s+(\S+)", line)
        local = editable.group(1) if editable else (line.split()[0] if line.startswith((".", "file:")) else None)
        if local:
            target = resolve(directory, local.removeprefix("file:"))
            if target is not None and not local.startswith(("git+", "http")):
                paths.append(PathDep(target, file, f"local path {local!r} in {file}"))
            continue
        if line.startswith("-"):
            continue  # -r, -c, --index-url ...: options, not packages
        name = python_name(line)
        if name:
            deps.append(Dep(name, file, file))


def _setup_cfg(record: Record, file: str, deps: list[Dep]) -> None:
    text = record.text(file)
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        record.warn(f"{file} could not be parsed; it was ignored")
        return
    if parser.has_option("options", "install_requires"):
        _strings(parser.get("options", "install_requires").splitlines(), file, "[options] install_requires", deps)
    if parser.has_section("options.extras_require"):
        for extra, value in sorted(parser.items("options.extras_require")):
            _strings(value.splitlines(), file, f"[options.extras_require] {extra}", deps)


def _setup_py(record: Record, file: str, deps: list[Dep]) -> None:
    # setup.py is code; only quoted requirement strings are taken, never executed.
    text = record.text(file)
    if text is None:
        return
    for literal in sorted(set(re.findall(r"[\"']([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~][^\"']*)?[\"']", text))):
        name = python_name(literal)
        if name:
            deps.append(Dep(name, file, "quoted requirement in setup.py"))


def config_sections(record: Record, file: str) -> set[str]:
    """Section names of an INI-style config (setup.cfg, tox.ini); empty when missing or invalid."""
    text = record.text(file)
    if text is None:
        return set()
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return set()
    return set(parser.sections())
