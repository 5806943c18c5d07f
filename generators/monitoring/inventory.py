"""The infrastructure inventory read from the repository when nobody gave one.

Services come from the project analysis (units that run a server), then from Kubernetes manifests
(workloads, Services, Ingresses, probes, replicas), compose files (built services, published ports,
health checks, images of databases) and Terraform (managed databases, hosts). Every entry keeps the
files it was read from as evidence.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from generators.analysis.known import image_service
from generators.analysis.model import Analysis
from generators.monitoring.inputs import check_references
from generators.monitoring.inputs import normal_kind

MANIFEST_DIRS = re.compile(r"(^|/)(k8s|kubernetes|kube|manifests|deploy|deployment|charts|helm|infra|ops)/")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
# Terraform resource types of managed datastores: (kind, or None when the `engine` attribute says it).
TERRAFORM_DATASTORES = {"aws_db_instance": None, "aws_rds_cluster": None, "aws_elasticache_cluster": None,
                        "aws_elasticache_replication_group": "redis", "aws_msk_cluster": "kafka",
                        "aws_mq_broker": None, "aws_docdb_cluster": "mongodb", "aws_opensearch_domain": "elasticsearch",
                        "google_sql_database_instance": None, "google_redis_instance": "redis",
                        "azurerm_postgresql_flexible_server": "postgresql", "azurerm_mysql_flexible_server": "mysql",
                        "azurerm_redis_cache": "redis"}
TERRAFORM_HOSTS = ("aws_instance", "google_compute_instance", "azurerm_linux_virtual_machine")
_RESOURCE = re.compile(r'^resource\s+"(?P<type>[\w-]+)"\s+"(?P<name>[\w-]+)"\s*\{(?P<body>.*?)^\}', re.M | re.S)
_ENGINE = re.compile(r'^\s*(engine|database_version|engine_type)\s*=\s*"(?P<value>[^"]+)"', re.M)


def is_candidate(path: str) -> bool:
    """Files worth reading: manifests in deployment folders, compose files, Terraform."""
    name = path.rsplit("/", 1)[-1]
    if path.endswith(".tf"):
        return True
    if re.match(r"^(docker-)?compose(\.[\w-]+)?\.ya?ml$", name):
        return True
    return path.endswith((".yaml", ".yml")) and bool(MANIFEST_DIRS.search(path)) and "/templates/" not in path


def discover(analysis: dict[str, Any], contents: dict[str, str], root_name: str = "app") -> dict[str, Any]:
    """The inventory (same shape as inputs.read_inventory) found in the repository; the root unit is `root_name`."""
    found = _Found()
    needs: list[tuple[str, str, str]] = []
    for unit in Analysis.from_dict(analysis).units:
        if unit.is_service:
            name = _dns(unit.name if unit.path else root_name)
            found.service(name, f"{unit.manifest} (a {unit.language} server)", language=unit.language, port=unit.port)
            needs += [(name, normal_kind(kind), unit.manifest) for kind in unit.service_dependencies]
    for path in sorted(contents):
        if path.endswith(".tf"):
            _terraform(path, contents[path], found)
        elif re.match(r"^(docker-)?compose", path.rsplit("/", 1)[-1]):
            _compose(path, _documents(contents[path]), found)
        else:
            _kubernetes(path, _documents(contents[path]), found)
    # Drivers in the code name a kind, not a host: they join the manifests' datastore of that kind if there is one.
    for name, kind, manifest in needs:
        found.depends(name, found.datastore(f"{name}-{kind}", kind, manifest))
    inventory = found.result()
    inventory["notes"] += check_references(inventory)
    return inventory


class _Found:
    """Services, datastores and servers as they are discovered, merged by name."""

    def __init__(self) -> None:
        self.services: dict[str, dict[str, Any]] = {}
        self.datastores: dict[str, dict[str, Any]] = {}
        self.servers: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []
        self.aliases: dict[str, str] = {}            # a datastore's other names -> the name it is kept under
        self.links: list[tuple[str, str]] = []       # (service, environment value) resolved once all is known

    def service(self, name: str, evidence: str, **values: Any) -> dict[str, Any]:
        entry = self.services.setdefault(name, {
            "name": name, "runtime": "static", "language": None, "team": "platform", "port": None,
            "health_path": None, "public": False, "depends_on": [], "replicas": 1, "host": None,
            "serverless": False, "evidence": []})
        for key, value in values.items():
            if value not in (None, False) and (entry[key] in (None, False, 1, "static") or key == "runtime"):
                entry[key] = value
        if evidence not in entry["evidence"]:
            entry["evidence"].append(evidence)
        return entry

    def datastore(self, name: str, kind: str, evidence: str) -> str:
        # One datastore of a kind per repository unless names say otherwise: `orders-postgresql` and the compose
        # service `db` running postgres are the same database.
        same_kind = [store for store in self.datastores.values() if store["kind"] == kind]
        entry = same_kind[0] if same_kind else self.datastores.setdefault(
            name, {"name": name, "kind": kind, "used_by": [], "evidence": []})
        if evidence not in entry["evidence"]:
            entry["evidence"].append(evidence)
        self.aliases[name] = str(entry["name"])
        return str(entry["name"])

    def depends(self, service: str, target: str) -> None:
        entry = self.services[service]
        if target != service and target not in entry["depends_on"]:
            entry["depends_on"].append(target)

    def result(self) -> dict[str, Any]:
        for service, value in self.links:
            _link(self, service, value)
        for store in self.datastores.values():
            store["used_by"] = sorted(s["name"] for s in self.services.values() if store["name"] in s["depends_on"])
        services = []
        for service in sorted(self.services.values(), key=lambda s: s["name"]):
            service["depends_on"] = sorted(d for d in service["depends_on"]
                                           if d in self.services or d in self.datastores)
            services.append(service)
        return {"services": services, "datastores": sorted(self.datastores.values(), key=lambda d: d["name"]),
                "servers": sorted(self.servers.values(), key=lambda s: s["name"]), "source": "repository",
                "notes": list(self.notes)}


def _kubernetes(path: str, documents: list[Any], found: _Found) -> None:
    workloads: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for doc in documents:
        kind = doc.get("kind")
        if kind in WORKLOADS:
            template = ((doc.get("spec") or {}).get("template") or {})
            workloads.append((_dns(str((doc.get("metadata") or {}).get("name", ""))), doc, template))
    for name, doc, template in workloads:
        containers = ((template.get("spec") or {}).get("containers") or [])
        images = [str(c.get("image", "")) for c in containers if isinstance(c, dict)]
        store_kind = next((image_service(image) for image in images if image_service(image)), None)
        if store_kind:
            found.datastore(name, normal_kind(store_kind), path)
            continue
        port, health = _container_port_and_health(containers)
        entry = found.service(name, path, runtime="kubernetes", port=port, health_path=health,
                              replicas=int((doc.get("spec") or {}).get("replicas") or 1))
        entry["runtime"] = "kubernetes"
        found.links += [(name, value) for value in _env_values(containers)]
    for doc in documents:
        _kubernetes_exposure(doc, workloads, found, path)


def _kubernetes_exposure(doc: dict[str, Any], workloads: list[Any], found: _Found, path: str) -> None:
    """A LoadBalancer/NodePort Service or an Ingress backend makes its workload public."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "Service" and spec.get("type") in ("LoadBalancer", "NodePort"):
        selector = spec.get("selector") or {}
        for name, _, template in workloads:
            labels = (template.get("metadata") or {}).get("labels") or {}
            if selector and all(labels.get(k) == v for k, v in selector.items()) and name in found.services:
                found.service(name, path, public=True)
    if kind == "Ingress":
        text = repr(spec)
        for name in re.findall(r"'service': \{'name': '([a-z0-9-]+)'", text) + \
                re.findall(r"'serviceName': '([a-z0-9-]+)'", text):
            target = name if name in found.services else next(
                (w for w, _, _ in workloads if name.startswith(w) and w in found.services), None)
            if target:
                found.service(target, path, public=True)


