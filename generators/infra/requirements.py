"""Application requirements from the input, .devops.yml, or else the project analysis, each with its evidence."""

from __future__ import annotations

import re
from typing import Any

from generators.analysis.model import Analysis
from generators.infra.model import Requirement

DATABASES = {"postgres": "postgres", "mysql": "mysql"}
CACHES = {"redis": "redis"}
QUEUES = {"rabbitmq": "rabbitmq"}
UNSUPPORTED = {"mongodb": "MongoDB has no managed equivalent generated here (DocumentDB differs in features); "
                          "run it yourself or use MongoDB Atlas"}
# Client libraries that mean the code writes to an object store.
OBJECT_STORAGE = re.compile(r"""(?x)(?<![\w-])(
    boto3 | django-storages | s3fs | aioboto3 | google-cloud-storage | minio
  | @aws-sdk/client-s3 | aws-sdk/service/s3 | aws-sdk-go-v2/service/s3 | azure-storage-blob
)(?![\w-])""")
WRITTEN_ORCHESTRATOR = "compute.orchestrator"
# Repository facts that show the application already runs on Kubernetes: containers then default to a cluster.
KUBERNETES_FACTS = {"helm_chart": "a Helm chart", "kubernetes_manifest": "Kubernetes manifests"}
STORAGE_TYPES = {"object": "object_storage", "relational": "database", "cache": "cache", "queue": "queue"}


def from_input(requirements: dict[str, Any], source: str) -> list[Requirement]:
    """Requirements someone wrote down (the pipeline input or .devops.yml): each one's evidence is `source`."""
    found: list[Requirement] = []
    compute = requirements.get("compute") or {}
    if compute.get("type"):
        found.append(Requirement("compute", str(compute["type"]), source, "compute.type"))
    if compute.get("orchestrator"):
        found.append(Requirement("orchestrator", str(compute["orchestrator"]), source, WRITTEN_ORCHESTRATOR))
    storage = requirements.get("storage") or {}
    for kind in storage.get("types") or []:
        text = str(kind)
        if text in DATABASES:
            found.append(Requirement("database", text, source, "storage.types"))
        elif text in CACHES:
            found.append(Requirement("cache", text, source, "storage.types"))
        elif text in QUEUES:
            found.append(Requirement("queue", text, source, "storage.types"))
        elif text in STORAGE_TYPES:
            value = {"object": "s3", "relational": "postgres", "cache": "redis", "queue": "rabbitmq"}[text]
            found.append(Requirement(STORAGE_TYPES[text], value, source, f"storage.types: {text}"))
    networking = requirements.get("networking") or {}
    if "external_access" in networking:
        found.append(Requirement("public_endpoint", "yes" if networking["external_access"] else "no", source,
                                 "networking.external_access"))
    return found


def from_analysis(analysis: Analysis, manifests: dict[str, str]) -> list[Requirement]:
    """What the repository shows: services and ports, backing services from drivers and compose, object storage."""
    found: list[Requirement] = []
    services = [unit for unit in analysis.units if unit.is_service]
    for unit in services:
        kind = next((fact for fact in analysis.facts if fact.unit == unit.path and fact.kind == "kind"), None)
        port = unit.port or 8080
        port_fact = next((fact for fact in analysis.facts if fact.unit == unit.path and fact.kind == "port"), None)
        source = port_fact.evidence.file if port_fact else (kind.evidence.file if kind else unit.manifest)
        found.append(Requirement("service", f"{unit.name}:{port}", source,
                                 port_fact.evidence.rule if port_fact else
                                 f"{kind.evidence.rule if kind else 'service'}; no port found, 8080 assumed"))
    if services:
        found.append(Requirement("compute", "containers", services[0].dockerfile or services[0].manifest,
                                 "long-running service" + (" with a Dockerfile" if services[0].dockerfile else "")))
        found.append(Requirement("public_endpoint", "yes", services[0].manifest,
                                 f"{services[0].name} serves HTTP ({', '.join(services[0].frameworks) or 'server'})"))
    kubernetes = next((fact for fact in analysis.facts if fact.kind in KUBERNETES_FACTS), None)
    if kubernetes:
        found.append(Requirement("orchestrator", "eks", kubernetes.evidence.file,
                                 f"{KUBERNETES_FACTS[kubernetes.kind]} ({kubernetes.evidence.rule}): the application "
                                 "already deploys to Kubernetes"))
    seen: set[tuple[str, str]] = set()
    for fact in analysis.facts:
        if fact.kind != "service_dependency":
            continue
        topic = ("database" if fact.value in DATABASES else "cache" if fact.value in CACHES
                 else "queue" if fact.value in QUEUES else "unsupported")
        if (topic, fact.value) in seen:
            continue
        seen.add((topic, fact.value))
        found.append(Requirement(topic, fact.value, fact.evidence.file, fact.evidence.rule))
    for path, text in sorted(manifests.items()):
        match = OBJECT_STORAGE.search(text)
        if match:
            found.append(Requirement("object_storage", "s3", path, f"object storage client {match.group(1)} in {path}"))
            break
    return found


def merge(explicit: list[Requirement], analysed: list[Requirement]) -> list[Requirement]:
    """Written requirements win per topic; the analysis fills the topics nobody wrote down."""
    written = {item.topic for item in explicit}
    if "database" in written or "cache" in written or "queue" in written or "object_storage" in written:
        written |= {"database", "cache", "queue", "object_storage"}  # storage.types is the whole list
    return explicit + [item for item in analysed if item.topic not in written]


def summarise(requirements: list[Requirement]) -> dict[str, Any]:
    """infrastructure_requirements: the chosen values per topic plus the evidence list."""
    def values(topic: str) -> list[str]:
        return sorted({item.value for item in requirements if item.topic == topic})

    compute = values("compute")
    chosen = compute[0] if compute else "containers"
    # A cluster found in the repository matters to containers only; a written orchestrator is always checked.
    requirements = [item for item in requirements if item.topic != "orchestrator" or chosen == "containers"
                    or item.rule == WRITTEN_ORCHESTRATOR]
    orchestrator = values("orchestrator")
    public = values("public_endpoint")
    services = []
    for item in requirements:
        if item.topic == "service":
            name, _, port = item.value.rpartition(":")
            services.append({"name": name, "port": int(port)})
    return {
        "compute": chosen,
        "orchestrator": orchestrator[0] if orchestrator else None,
        "orchestrator_written": any(item.rule == WRITTEN_ORCHESTRATOR for item in requirements),
        "services": sorted(services, key=lambda service: service["name"]),
        "databases": values("database"),
        "caches": values("cache"),
        "queues": values("queue"),
        "object_storage": bool(values("object_storage")),
        "public": public != ["no"],
        "unsupported": [f"{value}: {UNSUPPORTED.get(value, 'no managed service is generated for it')}"
                        for value in values("unsupported")],
        "evidence": [{"topic": item.topic, "value": item.value, "source": item.source, "rule": item.rule}
                     for item in requirements],
    }


def settle_orchestrator(summary: dict[str, Any], offered: tuple[str, ...]) -> dict[str, Any]:
    """The summary without an orchestrator the repository suggested but the chosen output does not render (EKS for
    a CloudFormation package): the compute type's default applies, and the evidence no longer claims it."""
    if summary["orchestrator"] is None or summary["orchestrator"] in offered:
        return summary
    evidence = [item for item in summary["evidence"] if item["topic"] != "orchestrator"]
    return {**summary, "orchestrator": None, "evidence": evidence}
