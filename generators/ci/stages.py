"""Build, lint and test stages as platform-neutral jobs."""

from __future__ import annotations

from typing import Any

from generators.ci import toolchains as tc
from generators.ci.design import units_of
from generators.ci.e2e import E2EPlan
from generators.ci.e2e import e2e_plan
from generators.ci.services import service_containers
from generators.ci.sharding import COBERTURA_PLATFORMS
from generators.ci.sharding import SHARD_DIR
from generators.ci.sharding import ShardPlan
from generators.ci.sharding import by_position
from generators.ci.sharding import shard_plan
from generators.ci.testing import test_plan

Job = dict[str, Any]


def _job(job_id: str, name: str, stage: str, unit: dict[str, Any] | None, timeout: int, steps: list[Any]) -> Job:
    return {
        "id": job_id,
        "name": name,
        "stage": stage,
        "unit": unit["name"] if unit else None,
        "when": {"changed": unit["name"]} if unit else {},
        "needs": [],
        "timeout_minutes": timeout,
        "permissions": {"contents": "read"},
        "working_directory": (unit["path"] or None) if unit else None,
        "steps": steps,
    }


def _label(unit: dict[str, Any]) -> str:
    return f" ({unit['name']})" if unit["suffix"] else ""


def changes_job(design: dict[str, Any]) -> Job | None:
    """The job that tells which units changed in a pull request; None for a single-unit repository."""
    if not design["path_filters"]:
        return None
    filters = {unit["name"]: unit["paths"] for unit in design["units"]}
    job = _job("changes", "Detect changed units", "changes", None, 5, [{"kind": "paths_filter", "filters": filters}])
    job["permissions"] = {"contents": "read", "pull-requests": "read"}
    job["outputs"] = sorted(filters)
    return job


def build_stage(design: dict[str, Any]) -> dict[str, Any]:
    """Lint, build and container-build jobs per unit, with the cache and artifact plan."""
    jobs: list[Job] = []
    caches: list[dict[str, Any]] = []
    artifacts: list[dict[str, Any]] = []
    for unit, analysed in units_of(design):
        setup = [{"kind": "checkout"}, *tc.setup_steps(analysed, unit["runtime"])]
        install = [{"kind": "run", "name": "Install dependencies", "command": "\n".join(tc.install_commands(analysed, unit.get("test_extra")))}]
        caches.append({"unit": unit["name"], "manager": unit["package_manager"], "key_file": analysed.lockfile
                       or analysed.manifest})
        lint = tc.lint_commands(analysed)
        if lint:
            steps = [*setup, *install, *({"kind": "run", "name": "Lint", "command": c} for c in lint)]
            jobs.append(_job(f"lint{unit['suffix']}", f"Lint{_label(unit)}", "lint", unit, 10, steps))
        build = tc.build_commands(analysed, unit["library"])
        if build:
            steps = [*setup, *install, {"kind": "run", "name": "Build", "command": "\n".join(build)}]
            if unit["language"] == "python":
                dist = f"{unit['path']}/dist" if unit["path"] else "dist"
                steps.append({"kind": "artifact", "name": f"dist-{unit['name']}", "path": dist, "when": "success"})
                artifacts.append({"unit": unit["name"], "name": f"dist-{unit['name']}", "path": dist})
            jobs.append(_job(f"build{unit['suffix']}", f"Build{_label(unit)}", "build", unit, 15, steps))
        if unit["service"]:
            context = unit["path"] or "."
            image = {"kind": "docker_build", "context": context, "dockerfile": unit["dockerfile"],
                     "image": f"{unit['name']}:ci"}
            job = _job(f"docker{unit['suffix']}", f"Container image{_label(unit)}", "package", unit, 30,
                       [{"kind": "checkout"}, image])
            job["working_directory"] = None
            jobs.append(job)
            artifacts.append({"unit": unit["name"], "name": "container image", "path": unit["dockerfile"]})
    return {"jobs": jobs, "cache_strategy": caches, "artifacts": artifacts}


def e2e_job(unit: dict[str, Any], setup: list[dict[str, Any]], install: dict[str, Any], plan: E2EPlan) -> Job:
    """The unit's end-to-end job: browsers, the suite with a JUnit reporter, the report; no coverage gate."""
    steps = [*setup, install, *({"kind": "run", "name": "Install browsers", "command": c} for c in plan.pre)]
    steps.append({"kind": "run", "name": "End-to-end tests", "command": plan.command, "env": plan.env})
    junit = f"{unit['path']}/{plan.junit}" if unit["path"] else plan.junit
    steps.append({"kind": "artifact", "name": f"junit-e2e-{unit['name']}", "path": junit, "when": "always"})
    job = _job(f"e2e{unit['suffix']}", f"End-to-end tests{_label(unit)}", "test", unit, 30, steps)
    job["services"] = []
    job["env"] = {}
    return job


