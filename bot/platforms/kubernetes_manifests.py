"""Kubernetes manifests for a progressive rollout, built as data (pure: same input, same output).

Stable and canary each get a Deployment and a Service; one Ingress routes to stable and a second,
ingress-nginx canary Ingress carries the canary weight (`nginx.ingress.kubernetes.io/canary-weight`),
which a rollout stage changes by patching that one annotation. Plus a ConfigMap, an HPA and a PDB.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML

DEFAULT_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}


def k8s_name(text: str) -> str:
    """A DNS-1123 label from any text: lowercase letters, digits and dashes, at most 63 characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (name or "app")[:63].rstrip("-")


def build_manifests(app: str, image: str, version: str, environment: str, *, namespace: str = "default",
                    port: int = 8080, replicas: int = 2, canary_weight: int = 0,
                    env: dict[str, str] | None = None, secret_refs: list[str] | None = None,
                    host: str | None = None) -> list[dict[str, Any]]:
    """Every object of the rollout, in apply order."""
    name = k8s_name(app)
    host = host or f"{name}.{k8s_name(environment)}.example.com"
    objects: list[dict[str, Any]] = [_configmap(name, namespace, environment, env or {})]
    for track in ("stable", "canary"):
        objects.append(_deployment(name, namespace, track, image, version, port, replicas, secret_refs or []))
        objects.append(_service(name, namespace, track, port))
    objects.append(_ingress(name, namespace, host, "stable", None))
    objects.append(_ingress(name, namespace, host, "canary", canary_weight))
    objects.append(_hpa(name, namespace, replicas))
    objects.append(_pdb(name, namespace))
    return objects


def weight_patch(app: str, weight: int) -> dict[str, Any]:
    """The merge patch a stage applies to the canary Ingress."""
    return {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/canary-weight": str(int(weight))}}}


def to_yaml(objects: list[dict[str, Any]]) -> str:
    """One multi-document YAML text."""
    yaml = YAML()
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump_all(objects, out)
    return out.getvalue()


def _labels(name: str, track: str | None = None) -> dict[str, str]:
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "devops-bot"}
    if track:
        labels["app.kubernetes.io/track"] = track
    return labels


def _meta(name: str, namespace: str, track: str | None = None) -> dict[str, Any]:
    return {"name": f"{name}-{track}" if track else name, "namespace": namespace, "labels": _labels(name, track)}


def _configmap(name: str, namespace: str, environment: str, env: dict[str, str]) -> dict[str, Any]:
    data = {"ENVIRONMENT": environment, **env}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, namespace),
            "data": {key: str(data[key]) for key in sorted(data)}}


def _deployment(name: str, namespace: str, track: str, image: str, version: str, port: int, replicas: int,
                secret_refs: list[str]) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 5,
             "failureThreshold": 3}
    container: dict[str, Any] = {
        "name": name, "image": f"{image}:{version}", "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": name}}] + [{"secretRef": {"name": s}} for s in sorted(secret_refs)],
        "resources": DEFAULT_RESOURCES,
        "readinessProbe": {**probe, "initialDelaySeconds": 5},
        "livenessProbe": {**probe, "initialDelaySeconds": 30},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(name, namespace, track),
        "spec": {
            # The canary starts at one replica; the stable keeps the HPA's count.
            "replicas": replicas if track == "stable" else 1,
            "selector": {"matchLabels": _labels(name, track)},
            "template": {
                "metadata": {"labels": {**_labels(name, track), "app.kubernetes.io/version": k8s_name(version)}},
                "spec": {"automountServiceAccountToken": False,
                         "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                             "seccompProfile": {"type": "RuntimeDefault"}},
                         "containers": [container]},
            },
        },
    }


def _service(name: str, namespace: str, track: str, port: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, namespace, track),
            "spec": {"selector": _labels(name, track),
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}


def _ingress(name: str, namespace: str, host: str, track: str, weight: int | None) -> dict[str, Any]:
    meta = _meta(name, namespace, track)
    if weight is not None:
        meta["annotations"] = {"nginx.ingress.kubernetes.io/canary": "true",
                               "nginx.ingress.kubernetes.io/canary-weight": str(int(weight))}
    backend = {"service": {"name": f"{name}-{track}", "port": {"name": "http"}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
            "spec": {"ingressClassName": "nginx",
                     "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                                   "backend": backend}]}}]}}


def _hpa(name: str, namespace: str, replicas: int) -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta(name, namespace),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{name}-stable"},
                     "minReplicas": replicas, "maxReplicas": max(replicas * 5, 10),
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": 70}}}]}}


def _pdb(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(name, namespace),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": _labels(name, "stable")}}}
