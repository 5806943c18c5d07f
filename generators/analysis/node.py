"""Node.js projects: package manager (and yarn flavour), frameworks, test script, linters, versions, drivers."""

from __future__ import annotations

import re
from typing import Any

from generators.analysis import known
from generators.analysis.layout import Layout
from generators.analysis.layout import base
from generators.analysis.layout import join
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.record import add_service
from generators.analysis.record import procfile_start
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import first_line
from generators.analysis.versions import lower_bound
from generators.analysis.versions import node_version
from generators.analysis.versions import tool_versions

LOCKFILES = (("npm", "package-lock.json"), ("npm", "npm-shrinkwrap.json"), ("pnpm", "pnpm-lock.yaml"),
             ("yarn", "yarn.lock"), ("bun", "bun.lock"), ("bun", "bun.lockb"))
ORDER = ("npm", "pnpm", "yarn", "bun")  # npm ships with Node, so it wins a tie nothing else decides
TEST_FILE = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
TEST_DIRS = frozenset({"__tests__", "test", "tests", "spec", "e2e"})
SCRIPT_EXT = re.compile(r"\.[cm]?[jt]sx?$")
PLACEHOLDER = re.compile(r"""^\s*echo\b[^&|;]*(?:(?:&&|;)\s*exit\s+\d+\s*)?$""")
ESLINT_CONFIGS = re.compile(r"^(\.eslintrc(\.(js|cjs|json|ya?ml))?|eslint\.config\.[cm]?[jt]s)$")
PRETTIER_CONFIGS = re.compile(r"^(\.prettierrc(\.(js|cjs|json|ya?ml|toml))?|prettier\.config\.[cm]?js)$")


def test_files(layout: Layout, directory: str) -> list[str]:
    """JavaScript/TypeScript test files the project directory owns."""
    found = []
    for path in layout.owned(directory):
        parts = path[len(directory):].strip("/").split("/")
        if TEST_FILE.search(path) or (SCRIPT_EXT.search(path) and TEST_DIRS & set(parts[:-1])):
            found.append(path)
    return found


def runner(pm: str) -> str:
    """How the package manager runs the "test" script (bun's own `bun test` is a different runner)."""
    return "bun run test" if pm == "bun" else f"{pm} test"


def detect_node(record: Record, directory: str, workspace_root: str | None) -> tuple[Unit, dict[str, Any]]:
    """One Node.js unit and its parsed package.json; `workspace_root` holds the shared lockfile, if any."""
    manifest = join(directory, "package.json")
    pkg = record.json(manifest)
    record.fact(directory, "language", "node", manifest, "package.json present")
    lock_dirs = list(dict.fromkeys([directory, workspace_root if workspace_root is not None else directory]))
    root_pkg = record.json(join(workspace_root, "package.json")) if workspace_root is not None else {}
    manager, version, lockfile = _package_manager(record, directory, pkg, root_pkg, workspace_root, lock_dirs)
    unit = Unit(name="", path=directory, language="node", package_manager=manager, manifest=manifest,
                lockfile=lockfile, package_manager_version=version)
    if manager == "yarn":
        unit.extras["yarn_flavor"] = _yarn_flavor(record, directory, lock_dirs, version, lockfile)
    deps = _deps(pkg)
    for name, framework in sorted(known.NODE_FRAMEWORKS.items()):
        if name in deps:
            unit.frameworks.append(framework)
            record.fact(directory, "framework", framework, manifest, f'"{name}" in {deps[name]} of package.json')
    scripts = pkg.get("scripts", {}) if isinstance(pkg.get("scripts"), dict) else {}
    _tests(record, unit, scripts, deps)
    _e2e(record, unit, scripts, deps)
    if isinstance(scripts.get("build"), str):
        unit.build_script = "build"
        record.fact(directory, "build_tool", "build script", manifest, '"build" script in package.json')
    _linters(record, unit, deps)
    procfile_start(record, unit)
    unit.runtime_version = choose(record, directory, "node version", _versions(record, directory, pkg))
    for name, service in sorted(known.NODE_DRIVERS.items()):
        if name in deps:
            add_service(record, unit, service, manifest, f'driver "{name}" in {deps[name]} of package.json')
    return unit, pkg