def sharded_jobs(unit: dict[str, Any], setup: list[dict[str, Any]], install: dict[str, Any], plan: ShardPlan,
                 shards: int, threshold: int) -> list[Job]:
    """The unit's test job split into `shards` parallel runs, and the coverage gate job that follows them."""
    prefix = f"{unit['path']}/" if unit["path"] else ""
    steps: list[dict[str, Any]] = [*setup, install]
    steps += [{"kind": "run", "name": "Install test reporters", "command": c} for c in plan.pre]
    if plan.listing:
        steps.append({"kind": "run", "name": "Select this shard's tests", "command": by_position(plan.listing),
                      "split": {"listing": plan.listing, "timings": plan.timings}})
    steps.append({"kind": "run", "name": "Test", "command": plan.command, "env": plan.env})
    steps.append({"kind": "artifact", "name": f"junit-{unit['name']}", "path": f"{prefix}{plan.junit}", "when": "always"})
    coverage = f"coverage-{unit['name']}"
    steps.append({"kind": "artifact", "name": coverage, "path": f"{prefix}{SHARD_DIR}", "when": "success",
                  "shard_coverage": True})
    test = _job(f"test{unit['suffix']}", f"Test{_label(unit)}", "test", unit, 20, steps)
    test["shards"] = shards
    gate_steps: list[dict[str, Any]] = list(setup)
    if plan.gate_installs_dependencies:
        gate_steps.append(install)  # the repository's coverage configuration may name plugins it installs
    gate_steps += [{"kind": "run", "name": "Install coverage tools", "command": c} for c in plan.gate_pre]
    gate_steps += [
        {"kind": "collect_shards", "artifact": coverage, "path": f"{prefix}{SHARD_DIR}", "shards": shards},
        {"kind": "run", "name": "Merge coverage", "command": plan.merge},
        {"kind": "run", "name": "Write Cobertura report", "command": plan.cobertura, "platforms": COBERTURA_PLATFORMS},
        {"kind": "run", "name": "Check coverage", "command": plan.check},
    ]
    gate = _job(f"coverage{unit['suffix']}", f"Coverage gate{_label(unit)}", "test", unit, 10, gate_steps)
    gate["needs"] = [test["id"]]
    gate["coverage_gate"] = {"artifact": coverage, "path": f"{prefix}{SHARD_DIR}", "shards": shards,
                             "threshold": threshold}
    gate["coverage_report"] = f"{prefix}{plan.report}"
    return [test, gate]


def test_stage(design: dict[str, Any]) -> dict[str, Any]:
    """One gated test job per unit that has tests, or its shards and a coverage gate; units without tests are
    listed, never faked."""
    threshold = int(design["quality_gates"]["test_coverage_threshold"])
    shards = int(design.get("test_shards") or 1)
    jobs: list[Job] = []
    without_tests: list[str] = []
    notes: list[str] = []
    for unit, analysed in units_of(design):
        e2e = e2e_plan(analysed)
        if e2e:
            # Its own job, parallel to the unit tests: the suite's webServer config builds and starts the app.
            install = {"kind": "run", "name": "Install dependencies",
                       "command": "\n".join(tc.install_commands(analysed, unit.get("test_extra")))}
            jobs.append(e2e_job(unit, [{"kind": "checkout"}, *tc.setup_steps(analysed, unit["runtime"])], install, e2e))
            notes.append(f"{unit['name']}: {e2e.note}")
        plan = test_plan(analysed, threshold)
        if plan is None:
            without_tests.append(unit["name"])
            continue
        containers, service_env, unknown = service_containers(analysed.service_dependencies)
        if unknown:
            notes.append(f"{unit['name']}: no CI service container is known for {', '.join(unknown)}")
        if plan.note:
            notes.append(f"{unit['name']}: {plan.note}")
        steps: list[dict[str, Any]] = [{"kind": "checkout"}, *tc.setup_steps(analysed, unit["runtime"])]
        steps.append({"kind": "run", "name": "Install dependencies", "command": "\n".join(tc.install_commands(analysed, unit.get("test_extra")))})
        split = shard_plan(analysed, threshold) if shards > 1 else None
        if isinstance(split, str):
            notes.append(f"{unit['name']}: tests run in one job, not {shards} shards: {split}")
        elif split is not None:
            shard_job, gate = sharded_jobs(unit, steps[:-1], steps[-1], split, shards, threshold)
            shard_job["services"], shard_job["env"] = containers, service_env
            gate["services"], gate["env"] = [], {}  # the gate only reads coverage data
            jobs += [shard_job, gate]
            notes.append(f"{unit['name']}: tests split into {shards} parallel shards, each its own job on its own "
                         f"runner, plus one coverage gate job; {split.note}")
            continue
        steps += [{"kind": "run", "name": "Install test reporters", "command": c} for c in plan.pre]
        steps.append({"kind": "run", "name": "Test", "command": plan.command, "env": plan.env})
        steps += [{"kind": "run", "name": "Check coverage", "command": c} for c in plan.post]
        junit = f"{unit['path']}/{plan.junit}" if unit["path"] else plan.junit
        steps.append({"kind": "artifact", "name": f"junit-{unit['name']}", "path": junit, "when": "always"})
        job = _job(f"test{unit['suffix']}", f"Test{_label(unit)}", "test", unit, 20, steps)
        job["services"] = containers
        job["env"] = service_env
        jobs.append(job)
    return {
        "jobs": jobs,
        "parallel_jobs": [job["id"] for job in jobs if not job.get("coverage_gate")],
        "shards": {job["unit"]: job["shards"] for job in jobs if job.get("shards")},
        "coverage": {"threshold": threshold, "enforced_by": "test tool", "junit": tc.JUNIT_FILE},
        "units_without_tests": without_tests,
        "notes": notes,
    }
