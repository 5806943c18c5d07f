"""JSON-friendly summaries of an analysis: the pipeline outputs technology_stack and project_structure."""

from __future__ import annotations

from typing import Any

from generators.analysis.model import Analysis


def technology_stack(analysis: Analysis) -> dict[str, Any]:
    """Languages, package managers, frameworks and test frameworks across units, plus one dict per unit."""
    units = analysis.units
    return {
        "languages": sorted({unit.language for unit in units}),
        "package_managers": sorted({unit.package_manager for unit in units}),
        "frameworks": sorted({name for unit in units for name in unit.frameworks}),
        "test_frameworks": sorted({unit.test_framework for unit in units if unit.test_framework}),
        "lint_tools": sorted({name for unit in units for name in unit.lint_tools}),
        "service_dependencies": sorted({name for unit in units for name in unit.service_dependencies}),
        "existing_ci": sorted({fact.value for fact in analysis.existing_ci}),
        "units": [
            {
                "name": unit.name,
                "path": unit.path,
                "language": unit.language,
                "runtime_version": unit.runtime_version.value if unit.runtime_version else None,
                "package_manager": unit.package_manager,
                "lockfile": unit.lockfile,
                "frameworks": list(unit.frameworks),
                "test_framework": unit.test_framework,
                "test_command": unit.test_command,
                "lint_tools": list(unit.lint_tools),
                "is_service": unit.is_service,
                "service_dependencies": list(unit.service_dependencies),
            }
            for unit in units
        ],
    }


def project_structure(analysis: Analysis) -> dict[str, Any]:
    """Monorepo tool, unit paths, which unit uses which shared library, Dockerfiles and existing CI files."""
    return {
        "monorepo": analysis.monorepo,
        "unit_paths": [unit.path for unit in analysis.units],
        "units": [
            {"name": unit.name, "path": unit.path, "manifest": unit.manifest, "is_service": unit.is_service,
             "dockerfile": unit.dockerfile, "port": unit.port, "uses_paths": list(unit.uses_paths)}
            for unit in analysis.units
        ],
        "shared_libraries": list(analysis.shared_libraries),
        "existing_ci_files": sorted(fact.evidence.file for fact in analysis.existing_ci),
    }