def _deps(pkg: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for table in ("devDependencies", "optionalDependencies", "dependencies"):
        if isinstance(pkg.get(table), dict):
            found.update({name: table for name in pkg[table]})
    return found


def local_deps(pkg: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Dependencies on other packages of the repository: (name, spec, table) for workspace:, file: and link:."""
    found = []
    for table in ("dependencies", "devDependencies", "optionalDependencies"):
        for name, spec in sorted((pkg.get(table) or {}).items()):
            if isinstance(spec, str) and spec.startswith(("workspace:", "file:", "link:")):
                found.append((name, spec, table))
    return found


def _package_manager(record: Record, directory: str, pkg: dict, root_pkg: dict, workspace_root: str | None,
                     lock_dirs: list[str]) -> tuple[str, str | None, str | None]:
    declared = []
    for owner, data in ((directory, pkg), (workspace_root, root_pkg)):
        field = data.get("packageManager") if owner is not None else None
        if isinstance(field, str) and "@" in field:
            name, _, version = field.partition("@")
            if name in ORDER:
                declared.append((name, version.split("+")[0], join(owner, "package.json"), f'"packageManager": "{field}" in package.json'))
                break
    locks = []
    for lock_dir in lock_dirs:
        locks = [(m, None, join(lock_dir, n), f"{n} present") for m, n in LOCKFILES if record.layout.has(join(lock_dir, n))]
        if locks:
            break
    manifest = join(directory, "package.json")
    tier = declared or locks or [("npm", None, manifest, "package.json without lockfile or packageManager; npm by default")]
    manager, version, file, rule = sorted(tier, key=lambda item: ORDER.index(item[0]))[0]
    record.fact(directory, "package_manager", manager, file, rule)
    if len({item[0] for item in declared + locks}) > 1:
        options = [f"{m} ({f})" for m, _, f, _ in declared + locks]
        reason = (f"{rule}; a declared package manager takes precedence over lockfiles" if declared else
                  f"no packageManager field decides; {base(file)} is used because npm ships with Node "
                  f"(tie order {', '.join(ORDER)}); delete the other lockfile or set packageManager")
        record.ambiguity(directory, "package manager", options, f"{manager} ({file})", reason)
    lockfile = next((f for m, _, f, _ in locks if m == manager), None)
    if lockfile:
        record.fact(directory, "lockfile", base(lockfile), lockfile, f"{base(lockfile)} present")
    else:
        record.fact(directory, "lockfile", "none", manifest, f"no lockfile for {manager}")
        record.warn(f"{directory or 'root'}: no lockfile for {manager}; installs will not be frozen")
    return manager, version, lockfile


def _yarn_flavor(record: Record, directory: str, lock_dirs: list[str], version: str | None,
                 lockfile: str | None) -> str:
    if version:
        flavor = "classic" if version.startswith("1.") else "berry"
        record.fact(directory, "yarn_flavor", flavor, join(directory, "package.json"), f"packageManager yarn@{version}")
        return flavor
    for lock_dir in lock_dirs:
        if record.layout.has(join(lock_dir, ".yarnrc.yml")):
            record.fact(directory, "yarn_flavor", "berry", join(lock_dir, ".yarnrc.yml"), ".yarnrc.yml present (yarn 2+)")
            return "berry"
    text = record.text(lockfile) if lockfile else None
    if text is not None and "__metadata:" in text[:2000]:
        record.fact(directory, "yarn_flavor", "berry", lockfile or "", "__metadata block in yarn.lock (yarn 2+)")
        return "berry"
    record.fact(directory, "yarn_flavor", "classic", lockfile or join(directory, "package.json"),
                "yarn lockfile v1 header" if text and "yarn lockfile v1" in text[:500] else "no yarn 2+ marker")
    return "classic"


def _tests(record: Record, unit: Unit, scripts: dict[str, Any], deps: dict[str, str]) -> None:
    directory, manifest = unit.path, join(unit.path, "package.json")
    script = scripts.get("test")
    if not isinstance(script, str) or not script.strip():
        record.fact(directory, "test_command", "none", manifest, 'no "test" script in package.json')
        return
    if PLACEHOLDER.match(script):
        rule = ('"test" script is the npm init placeholder (echo "Error: no test specified" && exit 1)'
                if "no test specified" in script else f'"test" script only echoes: {script}')
        record.fact(directory, "test_command", "none", manifest, rule)
        return
    words = set(re.findall(r"[\w@/.-]+", script))
    framework = next((name for name in known.NODE_TEST_RUNNERS if name in words), None)
    if framework is None and re.match(r"^\s*bun\s+test\b", script):
        framework = "bun_test"
    if framework is None and "react-scripts" in words:
        framework = "jest"
    framework = framework or next((name for name in known.NODE_TEST_RUNNERS if name in deps), None)
    if framework is None and re.search(r"\bnode\b.*--test\b", script):
        framework = "node_test"
    files = test_files(record.layout, directory)
    if not files:
        record.fact(directory, "test_command", "none", manifest, f'"test" script ({script}) but no test files found')
        return
    unit.test_framework = framework
    unit.test_command = runner(unit.package_manager)
    if framework:
        record.fact(directory, "test_framework", framework, manifest, f'"test" script in package.json runs {script!r}')
    record.fact(directory, "test_command", unit.test_command, manifest,
                f'"test" script in package.json ({script}); {len(files)} test files')


def _e2e(record: Record, unit: Unit, scripts: dict[str, Any], deps: dict[str, str]) -> None:
    """Playwright and Cypress suites are a separate test kind: Unit.extras["e2e"] = {framework, command}."""
    manifest = join(unit.path, "package.json")
    for package, framework in known.NODE_E2E:
        if package not in deps:
            continue
        script = next((name for name in ("test:e2e", "e2e", "test:playwright", "test:cypress")
                       if isinstance(scripts.get(name), str) and framework in scripts[name]), None)
        # A task runner's e2e script (`nx run-many -t e2e`, `turbo run e2e`) names no runner, but it is the one
        # that knows where the suite's config lives (`cypress run` at the root would find none); it is taken
        # when this is the only end-to-end runner installed, so the script cannot belong to another one.
        if script is None and sum(name in deps for name, _ in known.NODE_E2E) == 1:
            script = next((name for name in ("test:e2e", "e2e") if isinstance(scripts.get(name), str)), None)
        exe = {"pnpm": "pnpm exec", "yarn": "yarn", "bun": "bunx"}.get(unit.package_manager, "npx --no-install")
        command = (f"{'npm run' if unit.package_manager == 'npm' else unit.package_manager + ' run'} {script}" if script
                   else f"{exe} {'playwright test' if framework == 'playwright' else 'cypress run'}")
        unit.extras["e2e"] = {"framework": framework, "command": command}
        rule = f'"{package}" in {deps[package]} of package.json' + (f'; "{script}" script' if script else "")
        record.fact(unit.path, "test_framework", framework, manifest, rule + " (end-to-end)")
        record.fact(unit.path, "test_command", command, manifest, rule + " (end-to-end)")
        return


def _linters(record: Record, unit: Unit, deps: dict[str, str]) -> None:
    directory, manifest = unit.path, join(unit.path, "package.json")
    names = record.layout.names(directory)
    for name, tool in sorted(known.NODE_LINTERS.items()):
        evidence = (manifest, f'"{name}" in {deps[name]} of package.json') if name in deps else None
        pattern = {"eslint": ESLINT_CONFIGS, "prettier": PRETTIER_CONFIGS}.get(name)
        config = next((n for n in names if pattern and pattern.match(n)), None)
        if evidence is None and config:
            evidence = (join(directory, config), f"{config} present")
        if evidence is None and name == "typescript" and "tsconfig.json" in names:
            evidence = (join(directory, "tsconfig.json"), "tsconfig.json present")
        if evidence:
            unit.lint_tools.append(tool)
            record.fact(directory, "lint_tool", tool, *evidence)
    unit.lint_tools.sort()


def _versions(record: Record, directory: str, pkg: dict[str, Any]) -> list[Declared]:
    declared: list[Declared] = []
    for where in dict.fromkeys([directory, ""]):
        for name in (".nvmrc", ".node-version"):
            path = join(where, name)
            if (text := record.text(path)) is not None and first_line(text):
                raw = first_line(text)
                declared.append(Declared(raw, node_version(raw), path, f"{name} pins {raw}"))
        path = join(where, ".tool-versions")
        if (text := record.text(path)) is not None and (raw := tool_versions(text, ("nodejs", "node"))):
            declared.append(Declared(raw, node_version(raw), path, f"nodejs {raw} in .tool-versions"))
    engines = pkg.get("engines", {}) if isinstance(pkg.get("engines"), dict) else {}
    spec = engines.get("node")
    if isinstance(spec, str):
        declared.append(Declared(spec, lower_bound(spec, 1), join(directory, "package.json"),
                                 f'engines.node = "{spec}" in package.json (lowest allowed)', spec=spec))
    return declared
