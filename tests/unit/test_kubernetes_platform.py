"""The kubernetes platform through the rollout engine: the official client against a fake API server on
loopback (the API server's shapes and rules), a fake Prometheus query API, real Redis and RQ jobs."""

from __future__ import annotations

from typing import Any

import pytest
import redis as redis_lib

from bot.errors import UserError
from bot.platforms import platform_for
from bot.platforms.kubernetes import KubernetesPlatform
from bot.platforms.kubernetes import prometheus_selector
from bot.platforms.kubernetes_manifests import build_manifests
from bot.queue import get_queue
from bot.rollouts import driver
from bot.rollouts import engine
from bot.rollouts.contract import FAILED
from bot.rollouts.contract import ROLLED_BACK
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import Criteria
from bot.rollouts.contract import Rollout
from bot.rollouts.contract import Stage
from bot.rollouts.testing import RecordingReporter
from tests.fakes.kubernetes_api import APPLY
from tests.fakes.kubernetes_api import MERGE
from tests.fakes.kubernetes_api import FakeKubernetes
from tests.fakes.kubernetes_api import KubernetesServer
from tests.fakes.prometheus_api import FakePrometheus

WEIGHT = "nginx.ingress.kubernetes.io/canary-weight"
NS = "/namespaces/shop"


class World:
    def __init__(self, conn: Any, cluster: FakeKubernetes, prometheus: FakePrometheus) -> None:
        self.cluster, self.prometheus, self.clock = cluster, prometheus, [5_000_000.0]
        self.reporter = RecordingReporter()
        self.deps = engine.Deps(redis=conn, queue=get_queue(conn), platform=platform_for,
                                reporters=lambda _: [self.reporter], now=lambda: self.clock[0])
        self.config = {"api_url": cluster.base_url, "token": cluster.token, "namespace": "shop",
                       "image": "ghcr.io/acme/checkout", "prometheus_url": prometheus.url,
                       "host": "checkout.example.com", "ready_timeout_seconds": 0.2, "poll_seconds": 0.02}

    def seed_stable(self, version: str = "v1") -> None:
        """The app already runs `version`, applied by someone else (kubectl) before the bot took over."""
        [stable] = [o for o in build_manifests("checkout", "ghcr.io/acme/checkout", version, "production",
                                               namespace="shop", host="checkout.example.com")
                    if o["kind"] == "Deployment" and o["metadata"]["name"] == "checkout-stable"]
        self.cluster.seed(stable)

    def run(self, version: str = "v2", stable_version: str = "v1", **config: Any) -> Rollout:
        rollout = Rollout(rollout_id="", app="checkout", environment="production", strategy="canary",
                          version=version, stable_version=stable_version, platform="kubernetes",
                          requested_by="U0DEPLOYER",
                          stages=[Stage(10, 10, 5, Criteria(0.01, 500)), Stage(50, 10, 5, Criteria(0.01, 500)),
                                  Stage(100, 0, 0)],
                          platform_config={**self.config, **config})
        rollout_id = engine.start(rollout, deps=self.deps).rollout_id
        for _ in range(50):
            if not driver.step(self.deps, set_clock=lambda t: self.clock.__setitem__(0, t)):
                break
        final = engine.get(rollout_id, deps=self.deps)
        assert final is not None
        return final

    def weights(self) -> list[str]:
        """The canary Ingress weight each merge patch set, in order."""
        return [c.body["metadata"]["annotations"][WEIGHT] for c in self.cluster.patches("ingresses", "checkout-canary")
                if c.content_type == MERGE]


@pytest.fixture
def world(redis_url: str) -> Any:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    with KubernetesServer() as cluster, FakePrometheus(prometheus_selector("checkout", "shop")) as prometheus:
        world = World(conn, cluster, prometheus)
        world.seed_stable()
        yield world
    conn.close()


