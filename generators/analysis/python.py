"""Python projects: package manager, frameworks, tests, linters, versions and drivers of one directory."""

from __future__ import annotations

import re

from generators.analysis import known
from generators.analysis.layout import base
from generators.analysis.layout import Layout
from generators.analysis.layout import join
from generators.analysis.model import Unit
from generators.analysis.pydeps import Dep
from generators.analysis.pydeps import PathDep
from generators.analysis.pydeps import config_sections
from generators.analysis.pydeps import read_deps
from generators.analysis.pydeps import requirement_files
from generators.analysis.record import Record
from generators.analysis.record import add_service
from generators.analysis.record import procfile_start
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import first_line
from generators.analysis.versions import lower_bound
from generators.analysis.versions import python_version
from generators.analysis.versions import tool_versions

TEST_FILE = re.compile(r"^(test_.*|.*_test|tests)\.py$")
LOCKFILES = {"poetry": "poetry.lock", "uv": "uv.lock", "pdm": "pdm.lock", "pipenv": "Pipfile.lock"}
ORDER = ("uv", "poetry", "pdm", "hatch", "pipenv", "pip")  # tie-break inside one precedence tier


def test_files(layout: Layout, directory: str) -> list[str]:
    """Python test files the project directory owns (pytest's and Django's naming)."""
    return [path for path in layout.owned(directory) if path.endswith(".py") and TEST_FILE.match(base(path))]


def detect_python(record: Record, directory: str, lock_dirs: list[str]) -> tuple[Unit, list[PathDep], dict[str, str]]:
    """One Python unit; `lock_dirs` are where its lockfile may live (itself, then a workspace root)."""
    deps, path_deps, sources = read_deps(record, directory)
    names = {dep.name: dep for dep in reversed(deps)}  # first declaration wins as evidence
    pyproject = record.toml(join(directory, "pyproject.toml"))
    manager, lockfile = _package_manager(record, directory, pyproject, lock_dirs)
    unit = Unit(name="", path=directory, language="python", package_manager=manager,
                manifest=_manifest(record, directory))
    record.fact(directory, "language", "python", unit.manifest, f"{base(unit.manifest)} present")
    unit.lockfile = lockfile
    if manager == "pip" and requirement_files(record, directory):
        unit.extras["requirement_files"] = requirement_files(record, directory)
    for name, framework in sorted(known.PYTHON_FRAMEWORKS.items()):
        if name in names:
            unit.frameworks.append(framework)
            record.fact(directory, "framework", framework, names[name].file, _listed(names[name]))
    if "django" not in unit.frameworks and record.layout.has(join(directory, "manage.py")):
        unit.frameworks.append("django")
        record.fact(directory, "framework", "django", join(directory, "manage.py"), "Django manage.py present")
    _tests(record, unit, names, pyproject)
    _linters(record, unit, names, pyproject)
    unit.runtime_version = choose(record, directory, "python version", _versions(record, directory, pyproject))
    procfile_start(record, unit)
    for name, service in sorted(known.PYTHON_DRIVERS.items()):
        if name in names:
            add_service(record, unit, service, names[name].file, f"driver {_listed(names[name])}")
    _django_databases(record, unit)
    return unit, path_deps, sources


def _listed(dep: Dep) -> str:
    return f"{dep.name} in {dep.where}" if dep.where != dep.file else f"{dep.name} in {dep.file}"


def _manifest(record: Record, directory: str) -> str:
    for name in ("pyproject.toml", "Pipfile", "requirements.txt", "setup.py"):
        if record.layout.has(join(directory, name)):
            return join(directory, name)
    files = requirement_files(record, directory)
    return files[0] if files else join(directory, "setup.cfg")


