"""End-to-end suites (Playwright, Cypress) get their own CI job on every platform: JUnit published, no coverage gate."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import run_on_fixture
from generators.analysis.model import Unit
from generators.ci.e2e import E2E_JUNIT
from generators.ci.e2e import e2e_plan

PLATFORM_FILES = {"github_actions": ".github/workflows/ci.yml", "gitlab_ci": ".gitlab-ci.yml",
                  "circleci": ".circleci/config.yml", "azure_devops": "azure-pipelines.yml", "jenkins": "Jenkinsfile"}


def _unit(e2e: dict[str, Any] | None, manager: str = "npm") -> Unit:
    unit = Unit(name="root", path="", language="node", package_manager=manager, manifest="package.json")
    if e2e is not None:
        unit.extras["e2e"] = e2e
    return unit


def test_playwright_installs_chromium_with_its_libraries_and_reports_junit() -> None:
    plan = e2e_plan(_unit({"framework": "playwright", "command": "npm run test:e2e"}))
    assert plan is not None
    assert "npx --no-install playwright install --with-deps chromium;" in plan.pre[0]
    assert 'if [ "$(id -u)" = 0 ] || command -v sudo' in plan.pre[0]  # apt needs root; else browsers only
    assert plan.command == "npm run test:e2e -- --reporter=list,junit"
    assert plan.env["PLAYWRIGHT_JUNIT_OUTPUT_NAME"] == E2E_JUNIT


def test_cypress_runs_with_its_junit_reporter_through_pnpm() -> None:
    plan = e2e_plan(_unit({"framework": "cypress", "command": "pnpm run e2e"}, manager="pnpm"))
    assert plan is not None and plan.command.startswith("pnpm run e2e --reporter junit ")
    assert "mochaFile=e2e-results/junit-[hash].xml" in plan.command


def test_a_unit_without_an_end_to_end_suite_gets_no_plan() -> None:
    assert e2e_plan(_unit(None)) is None
    assert e2e_plan(_unit({"framework": "selenium", "command": "x"})) is None


@pytest.mark.parametrize("platform", sorted(PLATFORM_FILES))
def test_every_platform_runs_the_playwright_suite_in_its_own_job_without_a_coverage_gate(platform: str) -> None:
    outputs = run_on_fixture("node-playwright", ci_platform=platform)
    # Long YAML shell lines are wrapped with a trailing backslash; join them back before matching.
    text = re.sub(r" *\\\n *", " ", outputs["ci_cd_package"]["files"][PLATFORM_FILES[platform]])
    assert "playwright install --with-deps chromium" in text
    assert "npm run test:e2e -- --reporter=list,junit" in text and E2E_JUNIT in text
    e2e_line = next(line for line in text.splitlines() if "npm run test:e2e" in line)
    assert "coverage" not in e2e_line
    assert "end-to-end tests run in their own Playwright job" in outputs["implementation_guide"]["body"]


def test_the_github_e2e_job_uploads_its_junit_report_even_when_tests_fail() -> None:
    outputs = run_on_fixture("node-playwright", ci_platform="github_actions")
    workflow = YAML(typ="safe").load(outputs["ci_cd_package"]["files"][PLATFORM_FILES["github_actions"]])
    steps = workflow["jobs"]["e2e"]["steps"]
    upload = next(step for step in steps if step.get("with", {}).get("path") == E2E_JUNIT)
    assert upload["if"] == "${{ !cancelled() }}"
