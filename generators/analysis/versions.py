"""Runtime versions: read from version files and ranges, normalised for setup-* actions, conflicts recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from generators.analysis.model import RuntimeVersion
from generators.analysis.record import Record

_CLAUSE = re.compile(r"^(>=|<=|==|!=|~=|\^|~|>|<|=)?\s*v?(\d+(?:\.(?:\d+|\*|x|X))*)")
_NODE_ALIASES = ("lts/", "node", "latest", "current")


@dataclass(frozen=True)
class Declared:
    """One place that states a runtime version."""

    raw: str  # as written
    value: str | None  # normalised ("3.12", "20", "1.22"), None when it is a range or not understood
    source: str  # file
    rule: str  # evidence rule, e.g. ".python-version pins 3.12"
    spec: str | None = None  # a range such as ">=3.11" that the chosen version must satisfy


def python_version(raw: str) -> str | None:
    """Normalise a pinned Python version: "3.12.3" -> "3.12", "python-3.11.4" -> "3.11", "pypy3.10" kept."""
    text = raw.strip().lower()
    pypy = re.match(r"^pypy-?(\d+\.\d+)", text)
    if pypy:
        return f"pypy{pypy.group(1)}"
    match = re.match(r"^(?:c?python-?)?(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return f"{match.group(1)}.{match.group(2)}" if match.group(2) else match.group(1)


def node_version(raw: str) -> str | None:
    """Normalise a pinned Node.js version to its major: "v20.11.1" -> "20"; aliases such as "lts/iron" kept."""
    text = raw.strip().lower()
    if text.startswith(_NODE_ALIASES):
        return text
    match = re.match(r"^v?(\d+)", text)
    return match.group(1) if match else None


def go_version(raw: str) -> str | None:
    """Normalise a Go version to major.minor: "go1.22.5" -> "1.22"."""
    match = re.match(r"^(?:go)?(\d+)\.(\d+)", raw.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else None


def lower_bound(spec: str, parts: int) -> str | None:
    """The lowest version a range admits, cut to `parts` components: ">=3.11,<4" -> "3.11", "^20.1" -> "20"."""
    for clause in re.split(r"\s*,\s*|\s+", spec.split("||")[0].strip()):
        match = _CLAUSE.match(clause)
        if match and match.group(1) not in ("<", "<=", "!="):
            numbers = [n for n in match.group(2).split(".") if n.isdigit()]
            if len(numbers) >= parts:
                return ".".join(numbers[:parts])
            if numbers and parts == 1:
                return numbers[0]
    return None


def satisfies(value: str, spec: str) -> bool:
    """True when a normalised version can satisfy a range (compared on the components both give)."""
    version = _numbers(value)
    if not version:
        return True  # aliases such as "lts/*" cannot be compared; do not call them a conflict
    return any(_all_clauses(version, alternative) for alternative in spec.split("||"))


def _all_clauses(version: tuple[int, ...], alternative: str) -> bool:
    for clause in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alternative.strip()):
        match = _CLAUSE.match(clause.strip())
        if not match:
            continue
        op, bound = match.group(1) or "==", _numbers(match.group(2))
        size = min(len(version), len(bound)) or 1
        left, right = version[:size], bound[:size]
        if op in ("^", "~=", "~"):
            ok = left >= right and version[:1] == bound[:1]
        elif op in ("==", "="):
            ok = left == right
        else:
            ok = {">=": left >= right, ">": left >= right and version != bound, "<": left < right or
                  (left == right and len(version) < len(bound)), "<=": left <= right, "!=": True}[op]
        if not ok:
            return False
    return True


def _numbers(text: str) -> tuple[int, ...]:
    numbers = []
    for part in text.split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def choose(record: Record, unit: str, topic: str, declared: list[Declared]) -> RuntimeVersion | None:
    """Pick the first pinned version in precedence order (else a range's lower bound) and record conflicts."""
    pinned = [item for item in declared if item.value and not item.spec]
    ranges = [item for item in declared if item.spec]
    chosen = pinned[0] if pinned else next((item for item in ranges if item.value), None)
    if chosen is None or chosen.value is None:
        return None
    record.fact(unit, "runtime_version", chosen.value, chosen.source, chosen.rule)
    disagree = [item for item in pinned if item.value != chosen.value]
    disagree += [item for item in ranges if item.spec and not satisfies(chosen.value, item.spec)]
    if disagree:
        options = [f"{item.raw} ({item.source})" for item in declared]
        others = ", ".join(sorted({item.source for item in declared if item is not chosen}))
        order = " > ".join(dict.fromkeys(item.source for item in declared))
        reason = (f"{chosen.source} is the most specific pinned version file; it wins over {others} "
                  f"(precedence: {order})" if not chosen.spec
                  else f"no pinned version file; the lowest version {chosen.source} allows")
        record.ambiguity(unit, topic, options, f"{chosen.raw} ({chosen.source})", reason)
    return RuntimeVersion(value=chosen.value, source=chosen.source)


def tool_versions(text: str, names: tuple[str, ...]) -> str | None:
    """The first version listed for one of `names` in an asdf/mise .tool-versions file."""
    for line in text.splitlines():
        fields = line.split("#")[0].split()
        if len(fields) >= 2 and fields[0] in names:
            return fields[1]
    return None


def first_line(text: str) -> str:
    """The first non-empty, non-comment line of a version file."""
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            return line
    return ""
