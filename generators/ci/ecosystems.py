"""Setup, frozen install, cache, lint and build commands for Rust, Java/Kotlin, .NET, Ruby, PHP, Elixir and Hugo.

Same neutral step shapes as toolchains.py; every platform renderer reads them (container platforms take the
runtime image from the design instead of `setup` steps).
"""

from __future__ import annotations

from typing import Any

from generators.analysis.model import Unit

LANGUAGES = frozenset({"rust", "java", "dotnet", "ruby", "php", "elixir", "hugo"})
HUGO_VERSION_DEFAULT = "0.152.2"

Step = dict[str, Any]


def _in_unit(unit: Unit, path: str) -> str:
    return f"{unit.path}/{path}" if unit.path else path


def _cache(unit: Unit, prefix: str, paths: list[str], hash_files: list[str]) -> Step:
    return {"kind": "cache", "paths": paths, "prefix": f"{prefix}-{unit.name}", "hash_files": hash_files}


def java_tool(unit: Unit) -> str:
    """The wrapper script when the repository has one, else the plain build tool."""
    return str(unit.extras.get("wrapper") or ("mvn" if unit.package_manager == "maven" else "gradle"))


def maven(unit: Unit, *goals: str) -> str:
    """A batch-mode Maven command without transfer progress noise."""
    return " ".join([java_tool(unit), "-B", "-ntp", *goals])


def gradle(unit: Unit, *tasks: str) -> str:
    """A Gradle command without a daemon (CI machines are thrown away), with the build cache on.

    The local build cache lives in ~/.gradle/caches/build-cache-1, which the Gradle cache step keeps between
    runs, so tasks whose inputs did not change are restored instead of run again (Gradle's incremental build
    across CI runs); without --build-cache Gradle never reads or writes it.
    """
    return " ".join([java_tool(unit), "--no-daemon", "--build-cache", *tasks])


def setup_steps(unit: Unit, runtime: dict[str, Any]) -> list[Step]:
    """Toolchain setup and a cache keyed on the lockfile (or the build files where the tool has no lockfile)."""
    version = str(runtime["version"])
    setup: Step = {"kind": "setup", "tool": unit.language, "version": version, "image": runtime.get("image", "")}
    language = unit.language
    if language == "rust":
        setup["components"] = sorted({"clippy" if "clippy" in unit.lint_tools else "", "rustfmt" if "rustfmt"
                                      in unit.lint_tools else ""} - {""})
        key = [unit.lockfile or unit.manifest]
        return [setup, _cache(unit, "cargo", ["~/.cargo/registry/index", "~/.cargo/registry/cache", "~/.cargo/git/db",
                                              _in_unit(unit, "target")], key)]
    if language == "java":
        setup["distribution"] = "temurin"
        # The shallowest build files key the cache (a few, so every platform's cache key can list them);
        # a miss on a module-only change still restores through the key prefix.
        files = [str(f) for f in unit.extras.get("build_files", [])][:2] or [unit.manifest]
        if unit.package_manager == "maven":
            return [setup, _cache(unit, "maven", ["~/.m2/repository"], files)]
        wrapper = _in_unit(unit, "gradle/wrapper/gradle-wrapper.properties")
        return [setup, _cache(unit, "gradle", ["~/.gradle/caches", "~/.gradle/wrapper"], [*files, wrapper])]
    if language == "dotnet":
        setup["version"] = f"{version}.x" if "." in version else f"{version}.0.x"
        locks = [str(f) for f in unit.extras.get("lockfiles", [])] or [unit.manifest]
        return [setup, _cache(unit, "nuget", ["~/.nuget/packages"], locks)]
    if language == "ruby":
        return [setup, _cache(unit, "bundler", [_in_unit(unit, "vendor/bundle")], [unit.lockfile or unit.manifest])]
    if language == "php":
        setup["extensions"] = ["mbstring", "pdo_sqlite"] + (["pdo_pgsql"] if "postgres" in unit.service_dependencies else [])
        setup["coverage"] = "pcov"
        return [setup, _cache(unit, "composer", ["~/.cache/composer"], [unit.lockfile or unit.manifest])]
    if language == "elixir":
        setup["otp"] = str(runtime.get("otp") or "")
        return [setup, _cache(unit, "mix", [_in_unit(unit, "deps"), _in_unit(unit, "_build")],
                              [unit.lockfile or unit.manifest])]
    if language == "hugo":
        setup["extended"] = True
        return [setup]
    raise ValueError(f"unsupported language {language!r} for unit {unit.name!r}")


def install_commands(unit: Unit) -> list[str]:
    """Frozen dependency installs: the lockfile is the truth, a mismatch fails the job."""
    language = unit.language
    if language == "rust":
        return ["cargo fetch --locked"]
    if language == "java" and unit.package_manager == "maven":
        # Modules that depend on each other cannot be resolved offline before they are built once.
        if unit.extras.get("modules"):
            return [maven(unit, "-DskipTests", "install")]
        return [maven(unit, "dependency:go-offline")]
    if language == "java":
        return [gradle(unit, "dependencies", "--quiet")]
    if language == "dotnet":
        return ["dotnet restore --locked-mode" if unit.extras.get("lockfiles") else "dotnet restore"]
    if language == "ruby":
        return ["bundle config set --local frozen true", "bundle config set --local path vendor/bundle",
                "bundle install --jobs 4"]
    if language == "php":
        return ["composer validate --no-check-publish" if unit.lockfile else "composer validate --no-check-publish --no-check-lock",
                "composer install --no-interaction --prefer-dist --no-progress"]
    if language == "elixir":
        return ["mix local.hex --force", "mix local.rebar --force", "mix deps.get", 'MIX_ENV="test" mix deps.compile']
    if language == "hugo":
        return ["hugo mod get" if unit.extras.get("hugo_modules") else "hugo version"]
    return []


def lint_commands(unit: Unit) -> list[str]:
    """Lint commands for the tools the repository configures."""
    tools = set(unit.lint_tools)
    known = {
        "clippy": "cargo clippy --locked --all-targets -- -D warnings",
        "rustfmt": "cargo fmt --all --check",
        "rubocop": "bundle exec rubocop",
        "standard": "bundle exec standardrb",
        "pint": "vendor/bin/pint --test",
        "phpstan": "vendor/bin/phpstan analyse --no-progress",
        "php-cs-fixer": "vendor/bin/php-cs-fixer fix --dry-run --diff",
        "phpcs": "vendor/bin/phpcs",
        "credo": "mix credo --strict",
        "mix_format": "mix format --check-formatted",
    }
    return [known[tool] for tool in sorted(tools) if tool in known]


def build_commands(unit: Unit) -> list[str]:
    """Compile (and package) without running tests; tests run in their own job."""
    language = unit.language
    if language == "rust":
        return ["cargo build --locked --all-targets"]
    if language == "java" and unit.package_manager == "maven":
        return [maven(unit, "-DskipTests", "package")]
    if language == "java":
        return [gradle(unit, "assemble")]
    if language == "dotnet":
        return ["dotnet build --no-restore --configuration Release"]
    if language == "elixir":
        return ['MIX_ENV="test" mix compile --warnings-as-errors']
    if language == "hugo":
        return ["hugo --gc --minify"]
    if language == "ruby" and "jekyll" in unit.frameworks:
        return ["JEKYLL_ENV=production bundle exec jekyll build"]
    return []
