"""A fake Kubernetes API server on 127.0.0.1 (port 0): only the endpoints the kubernetes platform calls.

Objects answer in the API server's shapes: apiVersion and kind, metadata with uid, resourceVersion,
generation, creationTimestamp and managedFields (FieldsV1), and a status for the kinds that have one
(a Deployment reports its replicas ready at once unless the test lists it in `unready`). Errors are
`Status` objects with the server's reasons (NotFound, Unauthorized, Conflict, UnsupportedMediaType,
BadRequest). PATCH takes server-side apply (application/apply-patch+yaml, fieldManager required, a
different applier's object conflicts unless force=true), JSON merge patches and strategic merge patches
of maps. Apply merges into the object (dropping fields by leaving them out is not modelled). Every
request is recorded in order.
"""

from __future__ import annotations

import copy
import datetime
import json
import threading
import uuid
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import Flask
from flask import Response
from flask import request
from ruamel.yaml import YAML
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
# (group, version, plural) -> kind, for the resources the platform touches
KINDS = {("", "v1", "configmaps"): "ConfigMap", ("", "v1", "services"): "Service",
         ("apps", "v1", "deployments"): "Deployment", ("networking.k8s.io", "v1", "ingresses"): "Ingress",
         ("autoscaling", "v2", "horizontalpodautoscalers"): "HorizontalPodAutoscaler",
         ("policy", "v1", "poddisruptionbudgets"): "PodDisruptionBudget"}


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: Any
    status: int = 0

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class FakeKubernetes:
    """The fake's state: objects by (plural, namespace, name), recorded calls, the one accepted token."""

    token: str = "fake-service-account-token"
    base_url: str = ""
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    unready: set[str] = field(default_factory=set)  # Deployment names whose pods never become ready
    resource_version: int = 1000
    lock: threading.RLock = field(default_factory=threading.RLock)

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored object, or None."""
        return self.objects.get((plural, namespace, name))

    def requests(self) -> list[str]:
        """'METHOD /path' of every call so far."""
        return [str(call) for call in self.calls]

    def patches(self, plural: str, name: str | None = None) -> list[Call]:
        """The PATCH calls on one kind of object (of one name when given), in order."""
        return [c for c in self.calls if c.method == "PATCH" and f"/{plural}/" in c.path
                and (name is None or c.path.split(f"/{plural}/", 1)[1].split("/")[0] == name)]


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A metav1.Status as the API server writes one."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Success" if code < 400 else "Failure", "code": code}
    if code >= 400:
        body.update(message=message, reason=reason)
    if details:
        body["details"] = details
    return body


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fields(value: Any) -> Any:
    """FieldsV1 of an applied object: every map key as `f:<key>`."""
    if isinstance(value, dict):
        return {f"f:{key}": _fields(item) for key, item in sorted(value.items())}
    return {}


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch (null removes a key)."""
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _status_of(state: FakeKubernetes, obj: dict[str, Any]) -> dict[str, Any] | None:
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