def _container_port_and_health(containers: list[Any]) -> tuple[int | None, str | None]:
    for container in containers:
        if not isinstance(container, dict):
            continue
        ports = [p.get("containerPort") for p in container.get("ports") or [] if isinstance(p, dict)]
        probe = container.get("readinessProbe") or container.get("livenessProbe") or {}
        health = (probe.get("httpGet") or {}).get("path") if isinstance(probe, dict) else None
        if ports or health:
            port = next((int(p) for p in ports if isinstance(p, int)), None)
            return port, str(health) if health else None
    return None, None


def _env_values(containers: list[Any]) -> list[str]:
    values = []
    for container in containers:
        for env in (container.get("env") or []) if isinstance(container, dict) else []:
            if isinstance(env, dict) and isinstance(env.get("value"), str):
                values.append(env["value"])
    return values


def _link(found: _Found, service: str, value: str) -> None:
    """An environment value naming another service or database host (`http://orders:8080`, `db:5432`)."""
    for host in re.findall(r"(?:^|//|@)([a-z0-9][a-z0-9-]*)(?::\d+|/|$)", value):
        if host in found.services:
            found.depends(service, host)
        elif host in found.aliases:
            found.depends(service, found.aliases[host])


def _compose(path: str, documents: list[Any], found: _Found) -> None:
    services = (documents[0].get("services") if documents else None) or {}
    if not isinstance(services, dict):
        return
    stores = {}
    for name, body in sorted(services.items()):
        kind = image_service(str(body.get("image", ""))) if isinstance(body, dict) else None
        if kind:
            stores[str(name)] = found.datastore(_dns(str(name)), normal_kind(kind), path)
    for name, body in sorted(services.items()):
        if not isinstance(body, dict) or str(name) in stores or "build" not in body:
            continue
        service = _dns(str(name))
        ports = body.get("ports") or []
        health = re.search(r"https?://[^/\s\"']+(/[^\s\"']*)", repr((body.get("healthcheck") or {}).get("test", "")))
        found.service(service, path, runtime="compose", port=_compose_port(ports), public=bool(ports),
                      health_path=health.group(1) if health else None)
        depends = body.get("depends_on") or []
        for dependency in sorted(str(d) for d in depends):
            found.depends(service, stores.get(dependency, _dns(dependency)))


