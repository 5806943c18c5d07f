"""Security tool versions and commands per ecosystem; every tool fails the run on the severity asked for where it can.

Each scan is described as plain data (name, kind, tool, version, command or action, severity, needs_image,
sarif, platforms) so that every CI renderer can read it without knowing the tools.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from generators.analysis.model import Unit
from generators.ci.toolchains import yarn_berry

SEMGREP = "1.185.0"
PIP_AUDIT = "2.10.1"
PIP_LICENSES = "5.5.5"
LICENSE_CHECKER = "license-checker-rseidelsohn@5.0.1"
GOVULNCHECK = "golang.org/x/vuln/cmd/govulncheck@v1.9.0"
# Run from pinned container images: neither has an action usable everywhere, and gitleaks-action needs a paid
# licence key for repositories owned by organisations, so the binary runs in its own image instead.
OSV_SCANNER_IMAGE = "ghcr.io/google/osv-scanner:v2.0.0"
GITLEAKS_IMAGE = "ghcr.io/gitleaks/gitleaks:v8.21.2"
TRIVY_IMAGE = "aquasec/trivy:0.58.1"
SEMGREP_IMAGE = f"semgrep/semgrep:{SEMGREP}"

# Strong copyleft licences refused by default, as SPDX ids and as the trove classifiers Python packages declare.
DENIED_LICENSES = ["AGPL-3.0-only", "AGPL-3.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
                   "GPL-3.0-or-later", "SSPL-1.0"]
_PYTHON_CLASSIFIERS = {
    "AGPL": ["GNU Affero General Public License v3", "GNU Affero General Public License v3 or later (AGPLv3+)"],
    "GPL-2": ["GNU General Public License v2 (GPLv2)", "GNU General Public License v2 or later (GPLv2+)"],
    "GPL-3": ["GNU General Public License v3 (GPLv3)", "GNU General Public License v3 or later (GPLv3+)"],
}
# Licences osv-scanner (deps.dev data) accepts when a unit has no licence tool of its own: an allow-list.
ALLOWED_LICENSES = ["0BSD", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BlueOak-1.0.0", "CC0-1.0", "ISC",
                    "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "MIT", "MPL-2.0",
                    "Python-2.0", "Unicode-3.0", "Unlicense", "Zlib"]

_LICENSE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .()+-]{0,80}")
SEVERITIES = ["low", "medium", "high", "critical"]
_NPM_LEVEL = {"low": "low", "medium": "moderate", "high": "high", "critical": "critical"}
_SEMGREP_LEVELS = {"low": ["INFO", "WARNING", "ERROR"], "medium": ["WARNING", "ERROR"], "high": ["ERROR"],
                   "critical": ["ERROR"]}
TRIVY_SEVERITIES = {"low": "LOW,MEDIUM,HIGH,CRITICAL", "medium": "MEDIUM,HIGH,CRITICAL", "high": "HIGH,CRITICAL",
                    "critical": "CRITICAL"}
CODEQL_LANGUAGES = {
    "python": ("python", "none"), "node": ("javascript-typescript", "none"), "go": ("go", "autobuild"),
    "java": ("java-kotlin", "none"), "kotlin": ("java-kotlin", "none"), "dotnet": ("csharp", "none"),
    "csharp": ("csharp", "none"), "ruby": ("ruby", "none"), "rust": ("rust", "none"),
}


def safe_license(name: str) -> bool:
    """Licence names go inside double-quoted shell strings, so they may hold only these characters."""
    return bool(_LICENSE_NAME.fullmatch(name))


def shell_list(variable: str, items: list[str], separator: str) -> list[str]:
    """Shell lines that build `variable` from items a few at a time, so no line grows past a linter's width."""
    lines: list[str] = []
    chunk: list[str] = []
    for item in [*items, None]:
        if item is None or chunk and len(separator.join([*chunk, item])) > 70:
            joined = separator.join(chunk)
            lines.append(f'{variable}="{joined}"' if not lines else f'{variable}="${variable}{separator}{joined}"')
            chunk = []
        if item is not None:
            chunk.append(item)
    return lines


def _docker(image: str, args: str) -> str:
    # The working tree is mounted read-only: scanners report, they never change the checkout.
    return f'docker run --rm --volume "$PWD:/src:ro" --workdir /src {image} {args}'


def osv_lockfile(lockfile: str) -> str:
    """osv-scanner on one lockfile; it has no severity switch, so any known vulnerability fails."""
    return _docker(OSV_SCANNER_IMAGE, f"scan source --lockfile {shlex.quote(lockfile)}")


def semgrep_command(severity: str, sarif: str) -> str:
    """Semgrep's default rules, failing on findings at or above the severity."""
    levels = " ".join(f"--severity {level}" for level in _SEMGREP_LEVELS[severity])
    return f"semgrep scan --config p/default --error {levels} --sarif-output={sarif} --metrics off"


def trivy_command(image: str, severity: str, sarif: str) -> str:
    """trivy on a built image; exit code 1 on unfixed-excluded findings at the severities."""
    return (f"docker run --rm --volume /var/run/docker.sock:/var/run/docker.sock --volume \"$PWD:/out\" "
            f"{TRIVY_IMAGE} image --exit-code 1 --ignore-unfixed --severity {TRIVY_SEVERITIES[severity]} "
            f"--format sarif --output /out/{sarif} {image}")


