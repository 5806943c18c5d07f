"""Gated test commands for Rust, Java/Kotlin, .NET, Ruby, PHP, Elixir and bun: coverage gate plus JUnit XML.

Where the test tool itself takes a threshold it enforces the gate (cargo-llvm-cov, coverlet, Pest). Where it
cannot without a change to the repository, a short shell step checks the coverage report the tool wrote, and
the plan's note says so.
"""

from __future__ import annotations

from typing import Any

from generators.analysis.model import Unit
from generators.ci import ecosystems as eco

CARGO_LLVM_COV = "0.6.16"
CARGO_NEXTEST = "0.9.85"
JACOCO = "org.jacoco:jacoco-maven-plugin:0.8.15"
JUNIT_DIR = "test-results"
JUNIT_FILE = f"{JUNIT_DIR}/junit.xml"


def _gate(label: str, value_command: str, threshold: int) -> str:
    """Shell lines that read a percentage and fail below the threshold."""
    return (f"total=$({value_command})\n"
            f'echo "{label} line coverage: ${{total}}%"\n'
            f"awk -v total=\"$total\" -v min={threshold} 'BEGIN {{ if (total == \"\" || total + 0 < min + 0) "
            "{ print \"coverage \" total \"% is below \" min \"%\"; exit 1 } }'")


def _jacoco_check(threshold: int, pattern: str) -> str:
    # JaCoCo CSV columns 8 and 9 are LINE_MISSED and LINE_COVERED, summed over every module's report.
    value = (f"find . -path '{pattern}' -name '*.csv' -exec tail -n +2 {{}} \\; | "
             "awk -F, '{ missed += $8; covered += $9 } END { if (missed + covered > 0) "
             "printf \"%.2f\", 100 * covered / (missed + covered) }'")
    return _gate("JaCoCo", value, threshold)


def rust(unit: Unit, threshold: int) -> dict[str, Any]:
    """cargo-llvm-cov around nextest: the threshold and the JUnit file come from the tools themselves."""
    nextest_config = ("mkdir -p .config\n"
                      "if [ ! -f .config/nextest.toml ]; then\n"
                      "  printf '[profile.ci]\\nfail-fast = false\\n\\n[profile.ci.junit]\\npath = \"junit.xml\"\\n' "
                      "> .config/nextest.toml\nfi")
    return {
        "pre": ["rustup component add llvm-tools-preview",
                f"cargo install cargo-llvm-cov --locked --version {CARGO_LLVM_COV}",
                f"cargo install cargo-nextest --locked --version {CARGO_NEXTEST}", nextest_config],
        "command": f"cargo llvm-cov nextest --locked --workspace --fail-under-lines {threshold}",
        "env": {"NEXTEST_PROFILE": "ci"},  # nextest's own profile; --profile would name a cargo profile
        "junit": "target/nextest/ci/junit.xml",
        "note": f"tests run through cargo-nextest {CARGO_NEXTEST} under cargo-llvm-cov {CARGO_LLVM_COV}, which "
                "enforces the line-coverage threshold and writes JUnit XML",
    }


def java(unit: Unit, threshold: int) -> dict[str, Any]:
    """Maven or Gradle tests with JaCoCo added from the command line; the report is checked in a shell step."""
    if unit.package_manager == "maven":
        command = eco.maven(unit, f"{JACOCO}:prepare-agent", "verify", f"{JACOCO}:report")
        return {"command": command, "junit": "**/target/surefire-reports/TEST-*.xml",
                "post": [_jacoco_check(threshold, "*/site/jacoco/*")],
                "note": "JaCoCo runs from the command line (no pom change); a shell step checks its CSV report "
                        "against the coverage threshold because jacoco:check rules cannot be set by property"}
    init = ('init="${RUNNER_TEMP:-/tmp}/jacoco.init.gradle"\n'
            "cat > \"$init\" <<'GRADLE'\n"
            "allprojects {\n"
            "    plugins.withId('java') {\n"
            "        project.apply plugin: 'jacoco'\n"
            "        project.tasks.named('jacocoTestReport') { reports { csv.required = true } }\n"
            "        project.tasks.named('test') { finalizedBy 'jacocoTestReport' }\n"
            "    }\n"
            "}\n"
            "GRADLE")
    return {"pre": [init], "command": eco.gradle(unit, '--init-script "${RUNNER_TEMP:-/tmp}/jacoco.init.gradle"', "test"),
            "junit": "**/build/test-results/test/TEST-*.xml",
            "post": [_jacoco_check(threshold, "*/reports/jacoco/*")],
            "note": "JaCoCo is applied through a generated Gradle init script (no build change); a shell step "
                    "checks its CSV report against the coverage threshold"}


