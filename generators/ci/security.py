"""Security stage as platform-neutral data: SAST, dependency audit, dependency review, container, secrets, licences.

`scans` describes every scan (name, kind, tool, version, command or action, severity, needs_image, sarif,
platforms, unit); `jobs` are the neutral jobs that run them. A job or step with `platforms` runs only there
(CodeQL, dependency review and SARIF upload are GitHub features; semgrep stands in for CodeQL elsewhere).
"""

from __future__ import annotations

from typing import Any

from generators.ci import security_tools as st
from generators.ci import toolchains as tc
from generators.ci.design import units_of

GITHUB = ["github_actions"]
OTHER_PLATFORMS = ["azure_devops", "circleci", "gitlab_ci", "jenkins"]
SEVERITIES = st.TRIVY_SEVERITIES
CODEQL_LANGUAGES = st.CODEQL_LANGUAGES


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


def _scan(name: str, kind: str, tool: str, severity: str | None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "tool": tool, "version": None, "command": None, "action": None,
            "severity": severity, "needs_image": False, "sarif": None, "platforms": None, "unit": None, **extra}


def _label(unit: dict[str, Any]) -> str:
    return f" ({unit['name']})" if unit["suffix"] else ""


def _sast(design: dict[str, Any], severity: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    jobs: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    languages = sorted({CODEQL_LANGUAGES[u["language"]] for u in design["units"] if u["language"] in CODEQL_LANGUAGES})
    for language, build_mode in languages:
        steps = [
            {"kind": "checkout"},
            {"kind": "codeql_init", "language": language, "build_mode": build_mode},
            {"kind": "codeql_analyze", "category": f"/language:{language}"},
        ]
        job = _job(f"codeql-{language.split('-')[0]}", f"CodeQL ({language})", 30, steps, platforms=GITHUB)
        # SARIF upload needs security-events; actions: read lets CodeQL read run metadata in private repositories.
        job["permissions"] = {"actions": "read", "contents": "read", "security-events": "write"}
        jobs.append(job)
        scans.append(_scan(f"CodeQL ({language})", "sast", "codeql", None, action="github/codeql-action",
                           sarif="uploaded by the analyze step", platforms=GITHUB,
                           note="alerts appear in code scanning; a code scanning merge protection rule makes "
                                "high-severity alerts block merging"))
    # Semgrep covers what CodeQL does not: every platform but GitHub, and GitHub too for other languages.
    uncovered = any(u["language"] not in CODEQL_LANGUAGES for u in design["units"])
    platforms = None if uncovered else OTHER_PLATFORMS
    sarif = "semgrep.sarif"
    command = st.semgrep_command(severity, sarif)
    steps: list[dict[str, Any]] = [{"kind": "checkout"}, {"kind": "run", "name": "Semgrep scan",
                                   "command": f"pipx run --spec semgrep=={st.SEMGREP} {command}"}]
    extra: dict[str, Any] = {"platforms": platforms} if platforms else {}
    if platforms is None:
        steps.append({"kind": "sarif_upload", "path": sarif, "category": "semgrep", "platforms": GITHUB})
    job = _job("semgrep", "Semgrep", 15, steps, **extra)
    if platforms is None:
        job["permissions"] = {"contents": "read", "security-events": "write"}
    jobs.append(job)
    scans.append(_scan("Semgrep", "sast", "semgrep", severity, version=st.SEMGREP, command=command, sarif=sarif,
                       platforms=platforms, runtime_image=st.SEMGREP_IMAGE))
    return jobs, scans


def _dependencies(design: dict[str, Any], severity: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    jobs: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    for unit, analysed in units_of(design):
        audit = st.dependency_audit(analysed, severity)
        setup = [] if audit["tool"] == "osv-scanner" else tc.setup_steps(analysed, unit["runtime"])
        steps = [{"kind": "checkout"}, *setup,
                 *({"kind": "run", "name": f"Audit dependencies ({audit['tool']})", "command": c}
                   for c in audit["commands"])]
        job = _job(f"audit{unit['suffix']}", f"Dependency audit{_label(unit)}", 10, steps,
                   unit=unit["name"], when={"changed": unit["name"]}, working_directory=unit["path"] or None)
        jobs.append(job)
        scans.append(_scan(f"Dependency audit{_label(unit)}", "dependency", audit["tool"],
                           audit["severity_switch"] or "any", version=audit["version"],
                           command="\n".join(audit["commands"]), unit=unit["name"],
                           runtime_image=audit["runtime_image"], note=audit["note"]))
    jobs.append(_job("dependency-review", "Dependency review", 5,
                     [{"kind": "checkout"}, {"kind": "dependency_review",
                                             "fail_on_severity": "moderate" if severity == "medium" else severity}],
                     when={"event": "pull_request"}, platforms=GITHUB))
    scans.append(_scan("Dependency review", "dependency_review", "dependency-review", severity,
                       action="actions/dependency-review-action", platforms=GITHUB))
    return jobs, scans


def _licenses(design: dict[str, Any], deny: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    jobs: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    for unit, analysed in units_of(design):
        check = st.license_check(analysed, deny)
        steps: list[dict[str, Any]] = [{"kind": "checkout"}]
        if check["needs_install"]:
            steps += tc.setup_steps(analysed, unit["runtime"])
            steps.append({"kind": "run", "name": "Install dependencies",
                          "command": "\n".join(tc.install_commands(analysed, unit.get("test_extra")))})
        steps += [{"kind": "run", "name": f"Check licences ({check['tool']})", "command": c} for c in check["commands"]]
        jobs.append(_job(f"licenses{unit['suffix']}", f"Licence compliance{_label(unit)}", 10, steps,
                         unit=unit["name"], when={"changed": unit["name"]}, working_directory=unit["path"] or None))
        scans.append(_scan(f"Licence compliance{_label(unit)}", "license", check["tool"], None,
                           version=check["version"], command="\n".join(check["commands"]), unit=unit["name"],
                           policy=check["policy"], licenses=check["licenses"]))
    return jobs, scans


def security_stage(design: dict[str, Any], fail_on_severity: str = "high",
                   denied_licenses: list[str] | None = None) -> dict[str, Any]:
    """Security jobs, the scans they run, and the image-scan step the container jobs add."""
    severity = fail_on_severity.lower() if fail_on_severity.lower() in st.SEVERITIES else "high"
    deny = sorted(denied_licenses) if denied_licenses is not None else list(st.DENIED_LICENSES)
    unsafe = [name for name in deny if not st.safe_license(name)]
    if unsafe:
        raise ValueError(f"licence names may hold letters, digits, spaces and .()+- only: {unsafe}")
    sast_jobs, sast = _sast(design, severity)
    dep_jobs, deps = _dependencies(design, severity)
    lic_jobs, lic = _licenses(design, deny)
    secrets_job = _job("secrets", "Secrets scan (gitleaks)", 10,
                       [{"kind": "checkout"}, {"kind": "run", "name": "Scan for secrets (gitleaks)",
                                               "command": st.gitleaks_command()}])
    secrets = _scan("Secrets scan", "secrets", "gitleaks", "any", version=st.GITLEAKS_IMAGE.rsplit(":", 1)[1],
                    command=st.gitleaks_command(),
                    note="gitleaks runs from its pinned image: gitleaks-action needs a paid licence for organisations")
    has_images = any(unit["service"] for unit in design["units"])
    sarif = "trivy-results.sarif"
    image_scan = {"tool": "trivy", "severity": SEVERITIES[severity], "ignore_unfixed": True, "sarif": sarif,
                  "image_ref": st.TRIVY_IMAGE}
    scans = [*sast, *deps, *lic, secrets]
    if has_images:
        scans.append(_scan("Container image scan", "container", "trivy", severity,
                           version=st.TRIVY_IMAGE.rsplit(":", 1)[1], action="aquasecurity/trivy-action",
                           command=st.trivy_command("<image>", severity, sarif), needs_image=True, sarif=sarif))
    jobs = [*sast_jobs, *dep_jobs, *lic_jobs, secrets_job]
    # The tools that really run on the chosen platform; `scans` keeps the others for the renderers that use them.
    tools = sorted({scan["tool"] for scan in scans if design["platform"] in (scan["platforms"] or [design["platform"]])})
    return {
        "jobs": jobs,
        "scans": scans,
        "image_scan": image_scan if has_images else None,
        "scan_policies": {
            "fail_on_severity": severity,
            "sast": sorted({s["tool"] for s in sast}),
            "dependency": sorted({s["tool"] for s in deps} | {"dependabot"}),
            "container": ["trivy"] if has_images else [],
            "secrets": ["gitleaks", "GitHub secret scanning with push protection (repository setting)"],
            "license": {"denied": deny, "allowed_when_no_licence_tool": list(st.ALLOWED_LICENSES)},
        },
        "compliance_checks": [
            "actions pinned to full commit SHAs",
            "read-only default token permissions",
            "no credentials persisted by checkout",
            f"dependencies free of licences: {', '.join(deny) or 'none denied'}",
        ],
        "tools": tools,
    }


def security_report(security: dict[str, Any] | None, platform: str) -> dict[str, Any]:
    """The security_report output: every scan on the platform with its tool, severity and policy."""
    if not security:
        return {"scans_configured": False, "scans": [], "tools": [], "fail_on_severity": None, "scan_policies": {},
                "compliance_checks": [],
                "note": "security scans were not requested (quality_gates.security_scan_required is false)"}
    scans = [
        {key: scan.get(key) for key in ("name", "kind", "tool", "version", "severity", "unit", "sarif", "note",
                                        "policy", "licenses")}
        for scan in security.get("scans", []) if platform in (scan.get("platforms") or [platform])
    ]
    return {
        "scans_configured": True,
        "scans": scans,
        "tools": list(security.get("tools", [])),
        "fail_on_severity": security.get("scan_policies", {}).get("fail_on_severity"),
        "scan_policies": security.get("scan_policies", {}),
        "compliance_checks": list(security.get("compliance_checks", [])),
        "report": "docs/ci-cd.md#security-practices",
    }
