"""Pinned GitHub Actions references, read from the project's pins table (generators/data/action-pins.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

# Runtimes that current runners support; older node runtimes are deprecated or removed.
_CURRENT_RUNTIMES = ("node24", "composite", "docker")


@dataclass(frozen=True)
class Pin:
    """One `uses:` reference: the action path, its commit and the release tag it stands for."""

    action: str  # owner/repo[/sub]
    sha: str
    tag: str

    @property
    def ref(self) -> str:
        """`owner/repo[/sub]@sha`, the value of `uses:`."""
        return f"{self.action}@{self.sha}"


@lru_cache(maxsize=1)
def pins_table() -> dict[str, Any]:
    """The whole pins file, as shipped in the package."""
    text = resources.files("generators").joinpath("data/action-pins.json").read_text(encoding="utf-8")
    return json.loads(text)


def _entry(repository: str) -> dict[str, Any]:
    actions = pins_table()["actions"]
    for key, entry in actions.items():
        if key.lower() == repository.lower():
            return entry
    raise KeyError(f"{repository} is not in action-pins.json")


def _runs_using(release: dict[str, Any], sub: str | None) -> str | None:
    if sub:
        return (release.get("sub_actions") or {}).get(sub, release.get("runs_using"))
    return release.get("runs_using")


def pin(action: str) -> Pin:
    """The pin for `owner/repo[/sub]`: the latest release on a current runtime, else the latest release."""
    owner, repo, *rest = action.split("/")
    sub = "/".join(rest) or None
    entry = _entry(f"{owner}/{repo}")
    candidates = [entry.get("latest"), entry.get("previous_major")]
    releases = [release for release in candidates if release and release.get("sha")]
    if not releases:
        raise KeyError(f"{owner}/{repo} has no tagged release in action-pins.json")
    current = [release for release in releases if _runs_using(release, sub) in _CURRENT_RUNTIMES]
    chosen = (current or releases)[0]
    return Pin(action=action, sha=chosen["sha"], tag=chosen["tag"])


def known_pins() -> set[tuple[str, str]]:
    """Every (owner/repo, sha) pair the table holds, for checks on generated files."""
    pairs: set[tuple[str, str]] = set()
    for key, entry in pins_table()["actions"].items():
        for name in ("latest", "previous_major", "previous_minor"):
            release = entry.get(name)
            if release and release.get("sha"):
                pairs.add((key.lower(), release["sha"]))
    return pairs
