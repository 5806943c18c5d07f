"""PHP: Composer, Laravel and Symfony, PHPUnit and Pest, the PHP version from config.platform or require."""

from __future__ import annotations

from generators.analysis import common
from generators.analysis.layout import join
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import lower_bound

FRAMEWORKS = {"laravel/framework": "laravel", "symfony/framework-bundle": "symfony", "slim/slim": "slim"}
SERVERS = frozenset(FRAMEWORKS.values())
DRIVERS = {"predis/predis": "redis", "mongodb/mongodb": "mongodb", "php-amqplib/php-amqplib": "rabbitmq",
           "doctrine/dbal": "postgres"}
LINTERS = {"phpstan/phpstan": "phpstan", "larastan/larastan": "phpstan", "laravel/pint": "pint",
           "friendsofphp/php-cs-fixer": "php-cs-fixer", "squizlabs/php_codesniffer": "phpcs"}


def detect_php(record: Record, directory: str) -> Unit:
    """One Composer project."""
    manifest = join(directory, "composer.json")
    data = record.json(manifest)
    unit = common.new_unit(record, directory, "php", "composer", manifest, "composer.json present (Composer)")
    common.lockfile(record, unit, ("composer.lock",))
    listed: dict[str, str] = {}
    for table in ("require", "require-dev"):
        for name in (data.get(table) or {}):
            listed.setdefault(name, f'"{table}" of composer.json')
    for name, framework in sorted(FRAMEWORKS.items()):
        if name in listed:
            common.framework(record, unit, framework, manifest, f'"{name}" in {listed[name]}')
    for name, tool in sorted(LINTERS.items()):
        if name in listed and tool not in unit.lint_tools:
            unit.lint_tools.append(tool)
            record.fact(directory, "lint_tool", tool, manifest, f'"{name}" in {listed[name]}')
    common.services(record, unit, {k: v for k, v in listed.items() if k != "doctrine/dbal"}, DRIVERS, manifest, "package")
    _tests(record, unit, data, listed)
    unit.runtime_version = choose(record, directory, "php version", _versions(directory, data))
    return unit


def _tests(record: Record, unit: Unit, data: dict, listed: dict[str, str]) -> None:
    tests = [p for p in record.layout.owned(unit.path) if p.endswith("Test.php") or p.endswith("test.php")]
    framework = "pest" if "pestphp/pest" in listed else ("phpunit" if "phpunit/phpunit" in listed else None)
    if not tests or framework is None:
        common.tests(record, unit, None, None, unit.manifest,
                     "no *Test.php files" if not tests else "test files but no phpunit/pest in composer.json")
        return
    scripts = data.get("scripts") or {}
    command = f"vendor/bin/{framework}"
    common.tests(record, unit, framework, command, tests[0],
                 f"{len(tests)} *Test.php files; {'pestphp/pest' if framework == 'pest' else 'phpunit/phpunit'} in "
                 f"composer.json" + ('; a "test" script exists too' if "test" in scripts else ""))


def _versions(directory: str, data: dict) -> list[Declared]:
    declared = []
    manifest = join(directory, "composer.json")
    platform = ((data.get("config") or {}).get("platform") or {}).get("php")
    if isinstance(platform, str):
        declared.append(Declared(platform, lower_bound(platform, 2), manifest, f'config.platform.php "{platform}" in composer.json'))
    spec = (data.get("require") or {}).get("php")
    if isinstance(spec, str):
        declared.append(Declared(spec, lower_bound(spec, 2), manifest, f'require.php "{spec}" in composer.json (lowest allowed)',
                                 spec=spec))
    return declared
