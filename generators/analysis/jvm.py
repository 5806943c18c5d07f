"""Java and Kotlin: Maven (multi-module) and Gradle (settings includes), wrappers, Spring Boot, JUnit, JDK version."""

from __future__ import annotations

import re

from generators.analysis import common
from generators.analysis.layout import Layout
from generators.analysis.layout import base
from generators.analysis.layout import join
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import first_line
from generators.analysis.versions import tool_versions

BUILD_FILES = ("pom.xml", "build.gradle.kts", "build.gradle", "settings.gradle.kts", "settings.gradle")
MAX_BUILD_FILES = 12
DRIVERS = {"postgresql": "postgres", "mysql-connector-j": "mysql", "mysql-connector-java": "mysql",
           "mariadb-java-client": "mariadb", "spring-boot-starter-data-redis": "redis", "jedis": "redis",
           "spring-boot-starter-data-mongodb": "mongodb", "spring-boot-starter-amqp": "rabbitmq"}
SERVERS = frozenset({"spring-boot", "quarkus", "micronaut", "ktor"})


def wanted(layout: Layout, directory: str) -> list[str]:
    """Build files of the project and its modules (bounded)."""
    prefix = f"{directory}/" if directory else ""
    found = [p for p in layout.paths if p.startswith(prefix) and base(p) in BUILD_FILES and layout.owner(p) is not None]
    return sorted(found, key=lambda path: (path.count("/"), path))[:MAX_BUILD_FILES]


def detect_jvm(record: Record, directory: str) -> Unit:
    """One unit per Maven or Gradle build; modules and included projects belong to it."""
    names = record.layout.names(directory)
    files = wanted(record.layout, directory)
    text = "\n".join(record.text(path) or "" for path in files)
    maven = "pom.xml" in names
    manager = "maven" if maven else "gradle"
    manifest = join(directory, "pom.xml" if maven else next(n for n in BUILD_FILES[1:] if n in names))
    wrapper = "mvnw" if maven else "gradlew"
    rule = "pom.xml present (Maven)" if maven else f"{base(manifest)} present (Gradle)"
    kotlin = "kotlin" in text or any(p.endswith(".kt") for p in record.layout.owned(directory)[:500])
    unit = common.new_unit(record, directory, "java", manager, manifest, rule)
    unit.extras["build_files"] = files  # cache keys: the build files that decide the dependency set
    if kotlin:
        record.fact(directory, "language", "kotlin", manifest, "Kotlin plugin or .kt sources")
    if wrapper in names:
        unit.extras["wrapper"] = f"./{wrapper}"
        record.fact(directory, "build_tool", wrapper, join(directory, wrapper), f"{wrapper} wrapper script present")
    tool = unit.extras.get("wrapper") or ("mvn" if maven else "gradle")
    unit.build_script = f"{tool} package" if maven else f"{tool} build"
    modules = _modules(record, directory, maven)
    if modules:
        unit.extras["modules"] = modules
        record.fact(directory, "monorepo", "maven_multi_module" if maven else "gradle_multi_project", manifest if maven
                    else join(directory, next(n for n in ("settings.gradle.kts", "settings.gradle") if n in names)),
                    f"{'<modules>' if maven else 'include'} declares {', '.join(modules)}")
    lock = ("gradle.lockfile",) if not maven else ()
    if lock and record.layout.has(join(directory, lock[0])):
        common.lockfile(record, unit, lock)
    else:
        record.fact(directory, "lockfile", "none", manifest, f"{manager} resolves versions from the build file")
    if re.search(r"spring-boot", text):
        common.framework(record, unit, "spring-boot", manifest, "Spring Boot plugin or starter parent in the build")
    for name in ("quarkus", "micronaut", "ktor"):
        if re.search(rf"\b{name}\b", text):
            common.framework(record, unit, name, manifest, f"{name} in the build files")
    found = {name: f"the {manager} build" for name in DRIVERS if re.search(rf"\b{re.escape(name)}\b", text)}
    common.services(record, unit, found, DRIVERS, manifest, "dependency")
    junit = re.search(r"junit-jupiter|useJUnitPlatform|spring-boot-starter-test|junit", text)
    test_sources = [p for p in common.files_under(record, directory, (".java", ".kt"), 5000) if "/src/test/" in f"/{p}"]
    if test_sources:
        framework = "junit5" if junit and "junit:junit" not in text else ("junit4" if junit else None)
        common.tests(record, unit, framework, f"{tool} test", test_sources[0],
                     f"{len(test_sources)} test sources under src/test; {'JUnit in the build' if junit else 'no JUnit found'}")
    else:
        common.tests(record, unit, None, None, manifest, "no test sources under src/test")
    unit.runtime_version = choose(record, directory, "java version", _versions(record, directory, files))
    return unit


