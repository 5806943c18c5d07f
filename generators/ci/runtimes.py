"""Runtime versions for CI: the repository's own version, unless it is end-of-life on the given date."""

from __future__ import annotations

import json
from dataclasses import asdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from generators.analysis.model import RuntimeVersion

_PRODUCTS = {"python": "python", "node": "nodejs", "go": "go"}
# Files that setup-* actions read themselves (python-version-file, node-version-file, go-version-file).
_VERSION_FILES = {
    "python": (".python-version", "pyproject.toml", ".tool-versions"),
    "node": (".nvmrc", ".node-version", "package.json", ".tool-versions"),
    "go": ("go.mod", ".tool-versions"),
}


@dataclass(frozen=True)
class ResolvedRuntime:
    """The version CI uses, where it came from, and why when it differs from the repository."""

    language: str
    version: str  # cycle CI installs: "3.12", "22", "1.26"
    version_file: str | None  # repository-relative file the setup action reads, None = literal version
    source: str  # file the version was read from, "" = chosen by the bot
    note: str | None  # set when the bot replaced or chose the version

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return asdict(self)


@lru_cache(maxsize=1)
def eol_table() -> dict[str, Any]:
    """The end-of-life table, as shipped in the package."""
    text = resources.files("generators").joinpath("data/runtime-eol.json").read_text(encoding="utf-8")
    return json.loads(text)["runtimes"]


def _cycles(language: str) -> list[dict[str, Any]]:
    return list(eol_table()[_PRODUCTS[language]]["cycles"])


def is_eol(cycle: dict[str, Any], today: str) -> bool:
    """True when the cycle has reached end of life on `today` (YYYY-MM-DD)."""
    eol = cycle.get("eol")
    if eol is True:
        return True
    if eol is False or eol is None:
        return False
    return str(eol) <= today


def _cycle_of(language: str, version: str) -> str:
    parts = version.strip().lstrip("v^~>=< ").split(".")
    if language == "node":
        return parts[0]
    return ".".join(parts[:2])


def supported_cycles(language: str, today: str) -> list[dict[str, Any]]:
    """Released, not end-of-life cycles, newest first; node keeps only LTS lines that have entered LTS."""
    cycles = [c for c in _cycles(language) if c["release_date"] <= today and not is_eol(c, today)]
    if language == "node":
        cycles = [c for c in cycles if c.get("lts") and str(c["lts"]) <= today]
    return cycles


def resolve_runtime(language: str, declared: RuntimeVersion | None, today: str) -> ResolvedRuntime:
    """The runtime version CI installs for a unit, never an end-of-life one."""
    supported = supported_cycles(language, today)
    if not supported:
        raise ValueError(f"no supported {language} release on {today} in runtime-eol.json")
    if declared is None or not declared.value:
        newest = supported[0]["cycle"]
        note = f"no {language} version is declared in the repository; CI uses {newest}, the newest supported release"
        return ResolvedRuntime(language, newest, None, "", note)
    cycle = _cycle_of(language, declared.value)
    known = {c["cycle"]: c for c in _cycles(language)}
    entry = known.get(cycle)
    if entry is not None and is_eol(entry, today):
        # The oldest supported release is the smallest step up from what the repository declares.
        replacement = supported[-1]["cycle"]
        note = (
            f"{declared.source or 'the repository'} asks for {language} {declared.value}, which reached end of life"
            f" on {entry['eol']}; CI uses {replacement} instead. Update {declared.source or 'the version file'}."
        )
        return ResolvedRuntime(language, replacement, None, declared.source, note)
    version_file = declared.source if declared.source.rsplit("/", 1)[-1] in _VERSION_FILES[language] else None
    if version_file and version_file.endswith(("pyproject.toml", "package.json")):
        # setup-python reads requires-python as a range and setup-node reads engines loosely; a literal is exact.
        version_file = None
    return ResolvedRuntime(language, cycle if entry else declared.value, version_file, declared.source, None)