def _package_manager(record: Record, directory: str, pyproject: dict, lock_dirs: list[str]) -> tuple[str, str | None]:
    tool = pyproject.get("tool", {})
    file = join(directory, "pyproject.toml")
    declared: list[tuple[str, str, str]] = []  # (manager, file, rule)
    if "poetry" in tool:
        declared.append(("poetry", file, "[tool.poetry] table in pyproject.toml"))
    elif "poetry" in str(pyproject.get("build-system", {}).get("build-backend", "")):
        declared.append(("poetry", file, "poetry-core build backend in pyproject.toml"))
    if "uv" in tool:
        declared.append(("uv", file, "[tool.uv] table in pyproject.toml"))
    if "pdm" in tool:
        declared.append(("pdm", file, "[tool.pdm] table in pyproject.toml"))
    if isinstance(tool.get("hatch"), dict) and "envs" in tool["hatch"]:
        declared.append(("hatch", file, "[tool.hatch.envs] in pyproject.toml (Hatch environments)"))
    locks = []
    for lock_dir in lock_dirs:
        for manager, name in sorted(LOCKFILES.items()):
            if record.layout.has(join(lock_dir, name)):
                locks.append((manager, join(lock_dir, name), f"{name} present"))
        if locks:
            break  # the nearest directory with a lockfile is the one the tool uses
    manifests = []
    if record.layout.has(join(directory, "Pipfile")):
        manifests.append(("pipenv", join(directory, "Pipfile"), "Pipfile present"))
    manifests.append(("pip", _manifest(record, directory), f"{base(_manifest(record, directory))} present, no other tool declared"))
    tier = declared or locks or manifests
    tier = sorted(tier, key=lambda item: ORDER.index(item[0]))
    manager, file, rule = tier[0]
    record.fact(directory, "package_manager", manager, file, rule)
    strong = declared + locks
    if len({item[0] for item in strong}) > 1:
        options = [f"{m} ({f})" for m, f, _ in strong]
        why = ("declared package managers take precedence over lockfiles" if declared
               else "several lockfiles and no declared package manager")
        record.ambiguity(directory, "package manager", options, f"{manager} ({file})",
                         f"{why}; {rule}; ties are broken in the order {', '.join(ORDER)}")
    lockfile = next((f for m, f, _ in locks if m == manager), None)
    if lockfile:
        record.fact(directory, "lockfile", base(lockfile), lockfile, f"{base(lockfile)} present")
    elif manager == "pip":
        lockfile = _pinned_requirements(record, directory)
    if lockfile is None:
        record.fact(directory, "lockfile", "none", file, f"no lockfile for {manager}")
        record.warn(f"{directory or 'root'}: no lockfile for {manager}; installs will not be frozen")
    return manager, lockfile


def _pinned_requirements(record: Record, directory: str) -> str | None:
    path = join(directory, "requirements.txt")
    text = record.text(path)
    if text is None:
        return None
    if record.layout.has(join(directory, "requirements.in")):
        record.fact(directory, "lockfile", "requirements.txt", path, "requirements.txt compiled from requirements.in")
        return path
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("-")]
    if lines and all("==" in line for line in lines):
        record.fact(directory, "lockfile", "requirements.txt", path, "every requirement in requirements.txt pinned with ==")
        return path
    return None