def _modules(record: Record, directory: str, maven: bool) -> list[str]:
    if maven:
        text = record.text(join(directory, "pom.xml")) or ""
        return sorted(re.findall(r"<module>\s*([^<\s]+)\s*</module>", text))
    for name in ("settings.gradle.kts", "settings.gradle"):
        text = record.text(join(directory, name)) or ""
        found = re.findall(r"""["']:?([\w.:/-]+)["']""", " ".join(re.findall(r"^\s*include\s*\(?([^\n]*)", text, re.M)))
        if found:
            return sorted(item.replace(":", "/") for item in found)
    return []


def java_version(raw: str) -> str | None:
    """Normalise a JDK version: "1.8" -> "8", "21.0.2-tem" -> "21", "temurin-17.0.9+9" -> "17"."""
    match = re.search(r"(\d+)(?:\.(\d+))?", raw)
    if not match:
        return None
    return match.group(2) if match.group(1) == "1" and match.group(2) else match.group(1)


def _versions(record: Record, directory: str, files: list[str]) -> list[Declared]:
    declared = []
    for where in dict.fromkeys([directory, ""]):
        path = join(where, ".java-version")
        if (text := record.text(path)) is not None and first_line(text):
            declared.append(Declared(first_line(text), java_version(first_line(text)), path, f".java-version pins {first_line(text)}"))
        path = join(where, ".sdkmanrc")
        match = re.search(r"^java=(\S+)", record.text(path) or "", re.M)
        if match:
            declared.append(Declared(match.group(1), java_version(match.group(1)), path, f"java={match.group(1)} in .sdkmanrc"))
        path = join(where, ".tool-versions")
        if (text := record.text(path)) is not None and (raw := tool_versions(text, ("java",))):
            declared.append(Declared(raw, java_version(raw), path, f"java {raw} in .tool-versions"))
    patterns = (
        (r"<maven\.compiler\.release>\s*([\d.]+)\s*<", "<maven.compiler.release>{} in pom.xml"),
        (r"<java\.version>\s*([\d.]+)\s*<", "<java.version>{} in pom.xml"),
        (r"<maven\.compiler\.source>\s*([\d.]+)\s*<", "<maven.compiler.source>{} in pom.xml"),
        (r"<release>\s*([\d.]+)\s*</release>", "compiler plugin <release>{} in pom.xml"),
        (r"JavaLanguageVersion\.of\(\s*(\d+)\s*\)", "Gradle toolchain languageVersion JavaLanguageVersion.of({})"),
        (r"jvmToolchain\(\s*(\d+)\s*\)", "Kotlin jvmToolchain({}) in the Gradle build"),
        (r"sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_)?['\"]?([\d._]+)", "sourceCompatibility {} in the Gradle build"),
    )
    for path in files:
        text = record.text(path) or ""
        for pattern, rule in patterns:
            match = re.search(pattern, text)
            if match:
                raw = match.group(1).replace("_", ".")
                declared.append(Declared(raw, java_version(raw), path, rule.format(raw)))
                break
    return declared
