"""The repository's own test command, extended so the test tool enforces coverage and writes JUnit XML."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from dataclasses import field

from generators.analysis.model import Unit
from generators.ci import ecosystem_tests as eco_tests
from generators.ci import toolchains as tc

RETRIES = 2  # a test that fails this many reruns too fails the job
PYTEST_RERUNFAILURES = "pytest-rerunfailures==16.7"
RETRY_NOTES = {
    "python": f"flaky tests are re-run up to {RETRIES} times by pytest-rerunfailures (installed in CI only); "
              "a test that still fails fails the job",
    "vitest": f"flaky tests are re-run up to {RETRIES} times by vitest `--retry`; a test that still fails fails the job",
    "jest": "jest has no command-line retry; flaky tests can opt in with `jest.retryTimes()` in the test file",
    "go": "failed tests are not re-run: gotestsum `--rerun-fails` overwrites the coverage profile "
          "(gotestyourself/gotestsum#274), which would break the coverage gate",
    "maven": f"flaky tests are re-run up to {RETRIES} times by Surefire (`-Dsurefire.rerunFailingTestsCount`) and "
             "reported as flaky; a test that fails every rerun fails the job",
    "gradle": "failed tests are not re-run: Gradle's retry is the test-retry plugin, which needs a build change",
}


def _with_note(plan: TestPlan, extra: str) -> TestPlan:
    """The plan with one more sentence in its note."""
    plan.note = "; ".join(n for n in (plan.note, extra) if n)
    return plan


@dataclass
class TestPlan:
    """Commands of a unit's test job: tool installs, then the gated test command."""

    pre: list[str] = field(default_factory=list)
    command: str = ""
    post: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    junit: str = tc.JUNIT_FILE  # relative to the unit's directory
    note: str | None = None


def script_args(unit: Unit, base: str, args: list[str]) -> str:
    """Append arguments to a command; `npm test`/`npm run x` needs `--` to pass them on."""
    joined = " ".join(args)
    words = base.split()
    if words[:1] == ["npm"] and "--" not in words:
        return f"{base} -- {joined}"
    return f"{base} {joined}"


def python_gate_args(threshold: int) -> list[str]:
    """What the single test job adds to pytest: coverage gate, JUnit file, reruns."""
    return ["--cov", "--cov-report=term", f"--cov-fail-under={threshold}", f"--junitxml={tc.JUNIT_FILE}",
            f"--reruns {RETRIES}"]


def _python(unit: Unit, threshold: int) -> TestPlan:
    run = tc.python_runner(unit)
    gates = python_gate_args(threshold)[:-1]
    retry = python_gate_args(threshold)[-1:]
    # uv environments have no pip; `uv pip` installs into the project's .venv and `uv run` keeps it.
    installer = {"uv": "uv pip install", "poetry": "poetry run python -m pip install"}.get(
        unit.package_manager, f"{run}python -m pip install"
    )
    command = unit.test_command or ""
    note = None
    runner = unit.extras.get("test_runner")
    if isinstance(runner, dict) and runner.get("tool") == "tox" and runner.get("posargs") and runner.get("pytest_cov"):
        # tox passes everything after `--` to pytest through {posargs}, replacing its default arguments.
        args = " ".join([str(runner.get("default_args") or ""), *gates]).strip()
        # The tox environment installs only the repository's own deps, so no rerun plugin is added there.
        return TestPlan(pre=[f"python -m pip install {tc.TOX}"], command=f"tox run -e py -- {args}",
                        note="tests run through tox (the repository's runner) in the CI Python's `py` environment; "
                             "failed tests are not re-run there")
    if isinstance(runner, dict):
        note = (f"{runner['tool']} is configured, but CI runs pytest directly so that pytest-cov enforces the "
                "coverage threshold and writes JUnit XML")
        command = "pytest"
    if unit.test_framework == "unittest" or "pytest" not in command.split():
        # pytest runs unittest suites unchanged and gives the coverage gate and JUnit report unittest lacks.
        pre = [f"{installer} {tc.PYTEST} {tc.PYTEST_COV} {PYTEST_RERUNFAILURES}"]
        base = f"{run}python -m pytest"
        if unit.test_framework == "unittest":
            note = f"`{command or 'python -m unittest'}` tests run under pytest for coverage and JUnit output"
        plan = TestPlan(pre=pre, command=f"{base} {' '.join(gates + retry)}", note=note)
        return _with_note(plan, RETRY_NOTES["python"])
    if run and not command.startswith(run.strip()):
        command = f"{run}{command}"
    plan = TestPlan(pre=[f"{installer} {tc.PYTEST_COV} {PYTEST_RERUNFAILURES}"],
                    command=f"{command} {' '.join(gates + retry)}", note=note)
    return _with_note(plan, RETRY_NOTES["python"])


