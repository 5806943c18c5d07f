"""What project analysis finds, as plain data with evidence for every fact.

This module is the contract between the analysis (detectors) and everything that
designs or renders pipelines. Every value is JSON-friendly so that analyses travel
through the pipeline engine, RQ jobs and Redis unchanged (`to_dict`/`from_dict`).
"""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """Where a fact was read and which rule turned it into a fact."""

    file: str  # repository-relative path, "" for facts about the tree as a whole
    rule: str  # e.g. "poetry.lock present", "[tool.poetry] in pyproject.toml"


@dataclass(frozen=True)
class Fact:
    """One detected value (language, package manager, framework, version...) and its evidence."""

    unit: str  # unit path ("" = repository root)
    kind: str  # language | package_manager | build_tool | framework | test_framework
    #            | test_command | runtime_version | dockerfile | service_dependency
    #            | existing_ci | monorepo | lockfile | kind
    #            | lint_tool | yarn_flavor | shared_library | port | start_command
    value: str
    evidence: Evidence


@dataclass(frozen=True)
class Ambiguity:
    """Something the repository says two ways, the choice made, and why."""

    unit: str
    topic: str  # e.g. "package manager", "python version"
    options: list[str]
    choice: str
    reason: str


@dataclass(frozen=True)
class RuntimeVersion:
    """A language version and the file it was declared in."""

    value: str  # as written, normalised to a version CI tools accept ("3.12", "20", "1.22")
    source: str  # file it came from ("" = default chosen by the bot)


@dataclass
class Unit:
    """One buildable, testable piece of the repository: the root project or one service."""

    name: str  # short, unique, safe as a job id part: "root", "api", "web"
    path: str  # repository-relative directory, "" for the root
    language: str  # python | node | go (issue 3 adds more)
    package_manager: str  # pip | poetry | uv | pipenv | pdm | npm | pnpm | yarn | bun | go
    manifest: str  # repository-relative: "services/api/pyproject.toml"
    lockfile: str | None = None  # repository-relative, None when the repository has none
    runtime_version: RuntimeVersion | None = None
    package_manager_version: str | None = None  # from packageManager ("pnpm@9.1.0") etc.
    frameworks: list[str] = field(default_factory=list)  # django, flask, fastapi, express, next...
    test_framework: str | None = None  # pytest | unittest | jest | vitest | mocha | go_test
    test_command: str | None = None  # the command the repository really runs; None = no tests
    lint_tools: list[str] = field(default_factory=list)  # ruff, flake8, eslint, golangci-lint...
    build_script: str | None = None  # e.g. "build" script in package.json; None when nothing to build
    is_service: bool = False  # runs as a long-lived process (web app / API), so it gets a container
    dockerfile: str | None = None  # repository-relative path of an existing Dockerfile
    port: int | None = None  # port the service listens on when it can be read
    service_dependencies: list[str] = field(default_factory=list)  # postgres, redis, mysql, mongodb...
    uses_paths: list[str] = field(default_factory=list)  # shared libraries (repo-relative dirs) it depends on
    extras: dict[str, Any] = field(default_factory=dict)  # detector-specific details (yarn_flavor, ...)


@dataclass
class Analysis:
    """The whole repository: its units and everything said about them."""

    units: list[Unit] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    ambiguities: list[Ambiguity] = field(default_factory=list)
    existing_ci: list[Fact] = field(default_factory=list)  # kind == "existing_ci", value = platform
    monorepo: str | None = None  # None | "npm_workspaces" | "pnpm_workspaces" | "uv_workspace" | "services" ...
    shared_libraries: list[str] = field(default_factory=list)  # repo-relative dirs used by several units
    warnings: list[str] = field(default_factory=list)  # e.g. "tree truncated: analysed the first N entries"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        """Inverse of `to_dict`."""
        units = []
        for raw in data.get("units", []):
            raw = dict(raw)
            version = raw.get("runtime_version")
            raw["runtime_version"] = RuntimeVersion(**version) if version else None
            units.append(Unit(**raw))
        return cls(
            units=units,
            facts=[_fact(item) for item in data.get("facts", [])],
            ambiguities=[Ambiguity(**item) for item in data.get("ambiguities", [])],
            existing_ci=[_fact(item) for item in data.get("existing_ci", [])],
            monorepo=data.get("monorepo"),
            shared_libraries=list(data.get("shared_libraries", [])),
            warnings=list(data.get("warnings", [])),
        )


def _fact(raw: dict[str, Any]) -> Fact:
    return Fact(unit=raw["unit"], kind=raw["kind"], value=raw["value"], evidence=Evidence(**raw["evidence"]))
