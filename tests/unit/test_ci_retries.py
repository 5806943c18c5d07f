"""Flaky tests are re-run through the test tool's own mechanism, and the coverage gate stays in the same command."""

from __future__ import annotations

from generators.analysis.model import Unit
from generators.ci.testing import PYTEST_RERUNFAILURES
from generators.ci.testing import test_plan as plan_for
from tests.unit.ci_support import python_unit


def _unit(**values: object) -> Unit:
    base: dict[str, object] = dict(name="root", path="", manifest="package.json", is_service=False)
    base.update(values)
    return Unit(**base)  # type: ignore[arg-type]


def test_pytest_reruns_failures_twice_with_the_plugin_installed_in_ci_only() -> None:
    plan = plan_for(python_unit(), 80)
    assert plan is not None
    assert plan.command.endswith("--reruns 2") and "--cov-fail-under=80" in plan.command
    assert any(PYTEST_RERUNFAILURES in line for line in plan.pre)
    assert plan.note and "pytest-rerunfailures" in plan.note


def test_unittest_suites_run_under_pytest_get_reruns_too() -> None:
    plan = plan_for(python_unit(test_framework="unittest", test_command="python -m unittest"), 70)
    assert plan is not None and "--reruns 2" in plan.command
    assert any(PYTEST_RERUNFAILURES in line for line in plan.pre)


def test_vitest_retries_failed_tests_and_keeps_its_threshold() -> None:
    unit = _unit(language="node", package_manager="npm", test_framework="vitest", test_command="npm test")
    plan = plan_for(unit, 75)
    assert plan is not None
    assert "--retry=2" in plan.command and "--coverage.thresholds.lines=75" in plan.command


def test_jest_gets_no_invented_retry_flag_and_the_note_says_why() -> None:
    unit = _unit(language="node", package_manager="npm", test_framework="jest", test_command="npm test")
    plan = plan_for(unit, 75)
    assert plan is not None and "retr" not in plan.command
    assert plan.note and "jest.retryTimes" in plan.note


def test_go_is_not_rerun_because_gotestsum_would_overwrite_the_coverage_profile() -> None:
    unit = _unit(language="go", package_manager="go", manifest="go.mod", test_framework="go_test",
                 test_command="go test ./...")
    plan = plan_for(unit, 60)
    assert plan is not None and "--rerun-fails" not in plan.command
    assert plan.note and "coverage profile" in plan.note


def test_maven_surefire_reruns_failing_tests_and_gradle_says_it_does_not() -> None:
    maven = plan_for(_unit(language="java", package_manager="maven", manifest="pom.xml", test_framework="junit"), 80)
    gradle = plan_for(_unit(language="java", package_manager="gradle", manifest="build.gradle",
                            test_framework="junit"), 80)
    assert maven is not None and maven.command.endswith("-Dsurefire.rerunFailingTestsCount=2")
    assert gradle is not None and "rerun" not in gradle.command
    assert gradle.note and "test-retry plugin" in gradle.note
