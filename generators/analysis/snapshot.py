"""Analysis of one snapshot (all paths + the wanted files' text): every detector, every directory."""

from __future__ import annotations

from collections.abc import Callable

from generators.analysis import infra
from generators.analysis.dotnet import detect_dotnet
from generators.analysis.elixir import detect_elixir
from generators.analysis.golang import detect_go
from generators.analysis.jvm import detect_jvm
from generators.analysis.known import SERVER_FRAMEWORKS
from generators.analysis.layout import NESTING_LANGUAGES
from generators.analysis.layout import Layout
from generators.analysis.layout import base
from generators.analysis.layout import join
from generators.analysis.layout import resolve
from generators.analysis.model import Analysis
from generators.analysis.model import Unit
from generators.analysis.node import detect_node
from generators.analysis.node import local_deps
from generators.analysis.php import detect_php
from generators.analysis.python import detect_python
from generators.analysis.record import Record
from generators.analysis.ruby import detect_ruby
from generators.analysis.rust import detect_rust
from generators.analysis.static import detect_hugo
from generators.analysis.static import infrastructure_facts
from generators.analysis.tree import Unlisted
from generators.analysis.wanted import wanted_in
from generators.analysis.workspaces import BUILD_TOOL_KINDS
from generators.analysis.workspaces import Workspaces
from generators.analysis.workspaces import assign_names
from generators.analysis.workspaces import find_workspaces
from generators.analysis.workspaces import monorepo_kind

MAX_NAMED_FOLDERS = 20  # a pull request names this many unlisted folders; the log names every one
Link = tuple[str, str, str]  # (target directory, evidence file, evidence rule)
DETECTORS: dict[str, Callable[[Record, str], Unit]] = {
    "rust": detect_rust, "java": detect_jvm, "dotnet": detect_dotnet, "ruby": detect_ruby, "php": detect_php,
    "elixir": detect_elixir, "hugo": detect_hugo,
}


def analyze_snapshot(paths: list[str], contents: dict[str, str], *, truncated: bool = False,
                     unlisted: Unlisted | None = None, layout: Layout | None = None) -> Analysis:
    """Detect units, facts, ambiguities and structure from a path listing and the wanted files' text.

    `layout` is `Layout.from_paths(paths)` when the caller has already built it (indexing is the costly part).
    `unlisted` says which folders an incomplete listing could not finish.
    """
    record = Record(layout=layout or Layout.from_paths(paths), contents=contents)
    if unlisted is not None:
        record.warn(unlisted_warning(unlisted))
    elif truncated:
        record.warn(f"the file listing was truncated by the host; only the first {len(paths)} paths were analysed")
    unread = [path for path in wanted_in(record.layout) if path not in contents]
    if unread:
        record.warn(f"{len(unread)} files could not be read: {', '.join(unread[:5])}")
    workspaces = find_workspaces(record)
    units, links = _detect_units(record, workspaces)
    infrastructure_facts(record)
    infra.attach_dockerfiles(record, units)
    infra.attach_compose(record, units)
    shared = _link_units(record, units, links)
    for unit in units:
        _classify(record, unit)
    assign_names(units)
    analysis = Analysis(
        units=units,
        facts=sorted(record.facts, key=lambda f: (f.unit, f.kind, f.value, f.evidence.file, f.evidence.rule)),
        ambiguities=sorted(record.ambiguities, key=lambda a: (a.unit, a.topic)),
        existing_ci=infra.existing_ci(record.layout.paths),
        monorepo=monorepo_kind(workspaces.kinds + sorted({f.value for f in record.facts if f.kind == "monorepo"
                                                          and f.value in BUILD_TOOL_KINDS}), units),
        shared_libraries=shared,
        warnings=record.warnings,
    )
    if not units:
        analysis.warnings.append("no Python, Node.js, Go, Rust, Java/Kotlin, .NET, Ruby, PHP, Elixir or Hugo project was found")
    return analysis