def test_a_canary_is_applied_server_side_then_moved_stage_by_stage_then_promoted(world: World) -> None:
    final = world.run()
    assert final.state == SUCCEEDED, final.reason
    applies = [c for c in world.cluster.calls if c.method == "PATCH" and c.content_type == APPLY]
    assert all(c.query == {"fieldManager": "devops-bot", "force": "true"} for c in applies)
    assert [c.path for c in applies] == [
        f"/api/v1{NS}/configmaps/checkout", f"/api/v1{NS}/services/checkout-stable",
        f"/apis/apps/v1{NS}/deployments/checkout-canary", f"/api/v1{NS}/services/checkout-canary",
        f"/apis/networking.k8s.io/v1{NS}/ingresses/checkout-stable",
        f"/apis/networking.k8s.io/v1{NS}/ingresses/checkout-canary",
        f"/apis/autoscaling/v2{NS}/horizontalpodautoscalers/checkout",
        f"/apis/policy/v1{NS}/poddisruptionbudgets/checkout",
        f"/apis/apps/v1{NS}/deployments/checkout-stable"]  # the stable Deployment only when promoting
    assert applies[2].body["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/checkout:v2"
    assert applies[5].body["metadata"]["annotations"][WEIGHT] == "0"  # deployed taking no traffic
    assert world.weights() == ["10", "50", "100", "0"]
    scales = [c.body["spec"]["replicas"] for c in world.cluster.calls if c.path.endswith("/checkout-canary/scale")]
    assert scales == [1, 1, 2]
    stable = world.cluster.get("deployments", "shop", "checkout-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/checkout:v2"
    # force=true: the bot's apply took the fields kubectl had applied
    assert [(m["manager"], m["operation"]) for m in stable["metadata"]["managedFields"]] == [
        ("kubectl", "Apply"), ("devops-bot", "Apply")]
    assert world.cluster.get("deployments", "shop", "checkout-canary") is None
    assert world.cluster.requests()[-1] == f"DELETE /apis/apps/v1{NS}/deployments/checkout-canary"
    ingress = world.cluster.get("ingresses", "shop", "checkout-canary")
    assert ingress["metadata"]["annotations"][WEIGHT] == "0"
    assert {m["manager"] for m in ingress["metadata"]["managedFields"]} == {"devops-bot", "devops-bot-traffic"}
    assert world.prometheus.queries and all(prometheus_selector("checkout", "shop") in q
                                            for q in world.prometheus.queries)


def test_a_bad_canary_is_rolled_back_automatically_and_the_stable_deployment_is_never_touched(world: World) -> None:
    world.prometheus.error_rate = 0.2
    final = world.run()
    assert final.state == ROLLED_BACK
    assert final.reason.startswith("automatic rollback at 10%: error rate 20.00%")
    assert world.weights() == ["10", "0"]
    assert world.cluster.get("deployments", "shop", "checkout-canary") is None
    assert world.cluster.patches("deployments", "checkout-stable") == []


def test_rolling_back_after_a_promotion_puts_the_previous_image_back_on_stable(world: World) -> None:
    assert world.run().state == SUCCEEDED
    outcome = engine.rollback("checkout", "production", "U0APPROVER", deps=world.deps)
    assert outcome.ok and outcome.rollout.state == ROLLED_BACK
    stable = world.cluster.get("deployments", "shop", "checkout-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/checkout:v1"


def test_a_canary_whose_pods_never_get_ready_fails_the_rollout_and_says_why(world: World) -> None:
    world.cluster.unready.add("checkout-canary")
    final = world.run()
    assert final.state == FAILED
    assert "v2 is not ready in Deployment shop/checkout-canary after 0.2s: 0/1 pods ready" in final.reason
    assert "Deployment does not have minimum availability." in final.reason
    assert world.weights() == ["0"]  # the failure handler took any traffic back


def test_a_token_the_api_server_refuses_fails_with_its_answer(world: World) -> None:
    final = world.run(token="wrong")
    assert final.state == FAILED
    assert "Kubernetes refused to read Deployment shop/checkout-stable: 401 Unauthorized" in final.reason


def test_the_platform_config_names_every_missing_key() -> None:
    with pytest.raises(UserError) as caught:
        KubernetesPlatform.from_config({"api_url": "http://127.0.0.1:9", "replicas": 0})
    text = str(caught.value)
    assert "image (" in text and "prometheus_url (" in text and "replicas (" in text


def test_an_apply_without_a_field_manager_or_against_another_applier_is_refused_by_the_fake(world: World) -> None:
    import json
    import urllib.error
    import urllib.request

    def patch(query: str) -> int:
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}}).encode()
        req = urllib.request.Request(f"{world.cluster.base_url}/api/v1{NS}/configmaps/x{query}", data=body,
                                     method="PATCH", headers={"Content-Type": APPLY,
                                                              "Authorization": f"Bearer {world.cluster.token}"})
        try:
            with urllib.request.urlopen(req) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert patch("") == 400
    assert patch("?fieldManager=someone") == 201
    assert patch("?fieldManager=devops-bot") == 409
    assert patch("?fieldManager=devops-bot&force=true") == 200


@pytest.mark.validators
def test_every_object_the_fake_serves_is_in_the_api_servers_shape(world: World) -> None:
    import kubernetes_validate

    from tests.fakes.kubernetes_objects import scale_of

    world.run()
    served = list(world.cluster.objects.values())
    assert {o["kind"] for o in served} == {"ConfigMap", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler",
                                          "PodDisruptionBudget"}
    for obj in [*served, scale_of(world.cluster.get("deployments", "shop", "checkout-stable"))]:
        kubernetes_validate.validate(obj, "1.31.0", strict=True)  # status and managedFields included
        assert obj["metadata"]["resourceVersion"].isdigit() and obj["metadata"]["uid"]


