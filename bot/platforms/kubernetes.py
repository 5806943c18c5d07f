"""The `kubernetes` platform: canary rollouts on a cluster with ingress-nginx, analysed on Prometheus.

The objects come from bot/platforms/kubernetes_manifests.py (data, never templated) and reach the
cluster by server-side apply as the `devops-bot` field manager. Traffic is the canary Ingress's
`nginx.ingress.kubernetes.io/canary-weight` annotation, changed by a merge patch per stage, with the
canary Deployment scaled to its share first. Promoting applies the new image to the stable Deployment,
waits for it, moves the weight back to 0 and deletes the canary Deployment; rolling back does the last
two (and, after a promotion, re-applies the previous image).

Metrics are the same PromQL as the local platform's, for the pods labelled track="canary" of this app in
this namespace: the cluster's Prometheus should copy the pod labels app.kubernetes.io/name and
app.kubernetes.io/track to `app` and `track` (and the namespace to `namespace`) when it scrapes.

    platform: {type: kubernetes, kubernetes: {namespace: shop, prometheus_url: http://prometheus:9090,
               host: checkout.example.com, api_url: https://…, token_file: /…}}   # or kubeconfig / in_cluster
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.platforms.kubernetes_client import Cluster
from bot.platforms.kubernetes_client import KubernetesError
from bot.platforms.kubernetes_client import connect
from bot.platforms.kubernetes_manifests import build_manifests
from bot.platforms.kubernetes_manifests import k8s_name
from bot.platforms.kubernetes_manifests import weight_patch
from bot.platforms.prometheus import selector
from bot.platforms.prometheus import track_metrics
from bot.rollouts.contract import SUCCEEDED
from bot.rollouts.contract import Rollout

# A transition holds the rollout's lock (120 s) while it waits for pods; stay well inside it.
DEFAULT_READY_TIMEOUT_SECONDS = 90.0
# Values a rollout may carry for the version it replaces that name no image.
UNKNOWN_VERSIONS = {"", "current", "the previous version"}


def prometheus_selector(app: str, namespace: str, track: str = "canary") -> str:
    """The label matchers of one track of an app's pods in Prometheus."""
    return selector(track, app=k8s_name(app), namespace=namespace)


