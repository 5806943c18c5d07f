"""Monorepos: workspace declarations, which manifests are only workspace roots, unit names, shared libraries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from generators.analysis.layout import join
from generators.analysis.layout import parent
from generators.analysis.layout import resolve
from generators.analysis.model import Unit
from generators.analysis.record import Record

MARKERS = (("turbo.json", "turborepo"), ("nx.json", "nx"), ("lerna.json", "lerna"))
# When several tools are present, the most specific orchestrator names the monorepo.
PRIORITY = ("turborepo", "nx", "lerna", "pnpm_workspaces", "yarn_workspaces", "npm_workspaces", "bun_workspaces",
            "uv_workspace", "go_workspace", "cargo_workspace", "maven_multi_module", "gradle_multi_project",
            "mix_umbrella", "services")
BUILD_TOOL_KINDS = frozenset({"cargo_workspace", "maven_multi_module", "gradle_multi_project", "mix_umbrella"})


@dataclass
class Workspaces:
    """Workspace roots per ecosystem and the member directories each declares."""

    node: dict[str, list[str]] = field(default_factory=dict)  # root dir -> member dirs
    uv: dict[str, list[str]] = field(default_factory=dict)
    go: dict[str, list[str]] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # monorepo kinds found (PRIORITY names)

    def node_root(self, directory: str) -> str | None:
        """The Node workspace root that declares `directory` (or is it)."""
        return _root_of(self.node, directory)

    def uv_root(self, directory: str) -> str | None:
        """The uv workspace root that declares `directory` (or is it)."""
        return _root_of(self.uv, directory)


def _root_of(roots: dict[str, list[str]], directory: str) -> str | None:
    for root, members in sorted(roots.items()):
        if directory == root or directory in members:
            return root
    return None


def find_workspaces(record: Record) -> Workspaces:
    """Read npm/yarn/pnpm/bun workspaces, uv workspaces, go.work and turborepo/nx/lerna markers."""
    found = Workspaces()
    layout = record.layout
    node_dirs = sorted(d for d, langs in layout.projects.items() if "node" in langs)
    python_dirs = sorted(d for d, langs in layout.projects.items() if "python" in langs)
    for directory in node_dirs:
        manifest = join(directory, "package.json")
        patterns = record.json(manifest).get("workspaces")
        if isinstance(patterns, dict):
            patterns = patterns.get("packages")
        pnpm = join(directory, "pnpm-workspace.yaml")
        if layout.has(pnpm):
            data = record.yaml(pnpm)
            packages = data.get("packages") if isinstance(data, dict) else None
            members = _members(directory, packages if isinstance(packages, list) else [], node_dirs)
            found.node[directory] = members
            record.fact(directory, "monorepo", "pnpm_workspaces", pnpm, f"pnpm-workspace.yaml declares {len(members)} packages")
            found.kinds.append("pnpm_workspaces")
        elif isinstance(patterns, list):
            members = _members(directory, patterns, node_dirs)
            found.node[directory] = members
            kind = _node_kind(record, directory)
            record.fact(directory, "monorepo", kind, manifest, f'"workspaces" in package.json declares {len(members)} packages')
            found.kinds.append(kind)
    for directory in python_dirs:
        pyproject = join(directory, "pyproject.toml")
        workspace = record.toml(pyproject).get("tool", {}).get("uv", {}).get("workspace")
        if isinstance(workspace, dict):
            members = _members(directory, list(workspace.get("members", [])), python_dirs,
                               exclude=list(workspace.get("exclude", [])))
            found.uv[directory] = members
            record.fact(directory, "monorepo", "uv_workspace", pyproject, f"[tool.uv.workspace] declares {len(members)} members")
            found.kinds.append("uv_workspace")
    for path in layout.paths:
        if path.endswith("go.work") and path.split("/")[-1] == "go.work":
            directory = parent(path)
            members = _go_work_members(record.text(path) or "", directory)
            found.go[directory] = members
            record.fact(directory, "monorepo", "go_workspace", path, f"go.work uses {len(members)} modules")
            found.kinds.append("go_workspace")
    for name, kind in MARKERS:
        if layout.has(name):
            record.fact("", "monorepo", kind, name, f"{name} present")
            found.kinds.append(kind)
    return found


def _node_kind(record: Record, directory: str) -> str:
    names = record.layout.names(directory)
    manager = str(record.json(join(directory, "package.json")).get("packageManager", "")).split("@")[0]
    if manager == "yarn" or (not manager and "yarn.lock" in names):
        return "yarn_workspaces"
    if manager == "bun" or (not manager and ("bun.lockb" in names or "bun.lock" in names)):
        return "bun_workspaces"
    return "npm_workspaces"


def _members(root: str, patterns: list, candidates: list[str], exclude: list | None = None) -> list[str]:
    include = [p for p in patterns if isinstance(p, str) and not p.startswith("!")]
    excluded = [p[1:] for p in patterns if isinstance(p, str) and p.startswith("!")] + list(exclude or [])
    found = []
    for directory in candidates:
        if directory == root:
            continue
        relative = directory[len(root) + 1:] if root else directory
        if root and not directory.startswith(root + "/"):
            continue
        if any(_glob(p).match(relative) for p in include) and not any(_glob(p).match(relative) for p in excluded):
            found.append(directory)
    return found


def _glob(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    parts = []
    for token in re.split(r"(\*\*/?|\*|\?)", pattern):
        if token.startswith("**"):
            parts.append("(?:.*/)?" if token.endswith("/") else ".*")
        elif token == "*":
            parts.append("[^/]*")
        elif token == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(token))
    return re.compile("^" + "".join(parts) + "$")


def _go_work_members(text: str, directory: str) -> list[str]:
    members = []
    block = False
    for raw in text.splitlines():
        line = raw.split("//")[0].strip()
        if line.startswith("use ("):
            block = True
            continue
        if block and line == ")":
            block = False
            continue
        target = line[len("use "):].strip() if line.startswith("use ") else (line if block and line else None)
        if target:
            resolved = resolve(directory, target)
            if resolved is not None:
                members.append(resolved)
    return sorted(set(members))


def monorepo_kind(kinds: list[str], units: list[Unit]) -> str | None:
    """The monorepo's name: the most specific tool found, or "services" for several units with their own manifests."""
    if len({unit.path for unit in units}) > 1:
        kinds = [*kinds, "services"]
    return min(kinds, key=PRIORITY.index) if kinds else None


def assign_names(units: list[Unit]) -> None:
    """Short, unique, job-id-safe names: the last directory component, widened or suffixed on a clash."""
    def slug(text: str) -> str:
        return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-") or "unit"

    def candidate(unit: Unit, depth: int) -> str:
        if unit.path == "":
            return "root"
        return slug("-".join(unit.path.split("/")[-depth:]))

    depth = {id(unit): 1 for unit in units}
    for _ in range(8):
        names = [candidate(unit, depth[id(unit)]) for unit in units]
        clashes = {name for name in names if names.count(name) > 1}
        if not clashes:
            break
        for unit, name in zip(units, names):
            if name in clashes:
                depth[id(unit)] += 1
    taken: set[str] = set()
    for unit in units:
        name = candidate(unit, depth[id(unit)])
        if name in taken:
            name = f"{name}-{unit.language}"
        while name in taken:
            name += "-2"
        taken.add(name)
        unit.name = name
