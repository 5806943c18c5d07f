"""Joins the stage outputs into one ordered, dependency-resolved job list (still platform-neutral)."""

from __future__ import annotations

from typing import Any

from generators.ci.deploy import publish_jobs
from generators.ci.stages import changes_job

STAGE_ORDER = ["changes", "lint", "test", "build", "package", "security", "publish", "deploy"]


def assemble_jobs(
    design: dict[str, Any],
    build: dict[str, Any],
    test: dict[str, Any],
    security: dict[str, Any] | None,
    deployment: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Every job in stage order with `needs` resolved; independent jobs need nothing but `changes`."""
    changes = changes_job(design)
    jobs = [dict(job) for job in [*build.get("jobs", []), *test.get("jobs", [])]]
    image_scan = (security or {}).get("image_scan")
    for job in jobs:
        if job["stage"] == "package" and image_scan:
            job["steps"] = [*job["steps"], {"kind": "image_scan", **image_scan, "image": job["steps"][-1]["image"]}]
            if image_scan.get("sarif"):
                job["steps"].append({"kind": "sarif_upload", "path": image_scan["sarif"], "category": "trivy",
                                     "platforms": ["github_actions"]})
                if design["platform"] == "github_actions":
                    # Only the job that uploads scan results may write security events.
                    job["permissions"] = {**job["permissions"], "security-events": "write"}
    jobs += [dict(job) for job in (security or {}).get("jobs", [])]
    # A job or step that names its platforms (CodeQL, SARIF upload) exists only on those.
    jobs = [job for job in jobs if design["platform"] in job.get("platforms", [design["platform"]])]
    for job in jobs:
        job["steps"] = [step for step in job["steps"]
                        if design["platform"] in step.get("platforms", [design["platform"]])]
    jobs += publish_jobs(design)
    deploy_jobs = [dict(job) for job in (deployment or {}).get("jobs", [])]
    if not any(job["stage"] == "publish" for job in jobs):
        # Nothing to deploy without an image; the deployment stage already said why. Vercel builds from source.
        deploy_jobs = [job for job in deploy_jobs if "publish" not in job.get("after", [])]
    jobs += deploy_jobs
    ids = {job["id"] for job in jobs}
    for job in jobs:
        needs = list(job.get("needs", []))
        for stage in job.pop("after", []):
            needs += [other["id"] for other in jobs
                      if other["stage"] == stage and (job["unit"] is None or other["unit"] == job["unit"])]
        if changes and job.get("when", {}).get("changed"):
            needs.insert(0, "changes")
        job["needs"] = [need for i, need in enumerate(needs) if need in ids | {"changes"} and need not in needs[:i]]
    if changes:
        jobs.insert(0, changes)
    order = {stage: index for index, stage in enumerate(STAGE_ORDER)}
    # Deploys keep their promotion order (development, staging, production); the rest sort by id.
    return sorted(jobs, key=lambda job: (order[job["stage"]], "" if job["stage"] == "deploy" else job["id"]))