def gitleaks_command() -> str:
    """gitleaks over the checked-out files; secrets are redacted from the log."""
    return _docker(GITLEAKS_IMAGE, "dir /src --redact --no-banner --exit-code 1")


def _local(unit: Unit, path: str | None) -> str | None:
    """A repository path relative to the unit's directory, where its jobs run."""
    if not path:
        return None
    prefix = f"{unit.path}/" if unit.path else ""
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def dependency_audit(unit: Unit, severity: str) -> dict[str, Any]:
    """{tool, version, commands, severity, runtime_image, note} auditing one unit's locked dependencies."""
    lockfile = _local(unit, unit.lockfile)
    manifest = _local(unit, unit.manifest) or ""
    manager = unit.package_manager
    level = _NPM_LEVEL[severity]
    if manager == "npm" and lockfile:
        return _audit("npm audit", None, [f"npm audit --audit-level={level}"], level, "node:22-slim")
    if manager == "pnpm" and lockfile:
        return _audit("pnpm audit", None, [f"pnpm audit --audit-level {level}"], level, "node:22-slim")
    if manager == "yarn" and lockfile and yarn_berry(unit):
        return _audit("yarn npm audit", None, [f"yarn npm audit --recursive --severity {level}"], level, "node:22-slim")
    pip_audit = f"pip-audit=={PIP_AUDIT}"
    if manager == "pip" and manifest.endswith(".txt"):
        return _audit("pip-audit", PIP_AUDIT, [f"pipx run --spec {pip_audit} pip-audit --requirement "
                                               f"{shlex.quote(manifest)} --progress-spinner off"], None, "python:3.13-slim",
                      "pip-audit has no severity switch: any known vulnerability fails")
    if manager == "pip":
        return _audit("pip-audit", PIP_AUDIT, [f"pipx run --spec {pip_audit} pip-audit . --progress-spinner off"], None,
                      "python:3.13-slim", "pip-audit has no severity switch: any known vulnerability fails")
    if manager == "uv" and lockfile:
        return _audit("pip-audit", PIP_AUDIT, [
            "uv export --frozen --no-hashes --no-emit-project --format requirements-txt --output-file "
            "requirements-audit.txt",
            f"uvx --from {pip_audit} pip-audit --requirement requirements-audit.txt --no-deps --disable-pip "
            "--progress-spinner off",
        ], None, "ghcr.io/astral-sh/uv:python3.13-bookworm-slim",
            "pip-audit has no severity switch: any known vulnerability fails")
    if manager == "go":
        return _audit("govulncheck", GOVULNCHECK.rsplit("@", 1)[1], [f"go run {GOVULNCHECK} ./..."], None,
                      "golang:1.25", "govulncheck reports only vulnerabilities the code reaches; any one fails")
    if lockfile:
        return _audit("osv-scanner", OSV_SCANNER_IMAGE.rsplit(":", 1)[1], [osv_lockfile(lockfile)], None, None,
                      "osv-scanner has no severity switch: any known vulnerability fails")
    return _audit("osv-scanner", OSV_SCANNER_IMAGE.rsplit(":", 1)[1],
                  [_docker(OSV_SCANNER_IMAGE, "scan source --recursive .")], None, None,
                  "no lockfile, so osv-scanner audits the declared manifests; any known vulnerability fails")


def _audit(tool: str, version: str | None, commands: list[str], level: str | None, image: str | None,
           note: str | None = None) -> dict[str, Any]:
    return {"tool": tool, "version": version, "commands": commands, "severity_switch": level,
            "runtime_image": image, "note": note}


def license_check(unit: Unit, deny: list[str]) -> dict[str, Any]:
    """{tool, version, commands, needs_install, policy} failing on a denied licence among the unit's dependencies."""
    manager = unit.package_manager
    if unit.language == "node" and manager in ("npm", "pnpm", "yarn"):
        return {"tool": "license-checker-rseidelsohn", "version": LICENSE_CHECKER.rsplit("@", 1)[1],
                "needs_install": True, "policy": "deny", "licenses": deny,
                "commands": ["\n".join([*shell_list("denied", deny, ";"),
                                        f'npx --yes {LICENSE_CHECKER} --production --excludePrivatePackages '
                                        '--failOn "$denied"'])]}
    if unit.language == "python":
        names = list(deny)
        for spdx in deny:
            for key, classifiers in _PYTHON_CLASSIFIERS.items():
                if spdx.startswith(key):
                    names += classifiers
        interpreter = {"uv": ".venv/bin/python", "poetry": "$(poetry env info --executable)",
                       "pipenv": "$(pipenv --py)", "pdm": "$(pdm info --python)"}.get(manager, "$(command -v python)")
        return {"tool": "pip-licenses", "version": PIP_LICENSES, "needs_install": True, "policy": "deny",
                "licenses": deny,
                "commands": ["\n".join([*shell_list("denied", list(dict.fromkeys(names)), ";"),
                                        f'pipx run --spec pip-licenses=={PIP_LICENSES} pip-licenses '
                                        f'--python "{interpreter}" --fail-on "$denied"'])]}
    return {"tool": "osv-scanner", "version": OSV_SCANNER_IMAGE.rsplit(":", 1)[1], "needs_install": False,
            "policy": "allow", "licenses": list(ALLOWED_LICENSES),
            "commands": ["\n".join([*shell_list("allowed", ALLOWED_LICENSES, ","),
                                    _docker(OSV_SCANNER_IMAGE, 'scan source --recursive --licenses="$allowed" .')])]}
