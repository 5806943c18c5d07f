"""Runtime versions for CI: the repository's own version, unless it is end-of-life on the given date."""

from __future__ import annotations

import json
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import Any

from generators.analysis.model import RuntimeVersion

_PRODUCTS = {"python": "python", "node": "nodejs", "go": "go", "java": "java", "dotnet": "dotnet", "ruby": "ruby",
             "php": "php", "elixir": "elixir", "erlang": "erlang"}
# Languages whose newest release is not what a project without a version wants: prefer the newest LTS line.
_LTS_FIRST = ("java", "dotnet")
# Toolchains without an end-of-life table: the repository's pin, else the tool's own stable channel.
_UNTRACKED = {"rust": "stable", "hugo": "0.152.2"}
# The newest OTP release each Elixir line supports; CI pairs them when the repository names no OTP version.
ELIXIR_OTP = {"1.14": "25", "1.15": "26", "1.16": "26", "1.17": "27", "1.18": "27", "1.19": "28", "1.20": "28"}
# Files that setup-* actions read themselves (python-version-file, node-version-file, go-version-file).
_VERSION_FILES = {
    "python": (".python-version", "pyproject.toml", ".tool-versions"),
    "node": (".nvmrc", ".node-version", "package.json", ".tool-versions"),
    "go": ("go.mod", ".tool-versions"),
}


def runtime_image(language: str, version: str) -> str:
    """The container image container-based CI platforms run the unit's jobs in, tagged by the CI version."""
    if language == "rust":
        return "rust:1" if version in ("stable", "") else f"rust:{version}"
    images = {
        "python": f"python:{version}-slim",
        "node": f"node:{version}-bookworm-slim",
        "go": f"golang:{version}",
        "java": f"eclipse-temurin:{version}-jdk",
        "dotnet": f"mcr.microsoft.com/dotnet/sdk:{version if '.' in version else version + '.0'}",
        "ruby": f"ruby:{version}",
        "php": f"php:{version}-cli",
        "elixir": f"elixir:{version}",
        "hugo": f"ghcr.io/gohugoio/hugo:v{version}",
    }
    return images[language]


@dataclass(frozen=True)
class ResolvedRuntime:
    """The version CI uses, where it came from, and why when it differs from the repository."""

    language: str
    version: str  # cycle CI installs: "3.12", "22", "1.26"
    version_file: str | None  # repository-relative file the setup action reads, None = literal version
    source: str  # file the version was read from, "" = chosen by the bot
    note: str | None  # set when the bot replaced or chose the version
    image: str = ""  # container image for container-based platforms (GitLab, CircleCI, Azure, Jenkins)
    otp: str | None = None  # Erlang/OTP release paired with an Elixir version

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
    if language in ("node", "java", "erlang") or (language == "dotnet" and parts[0].isdigit() and int(parts[0]) >= 5):
        return parts[0]
    return ".".join(parts[:2])


def _numbers(cycle: str) -> tuple[int, ...]:
    return tuple(int(part) for part in cycle.split(".") if part.isdigit())


def supported_cycles(language: str, today: str) -> list[dict[str, Any]]:
    """Released, not end-of-life cycles, newest first; node keeps only LTS lines that have entered LTS."""
    cycles = [c for c in _cycles(language) if c["release_date"] <= today and not is_eol(c, today)]
    if language == "node":
        cycles = [c for c in cycles if c.get("lts") and str(c["lts"]) <= today]
    return cycles


def resolve_runtime(language: str, declared: RuntimeVersion | None, today: str,
                    otp: RuntimeVersion | None = None) -> ResolvedRuntime:
    """The runtime version CI installs for a unit, never an end-of-life one, with its container image."""
    if language in _UNTRACKED:
        return _untracked(language, declared)
    resolved = _resolve(language, declared, today)
    if language == "elixir":
        resolved = _with_otp(resolved, otp, today)
    return replace(resolved, image=runtime_image(language, resolved.version))


def _untracked(language: str, declared: RuntimeVersion | None) -> ResolvedRuntime:
    default = _UNTRACKED[language]
    if declared is None or not declared.value:
        note = f"no {language} version is pinned in the repository; CI uses {default}"
        return ResolvedRuntime(language, default, None, "", note, runtime_image(language, default))
    return ResolvedRuntime(language, declared.value, None, declared.source, None, runtime_image(language, declared.value))


def _with_otp(elixir: ResolvedRuntime, otp: RuntimeVersion | None, today: str) -> ResolvedRuntime:
    if otp and otp.value:
        erlang = _resolve("erlang", otp, today)
        notes = [note for note in (elixir.note, erlang.note) if note]
        return replace(elixir, otp=erlang.version, note="; ".join(notes) or None)
    supported_otp = {c["cycle"] for c in supported_cycles("erlang", today)}
    if ELIXIR_OTP.get(elixir.version, "") in supported_otp:
        return replace(elixir, otp=ELIXIR_OTP[elixir.version])
    # An Elixir line whose newest OTP is end-of-life cannot run on a supported OTP: step Elixir up.
    lines = [c["cycle"] for c in reversed(supported_cycles("elixir", today)) if ELIXIR_OTP.get(c["cycle"]) in supported_otp
             and _numbers(c["cycle"]) >= _numbers(elixir.version)]
    if not lines:
        raise ValueError(f"no Elixir release on a supported OTP on {today}")
    note = (f"Elixir {elixir.version} runs only on OTP releases that are end-of-life; CI uses Elixir {lines[0]} "
            f"with OTP {ELIXIR_OTP[lines[0]]}. Update {elixir.source or 'mix.exs'}.")
    notes = [n for n in (elixir.note, note) if n]
    return replace(elixir, version=lines[0], otp=ELIXIR_OTP[lines[0]], version_file=None, note="; ".join(notes))


def _resolve(language: str, declared: RuntimeVersion | None, today: str) -> ResolvedRuntime:
    supported = supported_cycles(language, today)
    if not supported:
        raise ValueError(f"no supported {language} release on {today} in runtime-eol.json")
    if declared is None or not declared.value:
        lts = [c for c in supported if c.get("lts") is True] if language in _LTS_FIRST else []
        newest = (lts or supported)[0]["cycle"]
        note = f"no {language} version is declared in the repository; CI uses {newest}, the newest supported release"
        return ResolvedRuntime(language, newest, None, "", note)
    cycle = _cycle_of(language, declared.value)
    known = {c["cycle"]: c for c in _cycles(language)}
    entry = known.get(cycle)
    if entry is not None and is_eol(entry, today):
        # The oldest supported release at or above the declared one is the smallest step up.
        wanted = _numbers(cycle)
        newer = [c["cycle"] for c in supported if _numbers(c["cycle"]) >= wanted]
        replacement = newer[-1] if newer else supported[0]["cycle"]
        note = (
            f"{declared.source or 'the repository'} asks for {language} {declared.value}, which reached end of life"
            f" on {entry['eol']}; CI uses {replacement} instead. Update {declared.source or 'the version file'}."
        )
        return ResolvedRuntime(language, replacement, None, declared.source, note)
    version_file = declared.source if declared.source.rsplit("/", 1)[-1] in _VERSION_FILES.get(language, ()) else None
    if version_file and version_file.endswith(("pyproject.toml", "package.json")):
        # setup-python reads requires-python as a range and setup-node reads engines loosely; a literal is exact.
        version_file = None
    # Bundler refuses a Ruby whose patch differs from the one the Gemfile pins, so Ruby keeps the exact version.
    exact = language == "ruby" and declared.value.count(".") == 2
    return ResolvedRuntime(language, declared.value if exact or not entry else cycle, version_file, declared.source,
                           None)
