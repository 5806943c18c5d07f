"""End-to-end tests (Playwright, Cypress) as their own CI job: browsers installed, JUnit published, no coverage gate."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from generators.analysis.model import Unit

E2E_DIR = "e2e-results"
E2E_JUNIT = f"{E2E_DIR}/junit.xml"


@dataclass
class E2EPlan:
    """Commands of a unit's end-to-end job."""

    framework: str
    pre: list[str] = field(default_factory=list)
    command: str = ""
    env: dict[str, str] = field(default_factory=dict)
    junit: str = E2E_JUNIT  # relative to the unit's directory
    note: str = ""


def _args(command: str, args: str) -> str:
    """Arguments passed through `npm run` need `--`; pnpm, yarn and direct calls take them as they are."""
    words = command.split()
    if words[:2] == ["npm", "run"] and "--" not in words:
        return f"{command} -- {args}"
    return f"{command} {args}"


def _exec(unit: Unit) -> str:
    return {"pnpm": "pnpm exec", "yarn": "yarn", "bun": "bunx"}.get(unit.package_manager, "npx --no-install")


def e2e_plan(unit: Unit) -> E2EPlan | None:
    """The unit's end-to-end job plan from `Unit.extras["e2e"]`, or None when it has no such suite."""
    e2e = unit.extras.get("e2e")
    if not isinstance(e2e, dict) or e2e.get("framework") not in ("playwright", "cypress"):
        return None
    command = str(e2e.get("command") or "")
    if e2e["framework"] == "playwright":
        return E2EPlan(
            framework="playwright",
            # --with-deps installs system libraries through apt, which needs root or sudo (not on Jenkins agents).
            pre=[f'if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; then {_exec(unit)} playwright install '
                 f"--with-deps chromium; else {_exec(unit)} playwright install chromium; fi"],
            command=_args(command, "--reporter=list,junit"),
            env={"PLAYWRIGHT_JUNIT_OUTPUT_NAME": E2E_JUNIT, "CI": "true"},
            note="end-to-end tests run in their own Playwright job with Chromium (install other browsers in the "
                 "job if playwright.config projects use them; a CI agent without root or sudo, such as a Jenkins "
                 "Docker agent, needs Playwright's system libraries in its image); the app is started by the "
                 "config's webServer; "
                 "JUnit is published and no coverage gate applies",
        )
    return E2EPlan(
        framework="cypress",
        # Quoted: [hash] is Cypress's placeholder, but to the shell it is a glob bracket.
        command=_args(command, f"--reporter junit --reporter-options 'mochaFile={E2E_DIR}/junit-[hash].xml'"),
        env={"CI": "true"},
        junit=f"{E2E_DIR}/*.xml",
        note="end-to-end tests run in their own Cypress job (the Cypress binary comes with `npm ci`; the job "
             "image needs Cypress's Linux libraries, or use the cypress/browsers image); JUnit is published and "
             "no coverage gate applies",
    )