def _tests(record: Record, unit: Unit, names: dict[str, Dep], pyproject: dict) -> None:
    directory = unit.path
    files = test_files(record.layout, directory)
    evidence = _pytest_evidence(record, directory, names, pyproject, files)
    if not files:
        rule = "no test files (test_*.py, *_test.py, tests.py) found"
        record.fact(directory, "test_command", "none", directory, rule + (f"; {evidence[1]} is configured" if evidence else ""))
        return
    if evidence:
        unit.test_framework, unit.test_command = "pytest", "pytest"
        _test_runner(record, unit, pyproject)
        _install_group(unit, names)
        plugins = sorted(name for name in names if name.startswith("pytest-"))
        if plugins:
            unit.extras["pytest_plugins"] = plugins  # e.g. pytest-cov decides whether --cov works
        record.fact(directory, "test_framework", "pytest", evidence[0], evidence[1])
        record.fact(directory, "test_command", "pytest", evidence[0], f"{evidence[1]}; {len(files)} test files")
        return
    manage = join(directory, "manage.py")
    if "django" in unit.frameworks and record.layout.has(manage):
        unit.test_framework, unit.test_command = "unittest", "python manage.py test"
        record.fact(directory, "test_framework", "unittest", manage, "Django test runner (manage.py), pytest not declared")
        record.fact(directory, "test_command", unit.test_command, manage, "Django project without pytest")
        return
    for path in files:
        if re.search(r"^\s*(import unittest|from unittest\b)", record.text(path) or "", re.MULTILINE):
            unit.test_framework, unit.test_command = "unittest", "python -m unittest discover"
            record.fact(directory, "test_framework", "unittest", path, f"imports unittest in {base(path)}")
            record.fact(directory, "test_command", unit.test_command, path, "unittest tests, pytest not declared")
            return
    record.fact(directory, "test_command", "none", files[0], "test files found but no test runner is declared")


def _test_runner(record: Record, unit: Unit, pyproject: dict) -> None:
    """tox or nox, when the repository runs its tests through one of them."""
    tox = join(unit.path, "tox.ini")
    text = record.text(tox) or ""
    if "[tox]" in text or "[tox:tox]" in text or "tox" in pyproject.get("tool", {}):
        source = tox if text else join(unit.path, "pyproject.toml")
        match = re.search(r"\{posargs(?::([^}]*))?\}", text)
        unit.extras["test_runner"] = {"tool": "tox", "posargs": bool(match), "default_args": (match.group(1) or "")
                                      if match else "", "pytest_cov": "pytest-cov" in text}
        unit.test_command = "tox"
        record.fact(unit.path, "test_command", "tox", source, "[tox] configuration runs pytest" +
                    (" with {posargs}" if match else ""))
    elif record.layout.has(join(unit.path, "noxfile.py")):
        unit.extras["test_runner"] = {"tool": "nox", "posargs": False, "default_args": "", "pytest_cov": False}
        unit.test_command = "nox"
        record.fact(unit.path, "test_command", "nox", join(unit.path, "noxfile.py"), "noxfile.py present")


def _install_group(unit: Unit, names: dict[str, Dep]) -> None:
    # Where pytest is declared decides what CI installs: `pip install .[test]`, `--group dev`, `--with dev`.
    dep = names.get("pytest") or next((names[n] for n in sorted(names) if n.startswith("pytest-")), None)
    match = re.match(r"^\[(project\.optional-dependencies|dependency-groups|tool\.pdm\.dev-dependencies)\] (\S+)$",
                     dep.where if dep else "")
    poetry = re.match(r"^\[tool\.poetry\.group\.([^.]+)\.dependencies\]$", dep.where if dep else "")
    if match:
        key = "test_extra" if match.group(1) == "project.optional-dependencies" else "test_group"
        unit.extras[key] = match.group(2)
    elif poetry:
        unit.extras["test_group"] = poetry.group(1)


def _pytest_evidence(record: Record, directory: str, names: dict[str, Dep], pyproject: dict,
                     files: list[str]) -> tuple[str, str] | None:
    if "pytest" in names:
        return names["pytest"].file, f"pytest in {names['pytest'].where}"
    plugin = next((name for name in sorted(names) if name.startswith("pytest-")), None)
    if plugin:
        return names[plugin].file, f"pytest plugin {plugin} in {names[plugin].where}"
    if "pytest" in pyproject.get("tool", {}):
        return join(directory, "pyproject.toml"), "[tool.pytest.ini_options] in pyproject.toml"
    for name, section in (("pytest.ini", "pytest"), ("setup.cfg", "tool:pytest"), ("tox.ini", "pytest")):
        path = join(directory, name)
        if record.layout.has(path) and (name == "pytest.ini" or section in config_sections(record, path)):
            return path, f"[{section}] section in {name}"
    for path in files:
        if re.search(r"^\s*(import pytest|from pytest\b)", record.text(path) or "", re.MULTILINE):
            record.warn(f"{directory or 'root'}: tests import pytest but no dependency declares it")
            return path, f"imports pytest in {base(path)}"
    return None