def create_app(state: FakeKubernetes) -> Flask:
    """The Flask app serving `state`."""
    app = Flask("fake_kubernetes")

    def reply(body: Any, code: int = 200) -> Response:
        return Response(json.dumps(body), status=code, mimetype="application/json")

    def failure(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> Response:
        return reply(status_body(code, reason, message, details), code)

    @app.before_request
    def record_and_authenticate() -> Response | None:
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        raw = request.get_data(as_text=True)
        body = YAML(typ="safe").load(raw) if raw.strip() else None
        with state.lock:
            state.calls.append(Call(request.method, request.path, dict(request.args), content_type, body))
        if request.headers.get("Authorization", "") != f"Bearer {state.token}":
            return failure(401, "Unauthorized", "Unauthorized")
        return None

    @app.after_request
    def remember_status(response: Response) -> Response:
        with state.lock:
            for call in reversed(state.calls):
                if call.path == request.path and not call.status:
                    call.status = response.status_code
                    break
        return response

    def located(group: str, version: str, plural: str) -> str | None:
        return KINDS.get((group, version, plural))

    def handle(group: str, version: str, namespace: str, plural: str, name: str, sub: str | None) -> Response:
        kind = located(group, version, plural)
        details = {"name": name, "group": group, "kind": plural}
        if kind is None or (sub and (plural, sub) != ("deployments", "scale")):
            return failure(404, "NotFound", "the server could not find the requested resource")
        key = (plural, namespace, name)
        with state.lock:
            current = state.objects.get(key)
            if request.method == "GET":
                if current is None:
                    return failure(404, "NotFound", f'{plural}{"." + group if group else ""} "{name}" not found',
                                   details)
                return reply(_scale(current) if sub else current)
            if request.method == "DELETE":
                if current is None:
                    return failure(404, "NotFound", f'{plural}{"." + group if group else ""} "{name}" not found',
                                   details)
                del state.objects[key]
                return reply(status_body(200, "", "", {**details, "uid": current["metadata"]["uid"]}))
            return patch(kind, group, version, plural, namespace, name, sub, current, details)

    def patch(kind: str, group: str, version: str, plural: str, namespace: str, name: str, sub: str | None,
              current: dict[str, Any] | None, details: dict[str, Any]) -> Response:
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        body = state.calls[-1].body
        api_version = f"{group}/{version}" if group else version
        if content_type not in (APPLY, MERGE, STRATEGIC):
            return failure(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                           f"accepted media types include: application/json-patch+json, {MERGE}, {APPLY}, {STRATEGIC}")
        if not isinstance(body, dict):
            return failure(400, "BadRequest", "the body of the request could not be decoded as an object")
        manager = request.args.get("fieldManager", "")
        if content_type == APPLY:
            if sub:
                return failure(415, "UnsupportedMediaType", "apply is not supported on the scale subresource here")
            if not manager:
                return failure(400, "BadRequest", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required '
                                                  'value: is required for apply patch')
            if body.get("apiVersion") != api_version or body.get("kind") != kind or \
                    (body.get("metadata") or {}).get("name") != name:
                return failure(400, "BadRequest", f"the applied object must be {api_version} {kind} {name}")
            appliers = {m["manager"] for m in (current or {}).get("metadata", {}).get("managedFields", [])
                        if m["operation"] == "Apply"}
            if current is not None and appliers - {manager} and request.args.get("force") != "true":
                return failure(409, "Conflict", f"Apply failed with 1 conflict: conflict with "
                               f"\"{sorted(appliers - {manager})[0]}\": .spec", details)
            created = current is None
            content = _merge(current or {}, {k: v for k, v in body.items() if k != "status"})
        else:
            if current is None:
                return failure(404, "NotFound", f'{plural}{"." + group if group else ""} "{name}" not found', details)
            if sub:  # the scale subresource: only spec.replicas may change
                replicas = (body.get("spec") or {}).get("replicas")
                content = _merge(current, {"spec": {"replicas": replicas}}) if replicas is not None else current
            else:
                content = _merge(current, body)
            created = False
        stored = _store(state, kind, api_version, namespace, name, current, content, manager or "unknown",
                        "Apply" if content_type == APPLY else "Update", body)
        return reply(_scale(stored) if sub else stored, 201 if created else 200)

    for prefix in ("/api/<version>", "/apis/<group>/<version>"):
        for suffix in ("", "/<sub>"):
            rule = prefix + "/namespaces/<namespace>/<plural>/<name>" + suffix

            def view(namespace: str, plural: str, name: str, version: str, group: str = "",
                     sub: str | None = None) -> Response:
                return handle(group, version, namespace, plural, name, sub)

            app.add_url_rule(rule, endpoint=rule, view_func=view, methods=["GET", "PATCH", "DELETE"])
    return app


def _store(state: FakeKubernetes, kind: str, api_version: str, namespace: str, name: str,
           current: dict[str, Any] | None, content: dict[str, Any], manager: str, operation: str,
           body: dict[str, Any]) -> dict[str, Any]:
    old_meta = (current or {}).get("metadata", {})
    state.resource_version += 1
    generation = int(old_meta.get("generation", 0))
    if current is None or content.get("spec") != current.get("spec"):
        generation += 1
    fields = _fields({k: v for k, v in body.items() if k not in ("apiVersion", "kind", "status")})
    managed = [m for m in old_meta.get("managedFields", []) if (m["manager"], m["operation"]) != (manager, operation)]
    managed.append({"manager": manager, "operation": operation, "apiVersion": api_version, "time": _now(),
                    "fieldsType": "FieldsV1", "fieldsV1": fields})
    meta = {**content.get("metadata", {}), "name": name, "namespace": namespace,
            "uid": old_meta.get("uid") or str(uuid.uuid4()), "resourceVersion": str(state.resource_version),
            "generation": generation, "creationTimestamp": old_meta.get("creationTimestamp") or _now(),
            "managedFields": managed}
    stored = {**content, "apiVersion": api_version, "kind": kind, "metadata": meta}
    if kind == "Service":
        stored["spec"] = {"type": "ClusterIP", "sessionAffinity": "None",
                          "clusterIP": (current or {}).get("spec", {}).get("clusterIP") or "10.96.0.42",
                          **stored.get("spec", {})}
    status = _status_of(state, stored)
    if status is not None:
        stored["status"] = status
    state.objects[(KIND_PLURALS[kind], namespace, name)] = stored
    return stored


KIND_PLURALS = {kind: plural for (_, _, plural), kind in KINDS.items()}


def _scale(deployment: dict[str, Any]) -> dict[str, Any]:
    meta = deployment["metadata"]
    labels = deployment["spec"]["selector"]["matchLabels"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
            "spec": {"replicas": deployment["spec"].get("replicas", 1)},
            "status": {"replicas": deployment["status"]["replicas"],
                       "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items()))}}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """The fake records calls itself."""


class KubernetesServer:
    """The fake served from a background thread on 127.0.0.1, port chosen by the OS."""

    def __init__(self, state: FakeKubernetes | None = None) -> None:
        self.state = state or FakeKubernetes()
        self.server = make_server("127.0.0.1", 0, create_app(self.state), threaded=True, request_handler=_QuietHandler)
        self.state.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="fake-kubernetes", daemon=True)

    def __enter__(self) -> FakeKubernetes:
        self.thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
