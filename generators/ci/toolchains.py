"""Per-unit commands: toolchain setup, frozen install, lint, build and the real test command with its gates.

Steps here are platform-neutral dicts (`kind` = checkout | setup | cache | run | artifact); a renderer turns
them into its platform's syntax.
"""

from __future__ import annotations

import shlex
from typing import Any

from generators.analysis.model import Unit
from generators.ci import ecosystems

# Tool versions the generated CI installs; pinned so that the same input gives the same pipeline.
PYTEST_COV = "pytest-cov==7.1.0"
PYTEST = "pytest==9.2.0"
POETRY = "2.5.1"
PDM = "2.29.4"
HATCH = "1.18.2"
TOX = "tox==4.67.13"
PYTHON_BUILD = "build==1.6.1"
COREPACK = "corepack@0.36.0"
JEST_JUNIT = "jest-junit@17.0.0"
C8 = "c8@12.0.0"
MOCHA_JUNIT = "mocha-junit-reporter@2.2.1"
GOTESTSUM = "gotest.tools/gotestsum@v1.12.0"
BUN = "1.4.4"

JUNIT_DIR = "test-results"
JUNIT_FILE = f"{JUNIT_DIR}/junit.xml"

Step = dict[str, Any]


def _in_unit(unit: Unit, path: str) -> str:
    return f"{unit.path}/{path}" if unit.path else path


def _run(name: str, command: str, **extra: Any) -> Step:
    return {"kind": "run", "name": name, "command": command, **extra}


def python_runner(unit: Unit) -> str:
    """Prefix that runs a command inside the unit's Python environment."""
    return {"poetry": "poetry run ", "uv": "uv run ", "pipenv": "pipenv run ", "pdm": "pdm run ", "hatch": "hatch run "}.get(
        unit.package_manager, ""
    )


def node_exec(unit: Unit) -> str:
    """Command that runs a package binary with the unit's package manager."""
    return {"pnpm": "pnpm exec", "yarn": "yarn", "bun": "bunx"}.get(unit.package_manager, "npx --no-install")


def yarn_berry(unit: Unit) -> bool:
    """True for Yarn 2+ (`--immutable`); classic Yarn 1 uses `--frozen-lockfile`."""
    flavor = str(unit.extras.get("yarn_flavor", ""))
    if flavor:
        return flavor in ("berry", "modern") or flavor[:1].isdigit() and not flavor.startswith("1")
    version = unit.package_manager_version or ""
    return bool(version) and not version.startswith("1")


def setup_steps(unit: Unit, runtime: dict[str, Any]) -> list[Step]:
    """Install the runtime and package manager, with a cache keyed on the lockfile."""
    setup: Step = {"kind": "setup", "tool": unit.language, "version": runtime["version"]}
    if runtime.get("version_file"):
        setup["version_file"] = runtime["version_file"]
    key_file = unit.lockfile or unit.manifest
    if unit.package_manager == "pip" and unit.extras.get("requirement_files"):
        key_file = "\n".join(str(f) for f in unit.extras["requirement_files"])
    manager = unit.package_manager
    steps: list[Step] = []
    if unit.language == "python":
        if manager == "uv":
            steps.append({"kind": "setup", "tool": "uv", "cache_dependency": key_file})
        elif manager in ("poetry", "pipenv", "pdm", "hatch"):
            version = unit.package_manager_version or {"poetry": POETRY, "pdm": PDM, "hatch": HATCH}.get(manager, "")
            spec = f"{manager}=={version}" if version else manager
            steps.append(_run(f"Install {manager}", f"pipx install {shlex.quote(spec)}"))
        if manager in ("pip", "poetry", "pipenv"):
            setup["cache"] = {"manager": manager, "dependency_path": key_file}
        steps.insert(0 if manager == "uv" else len(steps), setup)
        return steps
    if unit.language == "node":
        if manager == "npm":
            setup["cache"] = {"manager": "npm", "dependency_path": key_file}
        steps.append(setup)
        if manager == "bun":
            steps.append(_run("Install bun", f"npm install --global bun@{unit.package_manager_version or BUN}"))
            steps.append({"kind": "cache", "paths": ["~/.bun/install/cache"], "prefix": f"bun-{unit.name}",
                          "hash_files": [key_file]})
        if manager in ("pnpm", "yarn") and (manager == "pnpm" or yarn_berry(unit)):
            steps.append(_run("Enable corepack", f"npm install --global {COREPACK}\ncorepack enable"))
        if manager in ("pnpm", "yarn"):
            paths = {
                "pnpm": ["~/.local/share/pnpm/store"],
                "yarn": ["~/.yarn/berry/cache", _in_unit(unit, ".yarn/cache")] if yarn_berry(unit) else ["~/.cache/yarn"],
            }[manager]
            steps.append({"kind": "cache", "paths": paths, "prefix": f"{manager}-{unit.name}", "hash_files": [key_file]})
        return steps
    if unit.language == "go":
        setup["cache"] = {"manager": "go", "dependency_path": _in_unit(unit, "go.sum")}
        return [setup]
    return ecosystems.setup_steps(unit, runtime)


