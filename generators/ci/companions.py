"""Files every platform's pipeline comes with (Dockerfiles, dependency updates) and what it requires."""

from __future__ import annotations

import json
from typing import Any

from generators.ci.design import units_of
from generators.ci.report import collect
from generators.dependabot import dependabot_config
from generators.docker import dockerfile

RENOVATE_PATH = "renovate.json"


def renovate_config() -> dict[str, str]:
    """Renovate, GitLab's usual dependency updater: every ecosystem it detects, lockfiles refreshed weekly."""
    config = {
        "$schema": "https://docs.renovatebot.com/renovate-schema.json",
        "extends": ["config:recommended"],
        "lockFileMaintenance": {"enabled": True},
    }
    return {RENOVATE_PATH: json.dumps(config, indent=2) + "\n"}


def companion_files(design: dict[str, Any], security: dict[str, Any] | None, files: dict[str, str],
                    *, updater: str = "dependabot") -> dict[str, Any]:
    """{"files", "variables", "secrets", "notes"}: the pipeline files plus Dockerfiles and the update config."""
    files = dict(files)
    notes: list[str] = []
    for unit, analysed in units_of(design):
        if unit["generate_dockerfile"]:
            generated, note = dockerfile(analysed, unit["runtime"]["version"])
            files.update(generated)
            notes.append(f"{unit['name']}: generated {unit['dockerfile']}; {note}")
    files.update(renovate_config() if updater == "renovate" else dependabot_config(design))
    report = collect(design, security)
    return {"files": dict(sorted(files.items())), "variables": report["variables"], "secrets": report["secrets"],
            "notes": notes}
