"""Remediation playbooks (restart, scale, clear disk, rotate logs) with dry-run, approval and audit safeguards.

Shell scripts act only on the plan's services; Kubernetes services also get a restart Job pair: a server-side
dry run and the real Job created suspended, so a person must approve (unsuspend) it. The bot never runs either.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.templating import render
from generators.ci.yaml_out import dump
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.package import all_alerts
from generators.monitoring.model import Service
from generators.monitoring.slugs import slug

FOLDER = "playbooks"
MAX_REPLICAS = 20
KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.34.3"  # one minor from the clusters the bot generates (EKS 1.35)
APPROVER_ANNOTATION = "devops-bot.io/approved-by"
REASON_ANNOTATION = "devops-bot.io/reason"
# Which playbook answers which alert (alert names from the generated rules); the runbooks say when to use it.
TRIGGERS = (
    ("ServiceDown", "restart-service.sh SERVICE", ""),
    ("AvailabilityBudgetBurnPage", "restart-service.sh SERVICE", "after ruling out, or rolling back, a deployment"),
    ("ErrorRateAboveSla", "restart-service.sh SERVICE", "after ruling out, or rolling back, a deployment"),
    ("LatencyBudgetBurnPage", "scale-service.sh SERVICE REPLICAS", ""),
    ("LatencyBudgetBurnTicket", "scale-service.sh SERVICE REPLICAS", ""),
    ("MemoryPressure", "scale-service.sh SERVICE REPLICAS", "or restart-service.sh SERVICE for a leak"),
    ("MemoryExhaustionPredicted", "scale-service.sh SERVICE REPLICAS", "or restart-service.sh SERVICE for a leak"),
    ("DiskSpaceLow", "clear-disk.sh [DAYS]", ""),
    ("DiskFillingFast", "clear-disk.sh [DAYS]", "rotate-logs.sh SERVICE first when a service's own logs grow"),
    ("DiskWillFillIn4h", "clear-disk.sh [DAYS]", ""),
)


def _view(service: Service) -> dict[str, Any]:
    """What the templates need about a service; `slug` is safe for paths and resource names."""
    name = slug(service.name)
    restart = {"kubernetes": f"kubectl rollout restart deployment/{name}", "compose": f"docker compose restart {name}",
               "static": f"systemctl restart {name}"}[service.runtime]
    scale = {"kubernetes": f"kubectl scale deployment/{name} --replicas=N",
             "compose": f"docker compose up --scale {name}=N", "static": "add hosts (not scripted)"}[service.runtime]
    return {"name": service.name, "slug": name, "runtime": service.runtime, "restart": restart, "scale": scale}


def _script(template: str, services: list[dict[str, Any]]) -> str:
    line = "services: " + " ".join(s["name"] for s in services)
    return render(f"monitoring/playbooks/{template}", services=services, services_line=line,
                  max_replicas=MAX_REPLICAS)


def _job(name: str, account: str, service: str, dry_run: bool) -> dict[str, Any]:
    args = ["rollout", "restart", f"deployment/{service}"] + (["--dry-run=server"] if dry_run else [])
    annotations = {} if dry_run else {APPROVER_ANNOTATION: "", REASON_ANNOTATION: ""}
    container = {
        "name": "playbook", "image": KUBECTL_IMAGE, "imagePullPolicy": "Always", "args": args,
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "labels": _labels(service), **({"annotations": annotations} if annotations else {})},
        "spec": {
            # The real Job waits suspended for an approver; the dry run may start at once.
            "suspend": not dry_run, "backoffLimit": 0, "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": _labels(service)}, "spec": {
                "serviceAccountName": account, "restartPolicy": "Never", "automountServiceAccountToken": True,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container]}},
        },
    }


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "remediation-playbook", "app.kubernetes.io/instance": service,
            "app.kubernetes.io/managed-by": "devops-bot"}


def restart_job(service: Service) -> list[dict[str, Any]]:
    """ServiceAccount, Role (restart of this one Deployment), RoleBinding, dry-run Job and suspended Job."""
    name = slug(service.name)
    account = slug(f"playbook-restart-{name}")
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": account, "labels": _labels(name)},
            "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": [name],
                       "verbs": ["get", "patch"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": account, "labels": _labels(name)},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
               "subjects": [{"kind": "ServiceAccount", "name": account}]}
    return [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account, "labels": _labels(name)}},
            role, binding, _job(slug(f"{account}-dry-run"), account, name, dry_run=True),
            _job(account, account, name, dry_run=False)]


def triggers(plan: MonitoringPlan) -> list[dict[str, str]]:
    """The generated alerts a playbook answers: alert, runbook link (relative to playbooks/), command, note."""
    alerts = {rule.alert for rule in all_alerts(plan)}
    hosts = any(service.runtime != "kubernetes" for service in plan.services)
    base = quote(plan.runbook_base_url.rstrip("/"), safe=":/#?=&%")
    prefix = base if "://" in base else f"../{base}"
    return [{"alert": name, "link": f"{prefix}/{name}.md", "command": command,
             "note": note if hosts or "rotate-logs" not in note else ""}
            for name, command, note in TRIGGERS if name in alerts]


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """playbooks/: the four scripts, logrotate files for host services, restart Jobs for Kubernetes services, README."""
    services = [_view(s) for s in sorted(plan.services, key=lambda s: s.name)]
    hosts = [s for s in services if s["runtime"] != "kubernetes"]
    files = {
        f"{FOLDER}/restart-service.sh": _script("restart-service.sh.j2", services),
        f"{FOLDER}/scale-service.sh": _script("scale-service.sh.j2", services),
        f"{FOLDER}/clear-disk.sh": _script("clear-disk.sh.j2", hosts),
    }
    if hosts:
        files[f"{FOLDER}/rotate-logs.sh"] = _script("rotate-logs.sh.j2", hosts)
        for service in hosts:
            files[f"{FOLDER}/logrotate/{service['slug']}.conf"] = render("monitoring/playbooks/logrotate.conf.j2",
                                                                          slug=service["slug"])
    jobs = []
    for service in sorted(plan.services, key=lambda s: s.name):
        if service.runtime == "kubernetes":
            path = f"{FOLDER}/kubernetes/restart-{slug(service.name)}.yaml"
            files[path] = "---\n".join(dump(document) for document in restart_job(service))
            jobs.append((service.name, path))
    files[f"{FOLDER}/README.md"] = render("monitoring/playbooks/README.md.j2", services=services, jobs=jobs,
                                          host_services=hosts, max_replicas=MAX_REPLICAS, triggers=triggers(plan))
    return dict(sorted(files.items()))

