"""The official `kubernetes` client, used the way the rollout platform needs it.

`connect` builds an ApiClient from a rollout's platform config: an API server URL with a bearer token
(or token file), a kubeconfig (and context), or the pod's own service account. `Cluster` wraps the
typed APIs: server-side apply (PATCH, application/apply-patch+yaml, fieldManager, force), JSON merge
patches, reads and deletes, and turns the API server's Status answers into plain errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException
from kubernetes.config.config_exception import ConfigException

from bot.errors import UserError

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
FIELD_MANAGER = "devops-bot"
# Traffic patches are a separate manager: the next apply (force) takes the weight back, visibly.
TRAFFIC_MANAGER = "devops-bot-traffic"
# kind -> (typed API, resource name in its method names)
_APIS: dict[str, tuple[type, str]] = {
    "ConfigMap": (k8s.CoreV1Api, "config_map"), "Service": (k8s.CoreV1Api, "service"),
    "Deployment": (k8s.AppsV1Api, "deployment"), "Ingress": (k8s.NetworkingV1Api, "ingress"),
    "HorizontalPodAutoscaler": (k8s.AutoscalingV2Api, "horizontal_pod_autoscaler"),
    "PodDisruptionBudget": (k8s.PolicyV1Api, "pod_disruption_budget"),
}


def connect(config: dict[str, Any]) -> k8s.ApiClient:
    """An ApiClient for the cluster the config names; UserError says how to name one."""
    if config.get("api_url"):
        configuration = k8s.Configuration(host=str(config["api_url"]).rstrip("/"))
        token = config.get("token") or _read_token(config.get("token_file"))
        if token:
            configuration.api_key = {"authorization": token}
            configuration.api_key_prefix = {"authorization": "Bearer"}
        if config.get("ca_file"):
            configuration.ssl_ca_cert = str(config["ca_file"])
        configuration.verify_ssl = not config.get("insecure_skip_tls_verify", False)
        return k8s.ApiClient(configuration)
    try:
        if config.get("in_cluster"):
            configuration = k8s.Configuration()
            k8s_config.load_incluster_config(client_configuration=configuration)
            return k8s.ApiClient(configuration)
        return k8s_config.new_client_from_config(config_file=config.get("kubeconfig"), context=config.get("context"))
    except (ConfigException, OSError) as error:
        raise UserError(f"the kubernetes platform cannot reach a cluster ({error}); give api_url with token_file, "
                        "or kubeconfig (and context), or in_cluster: true in its platform config") from None


def _read_token(path: Any) -> str | None:
    if not path:
        return None
    try:
        return Path(str(path)).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise UserError(f"the kubernetes token_file {path} cannot be read: {error}") from None


class KubernetesError(RuntimeError):
    """The API server refused a request; the message says what and why."""

    def __init__(self, what: str, error: ApiException) -> None:
        status = _status_of(error)
        self.code = int(error.status or 0)
        self.reason = str(status.get("reason") or error.reason or "")
        super().__init__(f"Kubernetes refused to {what}: {self.code} {self.reason}: "
                         f"{status.get('message') or error.reason}")


def _status_of(error: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


class Cluster:
    """Typed calls on one namespace of one cluster."""

    def __init__(self, api: k8s.ApiClient, namespace: str) -> None:
        self.api = api
        self.namespace = namespace

    def _method(self, kind: str, verb: str) -> Any:
        api_class, resource = _APIS[kind]
        return getattr(api_class(self.api), f"{verb}_namespaced_{resource}")

    def apply(self, obj: dict[str, Any]) -> None:
        """Server-side apply of a whole object, as the bot's field manager (force: the bot owns its fields)."""
        kind, name = obj["kind"], obj["metadata"]["name"]
        try:
            self._method(kind, "patch")(name, self.namespace, obj, field_manager=FIELD_MANAGER, force=True,
                                        _content_type=APPLY)
        except ApiException as error:
            raise KubernetesError(f"apply {kind} {self.namespace}/{name}", error) from None

    def merge_patch(self, kind: str, name: str, patch: dict[str, Any]) -> None:
        """A JSON merge patch of a few fields (an annotation, replicas)."""
        try:
            self._method(kind, "patch")(name, self.namespace, patch, field_manager=TRAFFIC_MANAGER,
                                        _content_type=MERGE)
        except ApiException as error:
            raise KubernetesError(f"patch {kind} {self.namespace}/{name}", error) from None

    def scale(self, name: str, replicas: int) -> None:
        """Set a Deployment's replicas through its scale subresource."""
        try:
            k8s.AppsV1Api(self.api).patch_namespaced_deployment_scale(
                name, self.namespace, {"spec": {"replicas": int(replicas)}}, field_manager=TRAFFIC_MANAGER,
                _content_type=MERGE)
        except ApiException as error:
            raise KubernetesError(f"scale Deployment {self.namespace}/{name}", error) from None

    def deployment_status(self, name: str) -> dict[str, Any] | None:
        """A Deployment's generation, wanted replicas and status as plain data; None when it does not exist."""
        try:
            found = k8s.AppsV1Api(self.api).read_namespaced_deployment(name, self.namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise KubernetesError(f"read Deployment {self.namespace}/{name}", error) from None
        data = self.api.sanitize_for_serialization(found)
        return {"generation": data["metadata"].get("generation", 0), "replicas": data["spec"].get("replicas", 1),
                "status": data.get("status") or {}}

    def delete(self, kind: str, name: str) -> bool:
        """Delete an object; False when it was already gone."""
        try:
            self._method(kind, "delete")(name, self.namespace)
        except ApiException as error:
            if error.status == 404:
                return False
            raise KubernetesError(f"delete {kind} {self.namespace}/{name}", error) from None
        return True
