"""A human-readable analysis report: every fact with the file and rule it came from."""

from __future__ import annotations

from generators.analysis.model import Analysis
from generators.analysis.model import Fact
from generators.analysis.model import Unit


def to_text(analysis: Analysis) -> str:
    """The report `devops-bot analyze PATH` prints."""
    lines: list[str] = []
    if analysis.monorepo:
        lines.append(f"Monorepo: {analysis.monorepo} ({len(analysis.units)} units)")
    if analysis.shared_libraries:
        lines.append(f"Shared libraries: {', '.join(analysis.shared_libraries)}")
    if not analysis.units:
        lines.append("No units found.")
    for unit in analysis.units:
        lines.extend(_unit(unit, [f for f in analysis.facts if f.unit == unit.path]))
    root_facts = [f for f in analysis.facts if f.unit not in {u.path for u in analysis.units}]
    if root_facts:
        lines += ["", "Repository:"] + [_fact(fact) for fact in root_facts]
    lines += ["", "Existing CI:"]
    lines += [_fact(fact) for fact in analysis.existing_ci] or ["  none"]
    if analysis.ambiguities:
        lines += ["", "Ambiguities:"]
        for item in analysis.ambiguities:
            where = f"[{item.unit or 'root'}] " if item.unit or len(analysis.units) > 1 else ""
            lines.append(f"  {where}{item.topic}: {' / '.join(item.options)}")
            lines.append(f"    chose {item.choice}: {item.reason}")
    if analysis.warnings:
        lines += ["", "Warnings:"] + [f"  {warning}" for warning in analysis.warnings]
    return "\n".join(lines).lstrip("\n") + "\n"


def _unit(unit: Unit, facts: list[Fact]) -> list[str]:
    version = f" {unit.runtime_version.value}" if unit.runtime_version else ""
    kind = "service" if unit.is_service else "library"
    lines = ["", f"Unit {unit.name} ({unit.path or '.'}): {unit.language}{version}, {unit.package_manager}, {kind}"]
    lines.append(f"  test command: {unit.test_command or 'none'}")
    if unit.frameworks:
        lines.append(f"  frameworks: {', '.join(unit.frameworks)}")
    if unit.service_dependencies:
        lines.append(f"  needs: {', '.join(unit.service_dependencies)}")
    if unit.uses_paths:
        lines.append(f"  uses: {', '.join(unit.uses_paths)}")
    lines.append("  evidence:")
    lines.extend("  " + _fact(fact) for fact in facts)
    return lines


def _fact(fact: Fact) -> str:
    return f"  {fact.kind} = {fact.value}  ({fact.evidence.file or '.'}: {fact.evidence.rule})"