def _detect_units(record: Record, workspaces: Workspaces) -> tuple[list[Unit], dict[int, list[Link]]]:
    units: list[Unit] = []
    links: dict[int, list[Link]] = {}
    python_names: dict[str, str] = {}  # distribution name -> directory, for uv workspace sources
    node_names: dict[str, str] = {}  # package name -> directory, for workspace: dependencies
    pending_sources: list[tuple[Unit, dict[str, str]]] = []
    pending_node: list[tuple[Unit, dict]] = []
    for directory, languages in sorted(record.layout.projects.items()):
        if "python" in languages and _is_python_unit(record, directory, workspaces):
            root = workspaces.uv_root(directory)
            lock_dirs = list(dict.fromkeys([directory] + ([root] if root is not None else [])))
            unit, path_deps, sources = detect_python(record, directory, lock_dirs)
            units.append(unit)
            links[id(unit)] = [(dep.target, dep.file, dep.rule) for dep in path_deps]
            pending_sources.append((unit, sources))
            name = record.toml(join(directory, "pyproject.toml")).get("project", {}).get("name")
            if isinstance(name, str):
                python_names[name.lower().replace("_", "-")] = directory
        if "node" in languages and directory not in workspaces.node:
            unit, pkg = detect_node(record, directory, workspaces.node_root(directory))
            units.append(unit)
            links[id(unit)] = []
            pending_node.append((unit, pkg))
            if isinstance(pkg.get("name"), str):
                node_names[pkg["name"]] = directory
        if "go" in languages and "hugo" not in languages:  # a Hugo site's go.mod only lists theme modules
            unit, replaces = detect_go(record, directory)
            units.append(unit)
            links[id(unit)] = list(replaces)
        for language in sorted(languages & set(DETECTORS)):
            if language in NESTING_LANGUAGES and record.layout.owning_project(directory, language) is not None:
                continue  # a Cargo member, Maven module, Gradle subproject or .NET project of a solution above
            if language == "ruby" and "hugo" in languages:
                continue
            unit = DETECTORS[language](record, directory)
            units.append(unit)
            links[id(unit)] = []
    for unit, sources in pending_sources:
        for name in sorted(sources):
            if name in python_names:
                links[id(unit)].append((python_names[name], join(unit.path, "pyproject.toml"),
                                        f"[tool.uv.sources] {name} = {{ workspace = true }}"))
    for unit, pkg in pending_node:
        for name, spec, table in local_deps(pkg):
            target = node_names.get(name) if spec.startswith("workspace:") else resolve(unit.path, spec.split(":", 1)[1])
            if target is not None:
                links[id(unit)].append((target, unit.manifest, f'"{name}": "{spec}" in {table} of package.json'))
    return units, links


def _is_python_unit(record: Record, directory: str, workspaces: Workspaces) -> bool:
    data = record.toml(join(directory, "pyproject.toml"))
    owned_code = any(path.endswith(".py") and base(path) not in ("setup.py", "conftest.py")
                     for path in record.layout.owned(directory))
    if directory in workspaces.uv:
        # A root that only declares the workspace is not a unit itself.
        return bool(data.get("project", {}).get("dependencies")) or owned_code
    has_build_file = any(record.layout.has(join(directory, name)) for name in ("pyproject.toml", "setup.py"))
    return has_build_file or owned_code  # a lone docs/requirements.txt is tooling, not a unit


def _link_units(record: Record, units: list[Unit], links: dict[int, list[Link]]) -> list[str]:
    direct = {id(unit): sorted({target for target, _, _ in links.get(id(unit), []) if target != unit.path}) for unit in units}
    by_path: dict[str, list[Unit]] = {}
    for unit in units:
        by_path.setdefault(unit.path, []).append(unit)
    shared: set[str] = set()
    for unit in units:
        for target, file, rule in links.get(id(unit), []):
            if target != unit.path:
                record.fact(unit.path, "shared_library", target, file, rule)
        seen: set[str] = set()
        queue = list(direct[id(unit)])
        while queue:  # a library's own path dependencies change the unit too
            target = queue.pop(0)
            if target in seen or target == unit.path:
                continue
            seen.add(target)
            for other in by_path.get(target, []):
                queue.extend(direct[id(other)])
        unit.uses_paths = sorted(seen)
        shared.update(seen)
    return sorted(shared)


def _classify(record: Record, unit: Unit) -> None:
    servers = [name for name in unit.frameworks if name in SERVER_FRAMEWORKS]
    if servers:
        fact = next(f for f in record.facts if f.unit == unit.path and f.kind == "framework" and f.value == servers[0])
        unit.is_service = True
        record.fact(unit.path, "kind", "service", fact.evidence.file, f"{servers[0]} is a server framework")
    elif unit.dockerfile:
        unit.is_service = True
        record.fact(unit.path, "kind", "service", unit.dockerfile, "Dockerfile present")
    elif unit.extras.get("http_main"):
        unit.is_service = True
        record.fact(unit.path, "kind", "service", unit.extras["http_main"], "main package imports net/http")
    else:
        record.fact(unit.path, "kind", "library", unit.manifest,
                    "no server framework, Dockerfile or main package serving HTTP")


def unlisted_warning(unlisted: Unlisted) -> str:
    """The warning naming the folders an incomplete listing left out (the first MAX_NAMED_FOLDERS of them)."""
    shown = unlisted.folders[:MAX_NAMED_FOLDERS]
    named = ", ".join(f"{folder}/" if folder else "the repository root" for folder in shown)
    more = len(unlisted.folders) - len(shown)
    rest = f" and {more} more (the worker log names them all)" if more else ""
    count = len(unlisted.folders)
    return (f"the file listing is incomplete: GitHub truncated it, and reading it folder by folder was cut short "
            f"by {unlisted.reason}; files in {count} {'folder' if count == 1 else 'folders'} may be missing from "
            f"this analysis: {named}{rest}")
