"""The deployment pipeline's outputs: rollback plan and handoff up front, the report when the rollout ends."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.rollouts.contract import TERMINAL
from bot.rollouts.contract import Rollout

log = logging.getLogger(__name__)

_TTL_SECONDS = 30 * 24 * 3600


def _context_key(rollout_id: str) -> str:
    return f"devops-bot:rollout-context:{rollout_id}"


def report_key(rollout_id: str) -> str:
    """Where the final deployment report of a rollout is kept."""
    return f"devops-bot:rollout-report:{rollout_id}"


def save_context(redis: Any, rollout_id: str, context: dict[str, Any]) -> None:
    """Keep what the pipeline knew (smoke tests, monitoring, plan) for the final report."""
    redis.set(_context_key(rollout_id), json.dumps(context, default=str), ex=_TTL_SECONDS)


def deployment_report(rollout: Rollout | None, context: dict[str, Any]) -> dict[str, Any]:
    """Timeline, metrics, tests and incidents of a rollout (status in_progress until it ends)."""
    if rollout is None:
        return {"status": "not_started", "deployment_timeline": [], "incident_log": []}
    incidents = [e for e in rollout.events if e["kind"] in ("rollback", "aborted", "failed", "rejected",
                                                            "gate_timeout")]
    return {
        "rollout_id": rollout.rollout_id, "app": rollout.app, "environment": rollout.environment,
        "version": rollout.version, "strategy": rollout.strategy,
        "status": rollout.state if rollout.state in TERMINAL else "in_progress",
        "outcome": rollout.reason,
        "deployment_timeline": [{"at": e["at"], "kind": e["kind"], "text": e["text"]} for e in rollout.events],
        "resource_utilization": {"traffic": dict(rollout.traffic)},
        "test_results": context.get("test_results"),
        "performance_metrics": dict(rollout.last_metrics),
        "incident_log": incidents,
    }


def rollback_plan(rollout: Rollout | None, app: str, environment: str) -> dict[str, Any]:
    """How to get back to the previous version, from Slack or the command line."""
    stable = rollout.stable_version if rollout else "the previous version"
    return {"rollback_commands": [f"/deploy rollback {app}", f"/deploy abort {app}"],
            "state_snapshots": {"stable_version": stable, "rollout_id": rollout.rollout_id if rollout else None},
            "contact_information": {"requested_by": rollout.requested_by if rollout else None},
            "escalation_path": ["the approvers configured for this app and environment in .devops.yml",
                                "the on-call rotation paged by the CanaryErrorRateHigh alert"],
            "environment": environment}


def operational_handoff(inputs: dict[str, Any]) -> dict[str, Any]:
    """Dashboards, alerts, runbook and troubleshooting for whoever runs the new version."""
    return {"monitoring_dashboards": list(inputs.get("dashboards") or []),
            "alert_configurations": inputs.get("alerts") or {},
            "runbook_references": ["/deploy status APP shows the rollout; /deploy rollback APP undoes it"],
            "troubleshooting_guide": [
                "A rollback reason names the metric, its value and the limit; compare with the stable version.",
                "No data means no requests reached the new version: check the load balancer's weights.",
            ]}


def pipeline_outputs(rollout: Rollout | None, inputs: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """finalize_deployment's outputs as of now."""
    app, environment = str(inputs.get("application", "")), str(inputs.get("environment", ""))
    context = {"test_results": inputs.get("test_results")}
    done = rollout is not None and rollout.state in TERMINAL
    return {"deployment_summary": {"rollout_id": rollout.rollout_id if rollout else None,
                                   "state": rollout.state if rollout else "not_started",
                                   "final_report": "now" if done else "written when the rollout ends"},
            "cleanup_report": {"tasks": list(config.get("finalization_tasks", [])),
                               "retention_policy": config.get("retention_policy", {}),
                               "old_version": "kept idle for an instant rollback"},
            "notification_status": {"reporters": list(rollout.reporter_factories) if rollout else []},
            "deployment_report": deployment_report(rollout, context),
            "rollback_plan": rollback_plan(rollout, app, environment),
            "operational_handoff": operational_handoff(inputs)}


def finalize_rollout(rollout_id: str, *, deps: Any = None) -> dict[str, Any]:
    """The rollout's final job: write the deployment report and post it to the rollout's reporters."""
    from bot.rollouts import engine

    deps = deps or engine.default_deps()
    rollout = engine.get(rollout_id, deps=deps)
    raw = deps.redis.get(_context_key(rollout_id))
    final = deployment_report(rollout, json.loads(raw) if raw else {})
    deps.redis.set(report_key(rollout_id), json.dumps(final, default=str), ex=_TTL_SECONDS)
    if rollout is not None:
        text = f"deployment report: {final['status']}, {len(final['deployment_timeline'])} events, " \
               f"{len(final['incident_log'])} incidents"
        for reporter in deps.reporters(rollout):
            try:
                reporter.event(rollout, "report", text)
            except Exception:  # the report is stored either way
                log.exception("reporter failed on the report of rollout %s", rollout_id)
    return final
