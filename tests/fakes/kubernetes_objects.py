"""Objects as the Kubernetes API server returns them: metadata, managedFields, status, Scale and Status.

Shared by the fake API server (tests/fakes/kubernetes_api.py); pure functions over plain dicts.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from tests.fakes.kubernetes_api import FakeKubernetes

# (group, version, plural) -> kind, for the resources the platform touches
KINDS = {("", "v1", "configmaps"): "ConfigMap", ("", "v1", "services"): "Service",
         ("apps", "v1", "deployments"): "Deployment", ("networking.k8s.io", "v1", "ingresses"): "Ingress",
         ("autoscaling", "v2", "horizontalpodautoscalers"): "HorizontalPodAutoscaler",
         ("policy", "v1", "poddisruptionbudgets"): "PodDisruptionBudget"}
KIND_PLURALS = {kind: plural for (_, _, plural), kind in KINDS.items()}


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A metav1.Status as the API server writes one."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Success" if code < 400 else "Failure", "code": code}
    if code >= 400:
        body.update(message=message, reason=reason)
    if details:
        body["details"] = details
    return body


def now() -> str:
    """The API server's timestamp format."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fields_v1(value: Any) -> Any:
    """FieldsV1 of an applied object: every map key as `f:<key>`."""
    if isinstance(value, dict):
        return {f"f:{key}": fields_v1(item) for key, item in sorted(value.items())}
    return {}


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch (null removes a key)."""
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def status_of(state: FakeKubernetes, obj: dict[str, Any]) -> dict[str, Any] | None:
    """The status the kind reports (a Deployment: ready at once unless listed in `unready`)."""
    kind, meta, spec = obj["kind"], obj["metadata"], obj.get("spec", {})
    if kind == "Deployment":
        wanted = int(spec.get("replicas", 1))
        ready = 0 if meta["name"] in state.unready else wanted
        available = "True" if ready >= wanted else "False"
        stamp = meta["creationTimestamp"]
        return {"observedGeneration": meta["generation"], "replicas": wanted, "updatedReplicas": wanted,
                "readyReplicas": ready, "availableReplicas": ready,
                **({} if ready else {"unavailableReplicas": wanted}),
                "conditions": [
                    {"type": "Available", "status": available, "lastUpdateTime": stamp, "lastTransitionTime": stamp,
                     "reason": "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
                     "message": "Deployment has minimum availability." if ready else
                     "Deployment does not have minimum availability."},
                    {"type": "Progressing", "status": "True", "lastUpdateTime": stamp, "lastTransitionTime": stamp,
                     "reason": "NewReplicaSetAvailable",
                     "message": f'ReplicaSet "{meta["name"]}-5d9c7b8f6d" has successfully progressed.'}]}
    if kind in ("Service", "Ingress"):
        return {"loadBalancer": {}}
    if kind == "HorizontalPodAutoscaler":
        return {"currentReplicas": spec.get("minReplicas", 1), "desiredReplicas": spec.get("minReplicas", 1)}
    if kind == "PodDisruptionBudget":
        return {"observedGeneration": meta["generation"], "currentHealthy": 2, "desiredHealthy": 1,
                "disruptionsAllowed": 1, "expectedPods": 2}
    return None


def store(state: FakeKubernetes, kind: str, api_version: str, namespace: str, name: str,
           current: dict[str, Any] | None, content: dict[str, Any], manager: str, operation: str,
           body: dict[str, Any]) -> dict[str, Any]:
    """Save `content` as the object: new resourceVersion, generation on spec change, managedFields, status."""
    old_meta = (current or {}).get("metadata", {})
    state.resource_version += 1
    generation = int(old_meta.get("generation", 0))
    if current is None or content.get("spec") != current.get("spec"):
        generation += 1
    fields = fields_v1({k: v for k, v in body.items() if k not in ("apiVersion", "kind", "status")})
    managed = [m for m in old_meta.get("managedFields", []) if (m["manager"], m["operation"]) != (manager, operation)]
    managed.append({"manager": manager, "operation": operation, "apiVersion": api_version, "time": now(),
                    "fieldsType": "FieldsV1", "fieldsV1": fields})
    meta = {**content.get("metadata", {}), "name": name, "namespace": namespace,
            "uid": old_meta.get("uid") or str(uuid.uuid4()), "resourceVersion": str(state.resource_version),
            "generation": generation, "creationTimestamp": old_meta.get("creationTimestamp") or now(),
            "managedFields": managed}
    stored = {**content, "apiVersion": api_version, "kind": kind, "metadata": meta}
    if kind == "Service":
        stored["spec"] = {"type": "ClusterIP", "sessionAffinity": "None",
                          "clusterIP": (current or {}).get("spec", {}).get("clusterIP") or "10.96.0.42",
                          **stored.get("spec", {})}
    status = status_of(state, stored)
    if status is not None:
        stored["status"] = status
    state.objects[(KIND_PLURALS[kind], namespace, name)] = stored
    return stored



def scale_of(deployment: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale of a Deployment."""
    meta = deployment["metadata"]
    labels = deployment["spec"]["selector"]["matchLabels"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
            "spec": {"replicas": deployment["spec"].get("replicas", 1)},
            "status": {"replicas": deployment["status"]["replicas"],
                       "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items()))}}
