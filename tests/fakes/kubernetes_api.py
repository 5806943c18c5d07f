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

import json
import threading
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import Flask
from flask import Response
from flask import request
from ruamel.yaml import YAML
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from tests.fakes.kubernetes_objects import KINDS
from tests.fakes.kubernetes_objects import merge_patch
from tests.fakes.kubernetes_objects import scale_of
from tests.fakes.kubernetes_objects import status_body
from tests.fakes.kubernetes_objects import store

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"


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

    def seed(self, obj: dict[str, Any], manager: str = "kubectl") -> None:
        """Store an object as if someone else had applied it before the test."""
        meta = obj["metadata"]
        with self.lock:
            store(self, obj["kind"], obj["apiVersion"], meta["namespace"], meta["name"], None, obj, manager, "Apply",
                   obj)

    def requests(self) -> list[str]:
        """'METHOD /path' of every call so far."""
        return [str(call) for call in self.calls]

    def patches(self, plural: str, name: str | None = None) -> list[Call]:
        """The PATCH calls on one kind of object (of one name when given), in order."""
        return [c for c in self.calls if c.method == "PATCH" and f"/{plural}/" in c.path
                and (name is None or c.path.split(f"/{plural}/", 1)[1].split("/")[0] == name)]


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
                return reply(scale_of(current) if sub else current)
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
            content = merge_patch(current or {}, {k: v for k, v in body.items() if k != "status"})
        else:
            if current is None:
                return failure(404, "NotFound", f'{plural}{"." + group if group else ""} "{name}" not found', details)
            if sub:  # the scale subresource: only spec.replicas may change
                replicas = (body.get("spec") or {}).get("replicas")
                content = merge_patch(current, {"spec": {"replicas": replicas}}) if replicas is not None else current
            else:
                content = merge_patch(current, body)
            created = False
        stored = store(state, kind, api_version, namespace, name, current, content, manager or "unknown",
                        "Apply" if content_type == APPLY else "Update", body)
        return reply(scale_of(stored) if sub else stored, 201 if created else 200)

    for prefix in ("/api/<version>", "/apis/<group>/<version>"):
        for suffix in ("", "/<sub>"):
            rule = prefix + "/namespaces/<namespace>/<plural>/<name>" + suffix

            def view(namespace: str, plural: str, name: str, version: str, group: str = "",
                     sub: str | None = None) -> Response:
                return handle(group, version, namespace, plural, name, sub)

            app.add_url_rule(rule, endpoint=rule, view_func=view, methods=["GET", "PATCH", "DELETE"])
    return app


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