def test_the_deployment_pipeline_runs_a_canary_on_kubernetes_from_its_platform_config(world: World) -> None:
    from bot.engine import run_pipeline
    from bot.registry import StepContext

    own = {k: v for k, v in world.config.items() if k != "namespace"}
    del own["image"]  # the artifact's location is the image
    inputs = {"application_name": "checkout", "target_environment": "production", "deployment_strategy": "canary",
              "artifact_source": {"type": "container_registry", "location": "ghcr.io/acme/checkout", "version": "v2"},
              "platform_config": {"type": "kubernetes", "namespace": "shop", "kubernetes": own},
              "stable_version": "v1", "requested_by": "U0DEPLOYER", "repository": "acme/checkout",
              "rollout_settings": {"canary_stages": [{"percentage": 20, "duration": 10}, {"percentage": 100}],
                                   "manual_approval_points": [], "analysis_interval": 5}}
    run = run_pipeline("deployment", inputs, StepContext(open_tree=lambda _: None, run_id="k8spipe1",
                                                          extras={"rollout_deps": world.deps}))
    assert run.status == "succeeded", [(s.name, s.status) for s in run.steps]
    assert run.outputs["deployment_report"]["status"] == "in_progress"
    [rule] = run.outputs["operational_handoff"]["alert_configurations"]["groups"][0]["rules"]
    assert prometheus_selector("checkout", "shop") in rule["expr"]  # the alert watches this app's canary pods
    for _ in range(20):
        if not driver.step(world.deps, set_clock=lambda t: world.clock.__setitem__(0, t)):
            break
    final = engine.get("k8spipe1", deps=world.deps)
    assert final.state == SUCCEEDED, final.reason
    assert world.weights() == ["20", "100", "0"]
    # where GitHub Deployments would record it: the Ingress host is the environment's address
    assert final.github == {"repository": "acme/checkout", "environment_url": "https://checkout.example.com"}
    stable = world.cluster.get("deployments", "shop", "checkout-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/checkout:v2"


@pytest.mark.parametrize("how", ["kubeconfig", "token_file"])
def test_the_cluster_is_reached_through_a_kubeconfig_or_a_token_file(world: World, tmp_path: Any, how: str) -> None:
    import json

    if how == "kubeconfig":
        kubeconfig = tmp_path / "config"
        kubeconfig.write_text(json.dumps({  # JSON is YAML
            "apiVersion": "v1", "kind": "Config", "current-context": "other",
            "clusters": [{"name": "fake", "cluster": {"server": world.cluster.base_url}}],
            "users": [{"name": "bot", "user": {"token": world.cluster.token}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "bot", "namespace": "shop"}},
                         {"name": "other", "context": {"cluster": "fake", "user": "nobody"}}]}), encoding="utf-8")
        reach = {"api_url": "", "token": "", "kubeconfig": str(kubeconfig), "context": "fake"}
    else:
        token_file = tmp_path / "token"
        token_file.write_text(world.cluster.token + "\n", encoding="utf-8")
        reach = {"token": "", "token_file": str(token_file)}
    assert world.run(**reach).state == SUCCEEDED


def test_an_unreadable_kubeconfig_says_how_to_name_a_cluster(tmp_path: Any) -> None:
    with pytest.raises(UserError, match="give api_url with token_file, or kubeconfig"):
        KubernetesPlatform.from_config({"image": "i", "prometheus_url": "http://p", "kubeconfig": str(tmp_path / "no")})


def test_a_first_deploy_starts_the_stable_deployment_with_the_stable_version_first(world: World) -> None:
    world.cluster.objects.clear()  # nothing of the app runs yet
    assert world.run().state == SUCCEEDED
    first = [c for c in world.cluster.calls if c.method == "PATCH"][0]
    assert first.path == f"/apis/apps/v1{NS}/deployments/checkout-stable" and first.content_type == APPLY
    assert first.body["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/checkout:v1"


def test_a_first_deploy_with_no_known_stable_version_is_refused_before_anything_is_applied(world: World) -> None:
    world.cluster.objects.clear()
    final = world.run(stable_version="current")
    assert final.state == FAILED
    assert "checkout has no stable Deployment in namespace shop yet" in final.reason
    assert "set stable_version in the apps file" in final.reason
    assert [c for c in world.cluster.calls if c.method == "PATCH" and c.content_type == APPLY] == []