def install_commands(unit: Unit, test_extra: str | None = None) -> list[str]:
    """Frozen install from the lockfile (pip without one installs the project, with its test extra)."""
    manager = unit.package_manager
    if unit.language in ecosystems.LANGUAGES:
        return ecosystems.install_commands(unit)
    if manager == "pip":
        prefix = f"{unit.path}/" if unit.path else ""
        files = [str(f)[len(prefix):] if prefix and str(f).startswith(prefix) else str(f)
                 for f in unit.extras.get("requirement_files", [])] or (
            [unit.lockfile.rsplit("/", 1)[-1]] if unit.lockfile else []
        )
        if files:
            # pip turns on hash checking by itself when a requirements file carries --hash.
            return ["python -m pip install " + " ".join(f"-r {shlex.quote(f)}" for f in files)]
        target = f".[{test_extra}]" if test_extra else "."
        return [f"python -m pip install -e {shlex.quote(target)}"]
    commands = {
        "poetry": ["poetry check --lock", "poetry install --no-interaction"],
        "uv": ["uv sync --locked"],
        "pipenv": ["pipenv sync --dev"],
        "pdm": ["pdm install --frozen-lockfile"],
        "hatch": ["hatch env create"],
        "npm": ["npm ci"],
        "pnpm": ["pnpm install --frozen-lockfile"],
        "yarn": ["yarn install --immutable"] if yarn_berry(unit) else ["yarn install --frozen-lockfile"],
        "bun": ["bun install --frozen-lockfile"],
        "go": ["go mod download"],
    }
    return commands[manager]


def lint_commands(unit: Unit) -> list[str]:
    """Lint commands for the tools the repository configures."""
    tools = sorted(set(unit.lint_tools))
    if unit.language == "python":
        run = python_runner(unit)
        known = {
            "ruff": "ruff check .",
            "flake8": "flake8 .",
            "black": "black --check .",
            "isort": "isort --check-only .",
            "mypy": "mypy .",
            "pylint": "pylint --recursive=y .",
        }
        return [run + known[tool] for tool in tools if tool in known]
    if unit.language == "node":
        exe = node_exec(unit)
        known = {"eslint": "eslint .", "prettier": "prettier --check .", "biome": "biome ci ."}
        return [f"{exe} {known[tool]}" for tool in tools if tool in known]
    if unit.language == "go":
        return ["go vet ./..."]
    return ecosystems.lint_commands(unit)


def build_commands(unit: Unit, library: bool) -> list[str]:
    """What builds the unit: its build script, `go build`, or a Python distribution for libraries."""
    if unit.language == "go":
        return ["go build ./..."]
    if unit.language == "node":
        if not unit.build_script:
            return []
        return [f"{unit.package_manager} run {shlex.quote(unit.build_script)}"]
    if unit.language == "python" and library and unit.manifest.endswith("pyproject.toml"):
        return {
            "poetry": ["poetry build"],
            "uv": ["uv build"],
            "pdm": ["pdm build"],
            "hatch": ["hatch build"],
        }.get(unit.package_manager, [f"python -m pip install {PYTHON_BUILD}", "python -m build"])
    return ecosystems.build_commands(unit) if unit.language in ecosystems.LANGUAGES else []
