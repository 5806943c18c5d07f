"""Reads a shipped price table (generators/data/<cloud>-prices.json) whose every rate carries its citation.

A rate is written as {"usd": 0.045, "source": [url, ...], "verified": "2026-11-26", "page_date": "..."}: the
pages it was checked against, the day they were read, and the date the page states for its prices. A rate that
could not be checked carries {"unverified": "why"} instead of "verified". The estimate only needs the figures,
so load() returns the table with each rate replaced by its "usd" value; a bare number where a rate belongs is
refused, so no price enters the estimate without saying where it comes from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RATE_SECTIONS = ("hourly", "per_second", "monthly", "usage", "savings")  # every figure in these is a rate
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load(path: Path) -> dict[str, Any]:
    """The table with each rate's citation checked and replaced by its figure, plus the count of verified rates."""
    table = json.loads(path.read_text(encoding="utf-8"))
    rates = dict(rate_entries(table, path.name))
    for name, entry in rates.items():
        problem = citation_problem(entry)
        if problem:
            raise ValueError(f"{path.name}: {name} {problem}")
    figures = {key: value for key, value in table.items() if key not in RATE_SECTIONS}
    for section in RATE_SECTIONS:
        if section in table:
            figures[section] = _figures(table[section])
    figures["checked"] = {"verified": sum("verified" in entry for entry in rates.values()), "rates": len(rates)}
    return figures


def rate_entries(table: dict[str, Any], label: str = "table") -> Iterator[tuple[str, dict[str, Any]]]:
    """(section.name[.band], entry) for every rate; a bare number or string where a rate belongs is an error."""
    for section in RATE_SECTIONS:
        yield from _entries(table.get(section, {}), section, label)


def citation_problem(entry: dict[str, Any]) -> str:
    """What is missing from a rate's citation, or "" when it is complete."""
    if not isinstance(entry.get("usd"), int | float):
        return "has no numeric usd figure"
    sources = entry.get("source")
    if not sources or not all(isinstance(url, str) and url.startswith("https://") for url in sources):
        return "needs a source: a list of https:// pages"
    if ("verified" in entry) == ("unverified" in entry):
        return "needs exactly one of verified (the day the sources were read) and unverified (why not)"
    if "verified" in entry and not DATE.match(str(entry["verified"])):
        return "has a verified date that is not YYYY-MM-DD"
    if "verified" in entry and not entry.get("page_date"):
        return "needs the page_date its source states (or \"undated\")"
    if "unverified" in entry and not str(entry["unverified"]).strip():
        return "is unverified without saying why"
    return ""


def _entries(node: Any, name: str, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict) and "usd" in node:
        yield name, node
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from _entries(child, f"{name}.{key}", label)
    else:
        raise ValueError(f"{label}: {name} is a bare {type(node).__name__}; write it as "
                         '{"usd": ..., "source": [...], "verified"|"unverified": ...}')


def _figures(node: dict[str, Any]) -> Any:
    if "usd" in node:
        return node["usd"]
    return {key: _figures(child) for key, child in node.items()}