@dataclass
class KubernetesPlatform:
    """contract.Platform on a Kubernetes cluster (see the module docstring for the config)."""

    cluster: Cluster
    image: str
    prometheus_url: str
    host: str | None = None
    replicas: int = 2
    port: int = 8080
    ready_timeout_seconds: float = DEFAULT_READY_TIMEOUT_SECONDS
    poll_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KubernetesPlatform:
        """From a rollout's platform_config; UserError names every missing or bad key."""
        problems = [f"{key} ({why})" for key, why in (("image", "the container image, without the tag"),
                                                      ("prometheus_url", "where the canary's metrics are read"))
                    if not config.get(key)]
        replicas = config.get("replicas", 2)
        if not isinstance(replicas, int) or replicas < 1:
            problems.append("replicas (a whole number of at least 1)")
        if problems:
            raise UserError(f"the kubernetes platform needs {', '.join(problems)} in its platform config")
        namespace = str(config.get("namespace") or "default")
        return cls(Cluster(connect(config), namespace), str(config["image"]), str(config["prometheus_url"]),
                   config.get("host"), replicas, int(config.get("port", 8080)),
                   float(config.get("ready_timeout_seconds", DEFAULT_READY_TIMEOUT_SECONDS)),
                   float(config.get("poll_seconds", 1.0)))

    # --- contract.Platform -----------------------------------------------------------------------------

    def deploy(self, rollout: Rollout) -> None:
        """Apply everything but the stable Deployment (it keeps serving) with the canary at weight 0, then wait.

        On an app's first deploy there is no stable Deployment: it is created with the stable version first,
        because the stable Ingress would otherwise send its share of traffic to a Service with no pods.
        """
        if self.cluster.deployment_status(self._name(rollout, "stable")) is None:
            if rollout.stable_version in UNKNOWN_VERSIONS:
                raise UserError(f"{rollout.app} has no stable Deployment in namespace {self.cluster.namespace} yet, "
                                f"and the version to start it with is not known (stable_version: "
                                f"{rollout.stable_version or 'empty'}); set stable_version in the apps file")
            self._apply_stable(rollout, rollout.stable_version)
        for obj in self._objects(rollout, rollout.version):
            if not _is(obj, "Deployment", "stable"):
                self.cluster.apply(obj)
        self._wait_ready(self._name(rollout, "canary"), rollout.version)

    def set_traffic(self, rollout: Rollout, weight: int) -> dict[str, int]:
        """Scale the canary to its share, then set the canary Ingress's weight."""
        weight = max(0, min(100, int(weight)))
        if weight > 0:
            self.cluster.scale(self._name(rollout, "canary"), self.canary_replicas(weight))
        self.cluster.merge_patch("Ingress", self._name(rollout, "canary"), weight_patch(rollout.app, weight))
        return {"stable": 100 - weight, "canary": weight}

    def metrics(self, rollout: Rollout, window_seconds: float) -> dict[str, float | None]:
        """The canary pods' 5xx ratio and p99 (ms) over the window, from Prometheus."""
        match = prometheus_selector(rollout.app, self.cluster.namespace)
        return track_metrics(self.prometheus_url, match, window_seconds)

    def promote(self, rollout: Rollout) -> None:
        """The new image on the stable Deployment; once it is ready, the canary leaves."""
        self._apply_stable(rollout, rollout.version)
        self._retire_canary(rollout)

    def rollback(self, rollout: Rollout) -> None:
        """All traffic to the stable Deployment and the canary gone; after a promotion, the previous image back."""
        if rollout.state == SUCCEEDED:  # asked after the rollout ended: stable already runs the new version
            if rollout.stable_version in UNKNOWN_VERSIONS:
                raise UserError(f"{rollout.app} cannot go back on kubernetes: the version it replaced is not known "
                                f"(stable_version: {rollout.stable_version or 'empty'}); deploy that version instead")
            self._apply_stable(rollout, rollout.stable_version)
        self._retire_canary(rollout)

    # --- helpers ---------------------------------------------------------------------------------------

    def canary_replicas(self, weight: int) -> int:
        """Pods for the canary's share of the stable replicas (at least one)."""
        return max(1, math.ceil(self.replicas * weight / 100))

    def _apply_stable(self, rollout: Rollout, version: str) -> None:
        [stable] = [o for o in self._objects(rollout, version) if _is(o, "Deployment", "stable")]
        self.cluster.apply(stable)
        self._wait_ready(self._name(rollout, "stable"), version)

    def _retire_canary(self, rollout: Rollout) -> None:
        canary = self._name(rollout, "canary")
        try:
            self.cluster.merge_patch("Ingress", canary, weight_patch(rollout.app, 0))
        except KubernetesError as error:  # no canary Ingress (deploy never got that far): no traffic to take back
            if error.code != 404:
                raise
        self.cluster.delete("Deployment", canary)

    def _objects(self, rollout: Rollout, version: str) -> list[dict[str, Any]]:
        return build_manifests(rollout.app, self.image, version, rollout.environment,
                               namespace=self.cluster.namespace, port=self.port, replicas=self.replicas,
                               canary_weight=0, host=self.host)

    @staticmethod
    def _name(rollout: Rollout, track: str) -> str:
        return f"{k8s_name(rollout.app)}-{track}"

    def _wait_ready(self, name: str, version: str) -> None:
        deadline = time.monotonic() + self.ready_timeout_seconds
        while True:
            found = self.cluster.deployment_status(name)
            if found is None:
                raise RuntimeError(f"Deployment {self.cluster.namespace}/{name} is missing after it was applied")
            status = found["status"]
            ready = int(status.get("readyReplicas") or 0)
            if int(status.get("observedGeneration") or 0) >= found["generation"] and \
                    int(status.get("updatedReplicas") or 0) >= found["replicas"] and ready >= found["replicas"]:
                return
            if time.monotonic() >= deadline:
                why = "; ".join(c.get("message", "") for c in status.get("conditions") or []
                                if c.get("status") != "True") or "no condition says why"
                raise RuntimeError(f"{version} is not ready in Deployment {self.cluster.namespace}/{name} after "
                                   f"{self.ready_timeout_seconds:g}s: {ready}/{found['replicas']} pods ready ({why})")
            self.sleep(self.poll_seconds)


def _is(obj: dict[str, Any], kind: str, track: str) -> bool:
    return obj["kind"] == kind and obj["metadata"]["labels"].get("app.kubernetes.io/track") == track
