"""pipelines/deployment.yml: every step type, the hand-off to the rollout engine, manifests checked by kubernetes-validate."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
import redis as redis_lib
from rq import Queue
from ruamel.yaml import YAML

from bot.engine import run_pipeline
from bot.errors import UserError
from bot.pipelines import load_pipeline
from bot.registry import StepContext
from bot.registry import registered_types
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import WAITING_APPROVAL
from bot.rollouts.report import report_key
from bot.rollouts.testing import MemoryPlatform
from bot.rollouts.testing import RecordingReporter
from bot.platforms.kubernetes_manifests import build_manifests
from bot.platforms.kubernetes_manifests import k8s_name
from bot.platforms.kubernetes_manifests import to_yaml
from tests.conftest import redis_url_for

REDIS_DB = 13
STEPS = ["validate_prerequisites", "prepare_deployment_plan", "create_deployment_manifests", "setup_monitoring",
         "execute_deployment", "run_smoke_tests", "progressive_rollout", "update_load_balancer",
         "finalize_deployment"]


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path in ("/-/ready", "/healthz") else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def healthy_url() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def deps() -> Any:
    conn = redis_lib.Redis.from_url(redis_url_for(REDIS_DB))
    conn.flushdb()
    clock = [2_000_000.0]
    platform, reporter = MemoryPlatform(), RecordingReporter()
    yield engine.Deps(redis=conn, queue=Queue("devops-bot", connection=conn), platform=lambda _: platform,
                      reporters=lambda _: [reporter], now=lambda: clock[0]), clock, platform, reporter
    conn.flushdb()
    conn.close()


def inputs(platform: dict[str, Any], strategy: str = "canary") -> dict[str, Any]:
    return {"application_name": "checkout", "target_environment": "production", "deployment_strategy": strategy,
            "artifact_source": {"type": "container_registry", "location": "ghcr.io/acme/checkout", "version": "v2"},
            "platform_config": platform, "stable_version": "v1", "requested_by": "U1",
            "rollout_settings": {"canary_stages": [{"percentage": 10, "duration": 4}, {"percentage": 100}],
                                 "manual_approval_points": ["10%"], "analysis_interval": 2}}


def test_the_pipeline_has_every_spec_step_and_output_with_registered_types() -> None:
    definition = load_pipeline("deployment")
    assert [s["name"] for s in definition["steps"]] == STEPS
    assert set(s["type"] for s in definition["steps"]) <= set(registered_types())
    assert list(definition["outputs"]) == ["deployment_report", "rollback_plan", "operational_handoff"]


def test_a_local_run_starts_the_rollout_and_returns_at_once_then_the_final_job_writes_the_report(
        deps: Any, healthy_url: str) -> None:
    rollout_deps, clock, platform, reporter = deps
    local = {"haproxy_socket": "/nonexistent", "prometheus_url": healthy_url,
             "slots": {"stable": healthy_url, "canary": healthy_url}}
    ctx = StepContext(open_tree=lambda _: None, run_id="run1", extras={"rollout_deps": rollout_deps})
    run = run_pipeline("deployment", inputs({"type": "local", "local": local}), ctx)
    assert run.status == "succeeded" and [s.status for s in run.steps] == ["succeeded"] * 9
    report = run.outputs["deployment_report"]
    assert report["status"] == "in_progress" and report["rollout_id"] == "run1"
    assert run.outputs["rollback_plan"]["rollback_commands"] == ["/deploy rollback checkout", "/deploy abort checkout"]
    assert platform.weights() == [10]
    for _ in range(10):
        driver.step(rollout_deps, set_clock=lambda t: clock.__setitem__(0, t))
        current = engine.get("run1", deps=rollout_deps)
        if current.state == WAITING_APPROVAL:
            break
    assert engine.approve("run1", 0, current.gate_token, "U2", deps=rollout_deps).ok
    assert engine.get("run1", deps=rollout_deps).state == SUCCEEDED
    assert driver.run_queued(rollout_deps) == 1  # the on_finish job
    final = json.loads(rollout_deps.redis.get(report_key("run1")))
    assert final["status"] == SUCCEEDED and final["test_results"]["passed"]
    assert [e["kind"] for e in final["deployment_timeline"]][-1] == "succeeded"
    assert reporter.kinds()[-1] == "report"


def test_an_unreachable_local_stack_stops_the_run_before_anything_moves(deps: Any) -> None:
    ctx = StepContext(open_tree=lambda _: None, extras={"rollout_deps": deps[0]})
    local = {"prometheus_url": "http://127.0.0.1:9", "slots": {}}
    with pytest.raises(UserError, match="Prometheus does not answer"):
        run_pipeline("deployment", inputs({"type": "local", "local": local}), ctx)
    assert deps[2].calls == []


def test_vm_based_gets_manifests_then_says_executing_is_not_available_yet(deps: Any) -> None:
    ctx = StepContext(open_tree=lambda _: None, extras={"rollout_deps": deps[0]})
    with pytest.raises(UserError, match="executing deployments on vm_based is not available yet"):
        run_pipeline("deployment", inputs({"type": "vm_based"}), ctx)


def test_kubernetes_without_a_prometheus_url_is_refused_before_anything_moves(deps: Any) -> None:
    ctx = StepContext(open_tree=lambda _: None, extras={"rollout_deps": deps[0]})
    with pytest.raises(UserError, match="platform_config.kubernetes.prometheus_url is not set"):
        run_pipeline("deployment", inputs({"type": "kubernetes", "namespace": "shop"}), ctx)
    assert deps[2].calls == []


def test_a_missing_artifact_version_is_named_before_anything_runs(deps: Any) -> None:
    bad = inputs({"type": "kubernetes"})
    bad["artifact_source"] = {"type": "container_registry"}
    with pytest.raises(UserError, match="artifact_source needs location, version"):
        run_pipeline("deployment", bad, StepContext(open_tree=lambda _: None))


@pytest.mark.validators
def test_the_kubernetes_manifests_pass_kubernetes_validate() -> None:
    import kubernetes_validate

    objects = build_manifests("Checkout API", "ghcr.io/acme/checkout", "v2.1.0", "production", namespace="shop",
                              canary_weight=5, secret_refs=["checkout-db"])
    assert sorted(o["kind"] for o in objects) == ["ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler",
                                                  "Ingress", "Ingress", "PodDisruptionBudget", "Service", "Service"]
    for obj in YAML(typ="safe").load_all(to_yaml(objects)):
        kubernetes_validate.validate(obj, "1.30.0", strict=True)
    canary = next(o for o in objects if o["kind"] == "Ingress" and o["metadata"]["name"].endswith("canary"))
    assert canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "5"
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] and container["readinessProbe"] and container["livenessProbe"]
    assert container["securityContext"]["runAsNonRoot"] is True


def test_manifests_are_the_same_bytes_for_the_same_input_and_names_are_dns_labels() -> None:
    first = to_yaml(build_manifests("a", "img", "v1", "staging"))
    assert first == to_yaml(build_manifests("a", "img", "v1", "staging"))
    assert k8s_name("Checkout API_v2!") == "checkout-api-v2"
