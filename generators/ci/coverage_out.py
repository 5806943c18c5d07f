"""Cobertura coverage files for platforms that publish coverage themselves (Azure Pipelines, Jenkins).

The neutral test command already enforces the coverage gate; this only adds the report those platforms read.
"""

from __future__ import annotations

from typing import Any

GOCOVER_COBERTURA = "github.com/boumenot/gocover-cobertura@v1.3.0"
NODE_COBERTURA = "coverage/cobertura-coverage.xml"


def with_cobertura(command: str) -> tuple[str, str | None]:
    """The test command extended to also write a coverage report the platforms read (Cobertura, or JaCoCo XML for
    Maven), and that file relative to the unit, if known."""
    if "--cov-fail-under" in command:
        return f"{command} --cov-report=xml:coverage.xml", "coverage.xml"
    if "--coverageThreshold" in command:
        return f"{command} --coverageReporters=text --coverageReporters=cobertura", NODE_COBERTURA
    if "--coverage.thresholds.lines" in command:
        return f"{command} --coverage.reporter=text --coverage.reporter=cobertura", NODE_COBERTURA
    if "--check-coverage" in command and "c8" in command:
        return command.replace("--check-coverage", "--check-coverage --reporter=text --reporter=cobertura", 1), \
            NODE_COBERTURA
    if "jacoco-maven-plugin" in command and ":report" in command:
        return command, "**/target/site/jacoco/jacoco.xml"  # the report goal writes XML beside HTML and CSV
    if "-coverprofile=coverage.out" in command:
        return f"{command}\ngo run {GOCOVER_COBERTURA} < coverage.out > coverage.xml", "coverage.xml"
    return command, None


def coverage_format(path: str) -> str:
    """The report format of a coverage file this module names: JaCoCo XML or Cobertura."""
    return "jacoco" if "jacoco" in path else "cobertura"


def test_reports(job: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
    """A test job with Cobertura output added; its JUnit and Cobertura paths, relative to the repository root."""
    prefix = f"{job['working_directory']}/" if job.get("working_directory") else ""
    steps = []
    coverage: str | None = None
    junit: str | None = None
    for step in job["steps"]:
        if step["kind"] == "run" and step.get("name") == "Test" and not job.get("shards"):
            # Shards only measure; their coverage gate job writes the merged report.
            command, file = with_cobertura(step["command"])
            step = {**step, "command": command}
            coverage = f"{prefix}{file}" if file else None
        if step["kind"] == "artifact" and str(step.get("name", "")).startswith("junit-"):
            junit = step["path"]
        steps.append(step)
    return {**job, "steps": steps}, junit, coverage