def _node(unit: Unit, threshold: int) -> TestPlan:
    command = unit.test_command or f"{unit.package_manager} test"
    framework = unit.test_framework
    if framework == "bun_test":
        return TestPlan(**eco_tests.bun(unit, threshold))
    if framework == "jest":
        threshold_json = json.dumps({"global": {"lines": threshold}}, separators=(",", ":"))
        reporter = '"$RUNNER_TEMP/jest-junit/node_modules/jest-junit"'
        args = ["--ci", "--coverage", f"--coverageThreshold={shlex.quote(threshold_json)}", "--reporters=default",
                f"--reporters={reporter}"]
        return TestPlan(
            pre=[f'npm install --no-save --prefix "$RUNNER_TEMP/jest-junit" {tc.JEST_JUNIT}'],
            command=script_args(unit, command, args),
            env={"JEST_JUNIT_OUTPUT_DIR": tc.JUNIT_DIR, "JEST_JUNIT_OUTPUT_NAME": "junit.xml"},
            note=RETRY_NOTES["jest"],
        )
    if framework == "vitest":
        args = ["--run", f"--retry={RETRIES}", "--coverage.enabled=true", f"--coverage.thresholds.lines={threshold}", "--reporter=default",
                "--reporter=junit", f"--outputFile.junit={tc.JUNIT_FILE}"]
        note = f"vitest's coverage gate needs `@vitest/coverage-v8` in devDependencies; {RETRY_NOTES['vitest']}"
        return TestPlan(command=script_args(unit, command, args), note=note)
    # mocha and others: c8 measures coverage around the repository's own command.
    tools = '"$RUNNER_TEMP/node-tools/node_modules'
    args = [f'--reporter={tools}/mocha-junit-reporter"', f"--reporter-options=mochaFile={tc.JUNIT_FILE}"]
    inner = script_args(unit, command, args) if framework == "mocha" else command
    return TestPlan(
        pre=[f'npm install --no-save --prefix "$RUNNER_TEMP/node-tools" {tc.C8} {tc.MOCHA_JUNIT}'],
        command=f'{tools}/.bin/c8" --check-coverage --lines {threshold} {inner}',
        note=None if framework == "mocha" else f"no JUnit reporter is known for {framework or 'this test runner'}",
    )


def _go(unit: Unit, threshold: int) -> TestPlan:
    packages = "./..."
    check = (
        "total=$(go tool cover -func=coverage.out | awk '/^total:/ {sub(\"%\", \"\", $3); print $3}')\n"
        f'echo "total coverage: ${{total}}%"\n'
        f"awk -v total=\"$total\" -v min={threshold} 'BEGIN {{ if (total + 0 < min + 0) "
        "{ print \"coverage \" total \"% is below \" min \"%\"; exit 1 } }'"
    )
    return TestPlan(
        pre=[f"go install {tc.GOTESTSUM}"],
        command=f"mkdir -p {tc.JUNIT_DIR}\ngotestsum --junitfile {tc.JUNIT_FILE} -- -race -coverprofile=coverage.out "
        f"-covermode=atomic {packages}",
        post=[check],
        note=RETRY_NOTES["go"],
    )


def test_plan(unit: Unit, threshold: int) -> TestPlan | None:
    """The unit's gated test commands, or None when it has no tests (then it gets no test job)."""
    if not unit.test_command and not unit.test_framework:
        return None
    if unit.language == "python":
        return _python(unit, threshold)
    if unit.language == "node":
        return _node(unit, threshold)
    if unit.language == "go":
        return _go(unit, threshold)
    builders = {
        "rust": lambda: eco_tests.rust(unit, threshold),
        "java": lambda: eco_tests.java(unit, threshold),
        "dotnet": lambda: eco_tests.dotnet(unit, threshold, set(unit.extras.get("packages", []))),
        "ruby": lambda: eco_tests.ruby(unit, threshold, set(unit.extras.get("gems", []))),
        "php": lambda: eco_tests.php(unit, threshold),
        "elixir": lambda: eco_tests.elixir(unit, threshold),
    }
    if unit.language in builders:
        plan = TestPlan(**builders[unit.language]())
        if unit.language == "java" and unit.package_manager == "maven":
            # Surefire reruns failures itself; a test that passes on a rerun is reported as flaky in its XML.
            plan.command = f"{plan.command} -Dsurefire.rerunFailingTestsCount={RETRIES}"
        if unit.language == "java":
            return _with_note(plan, RETRY_NOTES[unit.package_manager if unit.package_manager == "maven" else "gradle"])
        return plan
    return None