def _linters(record: Record, unit: Unit, names: dict[str, Dep], pyproject: dict) -> None:
    directory = unit.path
    tool = pyproject.get("tool", {})
    configs = {"ruff": ("ruff.toml", ".ruff.toml"), "flake8": (".flake8",), "mypy": ("mypy.ini", ".mypy.ini")}
    sections = {"flake8": "flake8", "mypy": "mypy"}
    for name, linter in sorted(known.PYTHON_LINTERS.items()):
        found: tuple[str, str] | None = None
        if name in names:
            found = (names[name].file, _listed(names[name]))
        elif name in tool:
            found = (join(directory, "pyproject.toml"), f"[tool.{name}] in pyproject.toml")
        else:
            for config in configs.get(name, ()):
                if record.layout.has(join(directory, config)):
                    found = (join(directory, config), f"{config} present")
            if not found and name in sections:
                for ini in ("setup.cfg", "tox.ini"):
                    if sections[name] in config_sections(record, join(directory, ini)):
                        found = (join(directory, ini), f"[{sections[name]}] section in {ini}")
        if found:
            unit.lint_tools.append(linter)
            record.fact(directory, "lint_tool", linter, *found)


def _versions(record: Record, directory: str, pyproject: dict) -> list[Declared]:
    declared: list[Declared] = []
    for where in dict.fromkeys([directory, ""]):
        path = join(where, ".python-version")
        if (text := record.text(path)) is not None and first_line(text):
            raw = first_line(text)
            declared.append(Declared(raw, python_version(raw), path, f".python-version pins {raw}"))
        path = join(where, ".tool-versions")
        if (text := record.text(path)) is not None and (raw := tool_versions(text, ("python",))):
            declared.append(Declared(raw, python_version(raw), path, f"python {raw} in .tool-versions"))
        path = join(where, "runtime.txt")
        if (text := record.text(path)) is not None and first_line(text).startswith("python"):
            raw = first_line(text)
            declared.append(Declared(raw, python_version(raw), path, f"runtime.txt pins {raw}"))
    pipfile = join(directory, "Pipfile")
    pinned = record.toml(pipfile).get("requires", {}).get("python_version")
    if isinstance(pinned, str):
        declared.append(Declared(pinned, python_version(pinned), pipfile, f"[requires] python_version = {pinned!r}"))
    file = join(directory, "pyproject.toml")
    spec = pyproject.get("project", {}).get("requires-python")
    rule = f"requires-python = {spec!r} in pyproject.toml"
    if not isinstance(spec, str):
        spec = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
        rule = f"python = {spec!r} in [tool.poetry.dependencies]"
    if isinstance(spec, str):
        declared.append(Declared(spec, lower_bound(spec, 2), file, rule + " (lowest allowed)", spec=spec))
    return declared


def _django_databases(record: Record, unit: Unit) -> None:
    for path in settings_files(record.layout, unit.path):
        text = record.text(path) or ""
        for backend, service in sorted(known.DJANGO_BACKENDS.items()):
            if re.search(re.escape(backend) + r"[\"']", text):
                add_service(record, unit, service, path, f"Django database ENGINE {backend}")


def settings_files(layout: Layout, directory: str) -> list[str]:
    """Django settings modules a project directory owns (at most two, nearest first)."""
    found = [path for path in layout.owned(directory)
             if path.endswith(".py") and (base(path) == "settings.py" or (
                 path.count("/") >= 1 and path.split("/")[-2] == "settings" and base(path) != "__init__.py"))]
    return sorted(found, key=lambda path: (path.count("/"), path))[:2]
