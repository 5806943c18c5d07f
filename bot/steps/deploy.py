"""Step types of pipelines/deployment.yml: thin adapters to the platforms and the rollout engine."""

from __future__ import annotations

import time
import urllib.request
import uuid
from typing import Any

from bot.errors import UserError
from bot.platforms import not_available
from bot.platforms.aws_manifests import PLATFORMS as AWS_PLATFORMS
from bot.platforms.aws_manifests import step_outputs as aws_step_outputs
from bot.platforms.kubernetes_manifests import build_manifests
from bot.platforms.kubernetes_manifests import to_yaml
from bot.registry import StepContext
from bot.registry import step_type
from bot.rollouts import engine
from bot.rollouts import report
from bot.rollouts.contract import Rollout
from bot.rollouts.strategies import plan_stages


def _platform(inputs: dict[str, Any], key: str = "platform") -> tuple[str, dict[str, Any]]:
    config = dict(inputs.get(key) or {})
    return str(config.get("type") or "kubernetes"), config


def _deps(ctx: StepContext) -> engine.Deps:
    deps = ctx.extras.get("rollout_deps")
    return deps if deps is not None else engine.default_deps()


@step_type("deployment_validator")
def validate_prerequisites(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Run the configured checks; UserError lists every failed one."""
    kind, platform = _platform(inputs)
    artifact = inputs.get("artifact") or {}
    results = []
    for check in config.get("checks", []):
        status, detail = _check(check, kind, platform, artifact)
        results.append({"check": check, "status": status, "detail": detail})
    failed = [f"{r['check']}: {r['detail']}" for r in results if r["status"] == "failed"]
    if failed:
        raise UserError("The deployment cannot start:\n" + "\n".join(f"- {line}" for line in failed))
    return {"validation_results": results,
            "environment_state": {"platform": kind, "environment": inputs.get("environment"),
                                  "ready": True, "checked_at": time.time()}}


def _check(check: str, kind: str, platform: dict[str, Any], artifact: dict[str, Any]) -> tuple[str, str]:
    if check == "artifact_exists":
        missing = [key for key in ("type", "location", "version") if not artifact.get(key)]
        return ("failed", f"artifact_source needs {', '.join(missing)}") if missing else \
            ("passed", f"{artifact['location']}:{artifact['version']}")
    if kind not in ("local", "kubernetes"):
        return ("skipped", f"not checked: the bot does not reach {kind} yet")
    local = platform.get(kind) or {}  # the local or kubernetes platform's own settings
    if check in ("environment_ready", "network_connectivity", "dependency_services"):
        if not local.get("prometheus_url"):
            return "failed", f"platform_config.{kind}.prometheus_url is not set (the canary analysis reads it)"
        try:
            with urllib.request.urlopen(f"{str(local.get('prometheus_url', '')).rstrip('/')}/-/ready",
                                        timeout=5) as response:
                ready = response.status == 200
        except (OSError, ValueError) as error:
            return "failed", f"Prometheus does not answer: {error}"
        answer = "HAProxy and Prometheus answer" if kind == "local" else "Prometheus answers"
        return ("passed", answer) if ready else ("failed", "Prometheus is not ready")
    if check == "permissions_valid":
        return "passed", "checked by the command that started the deploy"
    return "skipped", f"{check} does not apply to the {kind} platform"


@step_type("deployment_planner")
def prepare_deployment_plan(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Phases, traffic plan, rollback points, health-check intervals and a timeline for the strategy."""
    settings = {**config, **(inputs.get("rollout_settings") or {})}
    stages = plan_stages(inputs["strategy"], settings)
    phases = [{"weight": s.weight, "duration_seconds": s.duration_seconds,
               "analysis_interval_seconds": s.analysis_interval_seconds, "manual_approval": s.manual_approval,
               "criteria": {"max_error_rate": s.criteria.max_error_rate, "max_p99_ms": s.criteria.max_p99_ms,
                            "require_data": s.criteria.require_data}} for s in stages]
    total = sum(s.duration_seconds for s in stages)
    gates = sum(1 for s in stages if s.manual_approval)
    plan = {"strategy": inputs["strategy"], "phases": phases, "traffic_shifting_plan": [s.weight for s in stages],
            "rollback_points": [f"before {s.weight}%" for s in stages],
            "health_check_intervals": sorted({s.analysis_interval_seconds for s in stages}),
            "risk": "high" if inputs["strategy"] == "recreate" else "medium" if not gates else "low",
            "settings": settings}
    return {"deployment_plan": plan,
            "resource_allocation": {"replicas": 2, "canary_replicas": 1, "cpu_request": "100m",
                                    "memory_request": "128Mi"},
            "timeline_estimate": {"analysis_seconds": total, "gates": gates,
                                  "note": "plus the time approvers take at each gate"}}


@step_type("manifest_generator")
def create_deployment_manifests(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Kubernetes objects or ECS / Lambda CloudFormation as data (and files); the local platform needs none."""
    kind, platform = _platform(inputs)
    artifact = inputs.get("artifact") or {}
    if kind == "local":
        return {"deployment_manifests": {"platform": "local", "objects": [], "files": {}},
                "configuration_maps": {}, "secret_references": []}
    if kind in AWS_PLATFORMS:
        return aws_step_outputs(kind, inputs, platform)
    own = kubernetes_config(platform, artifact)
    objects = build_manifests(inputs["application"], str(artifact.get("location", "")),
                              str(artifact.get("version", "")), str(inputs.get("environment", "")),
                              namespace=own["namespace"], host=own.get("host"))
    files = {"k8s/rollout.yaml": to_yaml(objects)}
    return {"deployment_manifests": {"platform": kind, "objects": objects, "files": files},
            "configuration_maps": {o["metadata"]["name"]: o["data"] for o in objects if o["kind"] == "ConfigMap"},
            "secret_references": []}


@step_type("monitoring_configurator")
def setup_monitoring(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The PromQL the analysis uses, where to look, and the alert rule that pages on a bad canary."""
    from bot.platforms.prometheus import error_ratio_query
    from bot.platforms.prometheus import p99_query
    from bot.platforms.prometheus import selector

    kind, platform = _platform(inputs)
    own = platform.get(kind) or {}  # the local or kubernetes platform's own settings
    prometheus = str(own.get("prometheus_url", "")) if kind in ("local", "kubernetes") else ""
    match = selector("canary")
    if kind == "kubernetes":
        from bot.platforms.kubernetes import prometheus_selector

        match = prometheus_selector(inputs["application"], str(platform.get("namespace") or own.get("namespace")
                                                               or "default"))
    queries = {"error_rate": error_ratio_query(match, 30), "p99_seconds": p99_query(match, 30)}
    rules = {"groups": [{"name": f"{inputs['application']}-rollout", "rules": [{
        "alert": "CanaryErrorRateHigh", "expr": f"{queries['error_rate']} > 0.01", "for": "1m",
        "labels": {"severity": "page"}, "annotations": {"summary": "canary 5xx ratio {{ $value | humanizePercentage }}"}}]}]}
    return {"monitoring_config": {"prometheus_url": prometheus, "queries": queries, "stack": config.get(
                "monitoring_stack", [])},
            "dashboard_urls": [f"{prometheus}/graph"] if prometheus else [],
            "alert_rules": rules}


@step_type("deployment_executor")
def execute_deployment(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Put the new version beside the stable one with no traffic (local), or say the platform is not ready."""
    kind, platform = _platform(inputs)
    if kind == "kubernetes":  # the rollout's first transition applies the objects (server-side apply)
        own = kubernetes_config(platform, {})
        return {"deployment_status": {"platform": kind, "version": inputs.get("version"), "state": "applied by the "
                                      "rollout, canary at weight 0", "strategy": inputs.get("strategy"),
                                      "namespace": own["namespace"]},
                "instance_details": {"endpoints": []},  # pods answer inside the cluster only
                "traffic_distribution": {"stable": 100, "canary": 0}}
    if kind != "local":
        manifests = inputs.get("manifests") or {}
        raise UserError(not_available(kind, manifests.get("application"), manifests.get("environment")))
    local = platform.get("local") or {}
    slots = local.get("slots") or {}
    return {"deployment_status": {"platform": kind, "version": inputs.get("version"), "state": "deployed",
                                  "strategy": inputs.get("strategy")},
            "instance_details": {"endpoints": [slots[s] for s in sorted(slots)]},
            "traffic_distribution": {"stable": 100, "canary": 0}}


@step_type("test_executor")
def run_smoke_tests(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """GET /healthz on every endpoint (with retries); UserError when one never answers."""
    retries = int(config.get("retry_failed", 2))
    results, timings = [], []
    for endpoint in inputs.get("endpoints") or []:
        ok, detail = False, ""
        for _ in range(retries + 1):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{endpoint}/healthz", timeout=5) as response:
                    ok = response.status == 200
                    detail = f"HTTP {response.status}"
            except OSError as error:
                detail = str(error)
            timings.append((time.perf_counter() - started) * 1000)
            if ok:
                break
        results.append({"endpoint": endpoint, "check": "endpoint_availability", "passed": ok, "detail": detail})
    failures = [r for r in results if not r["passed"]]
    if failures:
        raise UserError("Smoke tests failed:\n" + "\n".join(f"- {r['endpoint']}: {r['detail']}" for r in failures))
    return {"test_results": {"suite": inputs.get("test_suite"), "passed": True, "checks": results},
            "performance_metrics": {"max_ms": round(max(timings, default=0.0), 1)},
            "failure_analysis": []}


@step_type("traffic_controller")
def progressive_rollout(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Start the rollout state machine and return at once: the rollout id, plan and gates."""
    kind, platform = _platform(inputs)
    if kind not in ("local", "kubernetes"):
        raise UserError(not_available(kind, inputs.get("application"), inputs.get("environment")))
    plan = inputs["plan"]
    settings = plan.get("settings") or {}
    rollout = Rollout(
        rollout_id=(ctx.run_id or uuid.uuid4().hex)[:32], app=inputs["application"],
        environment=inputs["environment"], strategy=plan["strategy"],
        version=str(inputs["deployment"].get("version")), stable_version=str(inputs.get("stable_version")),
        platform=kind, requested_by=str(inputs.get("requested_by") or ""),
        stages=plan_stages(plan["strategy"], settings),
        platform_config=kubernetes_config(platform, inputs.get("artifact") or {}) if kind == "kubernetes"
        else dict(platform.get("local") or {}),
        reporter_factories=list(ctx.extras.get("reporter_factories", [])),
        gate_timeout_seconds=float(settings.get("gate_timeout_seconds", config.get("gate_timeout_seconds", 3600))),
        on_gate_timeout=str(settings.get("on_gate_timeout", config.get("on_gate_timeout", "rollback"))),
        on_finish="bot.rollouts.report.finalize_rollout", approval=dict(settings.get("approval") or {}),
        github=_github_record(inputs.get("repository"), platform))
    deps = _deps(ctx)
    # Saved first: the final job reads it, and a short rollout can end inside start().
    report.save_context(deps.redis, rollout.rollout_id, {
        "test_results": inputs.get("test_results"), "monitoring": inputs.get("monitoring_data"), "plan": plan})
    started = engine.start(rollout, deps=deps)
    return {"rollout_progress": {"rollout_id": started.rollout_id, "state": started.state,
                                 "stage_index": started.stage_index, "plan": plan["traffic_shifting_plan"]},
            "traffic_metrics": dict(started.traffic),
            "decision_points": [{"weight": s.weight, "kind": "manual_approval"} for s in started.stages
                                if s.manual_approval]}


def kubernetes_config(platform: dict[str, Any], artifact: dict[str, Any]) -> dict[str, Any]:
    """The kubernetes platform's settings: its own block, the pipeline's namespace, the artifact as image."""
    own = dict(platform.get("kubernetes") or {})
    own["namespace"] = str(platform.get("namespace") or own.get("namespace") or "default")
    if not own.get("image") and artifact.get("location"):
        own["image"] = str(artifact["location"])
    return own


def _github_record(repository: Any, platform: dict[str, Any]) -> dict[str, Any]:
    """Where bot.github_deployments records the rollout ({} when the run names no repository)."""
    if not repository:
        return {}
    record = {"repository": str(repository)}
    own = platform.get(platform.get("type") or "") or {}
    url = platform.get("environment_url") or own.get("environment_url") or \
        (f"https://{own['host']}" if own.get("host") else None)  # a kubernetes Ingress host
    if url:
        record["environment_url"] = str(url)
    return record


@step_type("load_balancer_configurator")
def update_load_balancer(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The load balancer the rollout drives, and the split in force now."""
    kind, platform = _platform(inputs)
    local = platform.get("local") or {}
    plan = inputs.get("traffic_plan")
    progress = plan if isinstance(plan, dict) else {}
    rollout = engine.get(progress["rollout_id"], deps=_deps(ctx)) if progress.get("rollout_id") else None
    if kind == "kubernetes":
        from bot.platforms.kubernetes_manifests import k8s_name

        name = k8s_name(str(inputs.get("application") or (rollout.app if rollout else "app")))
        return {"lb_configuration": {"type": "ingress-nginx", "backend": f"{name}-stable",
                                     "servers": [f"{name}-canary", f"{name}-stable"],
                                     "driven_by": "the rollout's stages (canary Ingress canary-weight patches)"},
                "traffic_distribution": dict(rollout.traffic) if rollout else {"stable": 100, "canary": 0},
                "endpoint_mappings": {track: f"{name}-{track}" for track in ("canary", "stable")}}
    return {"lb_configuration": {"type": "haproxy" if kind == "local" else "ingress-nginx",
                                 "backend": local.get("backend", "be_app"), "servers": sorted(local.get("slots", {})),
                                 "driven_by": "the rollout's stages (runtime API set weight)"},
            "traffic_distribution": dict(rollout.traffic) if rollout else {"stable": 100, "canary": 0},
            "endpoint_mappings": dict(local.get("slots", {}))}


@step_type("deployment_finalizer")
def finalize_deployment(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The rollback plan and handoff now; the report says in progress until the rollout's final job rewrites it."""
    rollout_id = (inputs.get("rollout") or {}).get("rollout_id")
    rollout = engine.get(rollout_id, deps=_deps(ctx)) if rollout_id else None
    return report.pipeline_outputs(rollout, inputs, config)
