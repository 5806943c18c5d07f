"""The notebook detectors write into: facts with evidence, ambiguities, warnings, parsed files."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from generators.analysis.layout import Layout
from generators.analysis.model import Ambiguity
from generators.analysis.model import Evidence
from generators.analysis.model import Fact
from generators.analysis.model import Unit


@dataclass
class Record:
    """What the analysis has read and concluded so far."""

    layout: Layout
    contents: dict[str, str]
    facts: list[Fact] = field(default_factory=list)
    ambiguities: list[Ambiguity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _parsed: dict[str, Any] = field(default_factory=dict)
    _seen: set[Fact] = field(default_factory=set)  # the facts already recorded, for a constant-time duplicate check

    def fact(self, unit: str, kind: str, value: str, file: str, rule: str) -> Fact:
        """Record one fact with its evidence (duplicates are kept once)."""
        item = Fact(unit=unit, kind=kind, value=value, evidence=Evidence(file=file, rule=rule))
        if item not in self._seen:
            self._seen.add(item)
            self.facts.append(item)
        return item

    def ambiguity(self, unit: str, topic: str, options: list[str], choice: str, reason: str) -> None:
        """Record something the repository says two ways, and the choice made."""
        self.ambiguities.append(Ambiguity(unit=unit, topic=topic, options=options, choice=choice, reason=reason))

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def text(self, path: str) -> str | None:
        """Text of a file that was read, None when it was not."""
        return self.contents.get(path)

    def toml(self, path: str) -> dict[str, Any]:
        """A TOML file as data; {} (and a warning) when it is missing or invalid."""
        return self._parse(path, tomllib.loads, {})

    def json(self, path: str) -> dict[str, Any]:
        """A JSON object file as data; {} (and a warning) when it is missing or invalid."""
        return self._parse(path, json.loads, {})

    def yaml(self, path: str) -> Any:
        """A YAML file as data; None (and a warning) when it is missing or invalid."""
        return self._parse(path, _load_yaml, None)

    def _parse(self, path: str, loader: Any, empty: Any) -> Any:
        if path in self._parsed:
            return self._parsed[path]
        text = self.contents.get(path)
        value = empty
        if text is not None:
            try:
                value = loader(text)
            except Exception as error:  # noqa: BLE001 - any parse failure of user data is a warning, not a crash
                self.warn(f"{path} could not be parsed ({type(error).__name__}); it was ignored")
                value = empty
        if isinstance(empty, dict) and not isinstance(value, dict):
            value = empty
        self._parsed[path] = value
        return value


def add_service(record: Record, unit: Unit, service: str, file: str, rule: str) -> None:
    """Note that a unit needs a backing service (database, cache, broker) to run its tests."""
    if service not in unit.service_dependencies:
        unit.service_dependencies = sorted([*unit.service_dependencies, service])
    record.fact(unit.path, "service_dependency", service, file, rule)


def procfile_start(record: Record, unit: Unit) -> None:
    """The `web:` process of a Procfile is the command the project itself runs in production."""
    path = f"{unit.path}/Procfile" if unit.path else "Procfile"
    for line in (record.text(path) or "").splitlines():
        if line.startswith("web:") and line[4:].strip():
            unit.extras["start_command"] = line[4:].strip()
            unit.extras["start_command_source"] = path
            record.fact(unit.path, "start_command", unit.extras["start_command"], path, "web process in Procfile")
            return


def _load_yaml(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)
