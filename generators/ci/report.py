"""What a person must know about a generated pipeline: notes, requirements, skipped parts (shared by PR and docs)."""

from __future__ import annotations

from typing import Any

from bot.templating import markdown_code
from generators.ci.deploy import SUPPORTED_PLATFORMS
from generators.ci.deploy import deploy_requirements
from generators.ci.deploy import deploy_settings
from generators.ci.deploy import deployment_stage
from generators.ci.security import security_report
from generators.ci.stages import test_stage


def requirements(design: dict[str, Any], deployment: dict[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Secrets and repository/environment variables the pipeline reads, each with where to set it."""
    from generators.ci.settings_azure_jenkins import PLATFORM_REQUIREMENTS

    if design.get("platform") in PLATFORM_REQUIREMENTS:
        return PLATFORM_REQUIREMENTS[design["platform"]](design, deployment)
    return deploy_requirements(deployment, platform=str(design.get("platform") or "github_actions"))


def manual_settings(design: dict[str, Any], deployment: dict[str, Any]) -> list[str]:
    """Repository settings the bot cannot make and a person must, as Markdown with names escaped."""
    from generators.ci.platform_settings import PLATFORM_SETTINGS

    if design.get("platform") in PLATFORM_SETTINGS:
        return PLATFORM_SETTINGS[design["platform"]](design, deployment)
    branch = markdown_code(design["default_branch"])
    settings = [
        f"Protect {branch}: require pull requests and the CI checks to pass before merging.",
        "Settings → Actions → General: set the default GITHUB_TOKEN permission to read-only.",
        "Enable secret scanning and push protection (Settings → Code security).",
    ]
    if design["quality_gates"].get("security_scan_required", True):
        settings.append("Enable code scanning so CodeQL results appear (Settings → Code security).")
    settings += deploy_settings(deployment)
    return settings


def collect(design: dict[str, Any], security: dict[str, Any] | None) -> dict[str, Any]:
    """Everything the PR body and docs report, computed once from the design."""
    from generators.ci.platform_settings import platform_notes

    tests = test_stage(design)
    deployment = deployment_stage(design, design["targets"])
    secrets, variables = requirements(design, deployment)
    return {
        "notes": [*design["notes"], *tests["notes"], *platform_notes(design, security)],
        "units_without_tests": tests["units_without_tests"],
        "coverage_threshold": tests["coverage"]["threshold"],
        "deploy_environments": deployment["environments"],
        "deploy_skipped": deployment["skipped"],
        "deploy_supported": SUPPORTED_PLATFORMS,
        "secrets": secrets,
        "variables": variables,
        "manual_settings": manual_settings(design, deployment),
        "security_tools": (security or {}).get("tools", []),
        "fail_on_severity": (security or {}).get("scan_policies", {}).get("fail_on_severity"),
        "security_scans": security_report(security, str(design.get("platform") or "github_actions"))["scans"],
        "rollback_procedures": deployment["rollback_procedures"],
    }