def _compose_port(ports: list[Any]) -> int | None:
    for item in ports:
        text = str(item.get("target", "")) if isinstance(item, dict) else str(item)
        match = re.search(r"(\d+)(?:/\w+)?$", text)
        if match:
            return int(match.group(1))
    return None


def _terraform(path: str, text: str, found: _Found) -> None:
    for match in _RESOURCE.finditer(text):
        kind, name, body = match.group("type"), _dns(match.group("name")), match.group("body")
        if kind in TERRAFORM_DATASTORES:
            engine = TERRAFORM_DATASTORES[kind] or (_ENGINE.search(body).group("value") if _ENGINE.search(body) else "")
            store = normal_kind(re.sub(r"[_\d.]+$", "", engine.lower()).replace("activemq", "rabbitmq"))
            if store:
                found.datastore(name, store, f"{path} ({kind}.{match.group('name')})")
        elif kind in TERRAFORM_HOSTS:
            found.servers.setdefault(name, {"name": name, "address": f"{name}:9100",
                                            "evidence": [f"{path} ({kind}.{match.group('name')})"]})


def _documents(text: str) -> list[dict[str, Any]]:
    try:
        return [doc for doc in YAML(typ="safe", pure=True).load_all(text) if isinstance(doc, dict)]
    except YAMLError:
        return []  # a template or a broken file: the rest of the repository still counts


def _dns(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-")
    return cleaned or "service"
