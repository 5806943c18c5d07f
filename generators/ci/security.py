"""Security stage: CodeQL per language, dependency review on pull requests, semgrep, container image scan."""

from __future__ import annotations

from typing import Any

SEMGREP = "semgrep==1.185.0"
CODEQL_LANGUAGES = {"python": ("python", "none"), "node": ("javascript-typescript", "none"), "go": ("go", "autobuild")}
SEVERITIES = {"low": "LOW,MEDIUM,HIGH,CRITICAL", "medium": "MEDIUM,HIGH,CRITICAL", "high": "HIGH,CRITICAL",
              "critical": "CRITICAL"}


def _job(job_id: str, name: str, timeout: int, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "name": name,
        "stage": "security",
        "unit": None,
        "when": {},
        "needs": [],
        "timeout_minutes": timeout,
        "permissions": {"contents": "read"},
        "working_directory": None,
        "steps": steps,
        **extra,
    }


def security_stage(design: dict[str, Any], fail_on_severity: str = "high") -> dict[str, Any]:
    """Security jobs and the image-scan policy the container jobs apply."""
    severity = fail_on_severity.lower() if fail_on_severity.lower() in SEVERITIES else "high"
    languages = sorted({CODEQL_LANGUAGES[u["language"]] for u in design["units"] if u["language"] in CODEQL_LANGUAGES})
    jobs = []
    for language, build_mode in languages:
        steps = [
            {"kind": "checkout"},
            {"kind": "codeql_init", "language": language, "build_mode": build_mode},
            {"kind": "codeql_analyze", "category": f"/language:{language}"},
        ]
        job = _job(f"codeql-{language.split('-')[0]}", f"CodeQL ({language})", 30, steps)
        # SARIF upload needs security-events; actions: read lets CodeQL read run metadata in private repositories.
        job["permissions"] = {"actions": "read", "contents": "read", "security-events": "write"}
        jobs.append(job)
    jobs.append(
        _job(
            "dependency-review",
            "Dependency review",
            5,
            [{"kind": "checkout"}, {"kind": "dependency_review", "fail_on_severity": severity}],
            when={"event": "pull_request"},
        )
    )
    jobs.append(
        _job(
            "semgrep",
            "Semgrep",
            15,
            [{"kind": "run", "name": "Semgrep scan",
              "command": f"pipx run --spec {SEMGREP} semgrep scan --config p/default --error --severity ERROR"}],
        )
    )
    jobs[-1]["steps"].insert(0, {"kind": "checkout"})
    image_scan = {"tool": "trivy", "severity": SEVERITIES[severity], "ignore_unfixed": True}
    tools = ["codeql", "dependency-review", "semgrep"] + (
        ["trivy"] if any(unit["service"] for unit in design["units"]) else []
    )
    return {
        "jobs": jobs,
        "image_scan": image_scan if "trivy" in tools else None,
        "scan_policies": {
            "fail_on_severity": severity,
            "sast": ["codeql", "semgrep"],
            "dependency": ["dependency-review", "dependabot"],
            "container": ["trivy"] if "trivy" in tools else [],
            "secrets": ["GitHub secret scanning with push protection (repository setting)"],
        },
        "compliance_checks": [
            "actions pinned to full commit SHAs",
            "read-only default token permissions",
            "no credentials persisted by checkout",
        ],
        "tools": tools,
    }