def dotnet(unit: Unit, threshold: int, packages: set[str]) -> dict[str, Any]:
    """dotnet test with coverlet; JUnit through JunitXml.TestLogger when the test project references it."""
    base = "dotnet test --no-restore --configuration Release"
    junit = "--logger \"junit;LogFilePath=$PWD/test-results/{assembly}.xml\""
    loggers = junit if "JunitXml.TestLogger" in packages else '--logger trx --results-directory test-results'
    note = None if "JunitXml.TestLogger" in packages else (
        "JUnit XML needs the JunitXml.TestLogger 8.1.0 package in the test project; until then TRX files are published")
    if "coverlet.msbuild" in packages:
        command = f"{base} {loggers} /p:CollectCoverage=true /p:Threshold={threshold} /p:ThresholdType=line"
        return {"command": command, "junit": "test-results/*.xml" if not note else "test-results/*.trx", "note": note}
    value = ("find . -name coverage.cobertura.xml -exec grep -o -m1 "
             "'lines-covered=\"[0-9]*\" lines-valid=\"[0-9]*\"' {} \\; | tr -dc '0-9 \\n' | "
             "awk '{ covered += $1; valid += $2 } END { if (valid > 0) printf \"%.2f\", 100 * covered / valid }'")
    extra = ("coverlet.collector writes Cobertura XML and a shell step checks it against the threshold "
             "(coverlet.msbuild would let `dotnet test /p:Threshold` enforce it)")
    return {"command": f'{base} {loggers} --collect:"XPlat Code Coverage"',
            "junit": "test-results/*.xml" if not note else "test-results/*.trx",
            "post": [_gate("coverlet", value, threshold)], "note": "; ".join(n for n in (note, extra) if n)}


def ruby(unit: Unit, threshold: int, gems: set[str]) -> dict[str, Any]:
    """RSpec or minitest; SimpleCov's last-run file is checked against the threshold."""
    notes = []
    command = unit.test_command or "bundle exec rspec"
    if unit.test_framework == "rspec" and "rspec_junit_formatter" in gems:
        command += f" --format progress --format RspecJunitFormatter --out {JUNIT_FILE}"
    elif unit.test_framework == "rspec":
        notes.append("JUnit XML needs the rspec_junit_formatter gem in the Gemfile's test group")
    else:
        notes.append("JUnit XML needs the minitest-reporters gem (JUnitReporter) in the test helper")
    post = []
    if "simplecov" in gems:
        value = ("ruby -rjson -e 'r = JSON.parse(File.read(\"coverage/.last_run.json\"))[\"result\"]; "
                 "print(r[\"line\"] || r[\"covered_percent\"])'")
        post.append(_gate("SimpleCov", value, threshold))
        notes.append("a shell step checks SimpleCov's coverage/.last_run.json against the threshold")
    else:
        notes.append("no coverage tool: add simplecov to the Gemfile so CI can enforce the coverage threshold")
    return {"command": command, "junit": JUNIT_FILE, "post": post, "env": {"RAILS_ENV": "test", "COVERAGE": "true"},
            "pre": ['RAILS_ENV="test" bin/rails db:prepare'] if "rails" in unit.frameworks and unit.service_dependencies else [],
            "note": "; ".join(notes)}


def php(unit: Unit, threshold: int) -> dict[str, Any]:
    """Pest takes the threshold itself; PHPUnit writes Clover XML that a shell step checks."""
    if unit.test_framework == "pest":
        return {"command": f"vendor/bin/pest --coverage --min={threshold} --log-junit {JUNIT_FILE}", "junit": JUNIT_FILE}
    value = ("php <<'PHP'\n"
             "<?php\n"
             "$m = simplexml_load_file('coverage.xml')->project->metrics;\n"
             "$t = (int) $m['statements'];\n"
             "printf('%.2f', $t ? 100 * (int) $m['coveredstatements'] / $t : 0);\n"
             "PHP\n")
    return {"command": f"vendor/bin/phpunit --log-junit {JUNIT_FILE} --coverage-clover coverage.xml",
            "junit": JUNIT_FILE, "post": [_gate("PHPUnit", value, threshold)],
            "note": "PHPUnit has no coverage threshold option; a shell step checks its Clover report (pcov driver)"}


def elixir(unit: Unit, threshold: int) -> dict[str, Any]:
    """mix test --cover; the [TOTAL] line of its summary is checked against the threshold."""
    value = "awk '/\\[TOTAL\\]/ { gsub(\"%\", \"\", $2); print $2 }' test-output.txt"
    junit = "_build/test/lib/*/test-junit-report.xml"
    notes = ["a shell step checks the [TOTAL] line of `mix test --cover` against the threshold; the project's own "
             "test_coverage threshold in mix.exs (90% by default) also applies"]
    if not unit.extras.get("junit_formatter"):
        notes.append("JUnit XML needs the junit_formatter dependency and `ExUnit.configure(formatters: "
                     "[JUnitFormatter, ExUnit.CLIFormatter])` in test/test_helper.exs")
    return {"command": "set -o pipefail\nmix test --cover 2>&1 | tee test-output.txt", "junit": junit,
            "post": [_gate("mix", value, threshold)], "env": {"MIX_ENV": "test"}, "note": "; ".join(notes)}


def bun(unit: Unit, threshold: int) -> dict[str, Any]:
    """bun test writes JUnit and LCOV itself; the LCOV totals are checked against the threshold."""
    value = ("awk -F: '/^LF:/ { found += $2 } /^LH:/ { hit += $2 } END { if (found > 0) "
             "printf \"%.2f\", 100 * hit / found }' coverage/lcov.info")
    return {"command": f"bun test --coverage --coverage-reporter=text --coverage-reporter=lcov --reporter=junit "
                       f"--reporter-outfile={JUNIT_FILE}", "junit": JUNIT_FILE,
            "post": [_gate("bun", value, threshold)],
            "note": "bun's coverage threshold lives in bunfig.toml; a shell step checks its LCOV report instead"}
