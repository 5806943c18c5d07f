"""Deployment stage: one job per environment, bound to it, with smoke test, rollback and no cancellation."""

from __future__ import annotations

from typing import Any

SUPPORTED_PLATFORMS = ["kubernetes"]
ORDER = ["development", "staging", "production"]
ROLLOUT_TIMEOUT = "300s"
SMOKE = (
    'curl --fail --silent --show-error --location --retry 10 --retry-delay 6 --retry-all-errors --max-time 10 '
    '"$HEALTH_URL"'
)


def deployment_name(unit: dict[str, Any]) -> str:
    """The Kubernetes Deployment the unit's image is rolled out to."""
    return "app" if unit["name"] == "root" else unit["name"]


def _publish_id(unit: dict[str, Any]) -> str:
    return f"publish{unit['suffix']}"


def publish_jobs(design: dict[str, Any]) -> list[dict[str, Any]]:
    """Push each service image from the default branch only, after the unit's checks pass."""
    jobs = []
    for unit in design["units"]:
        if not unit["service"]:
            continue
        label = f" ({unit['name']})" if unit["suffix"] else ""
        jobs.append(
            {
                "id": _publish_id(unit),
                "name": f"Publish image{label}",
                "stage": "publish",
                "unit": unit["name"],
                "when": {"changed": unit["name"], "push_to_default": True},
                "needs": [],
                "after": ["lint", "test", "build", "package"],
                "timeout_minutes": 20,
                # Pushing to the registry is the only step that needs packages: write.
                "permissions": {"contents": "read", "packages": "write"},
                "working_directory": None,
                "outputs": ["image"],
                "steps": [
                    {"kind": "checkout"},
                    {"kind": "docker_publish", "context": unit["path"] or ".", "dockerfile": unit["dockerfile"],
                     "image_name": unit["name"]},
                ],
            }
        )
    return jobs


def deployment_stage(design: dict[str, Any], targets: list[dict[str, Any]]) -> dict[str, Any]:
    """Deploy jobs for supported targets; the others are listed as skipped with the reason."""
    services = [unit for unit in design["units"] if unit["service"]]
    result: dict[str, Any] = {"jobs": [], "environments": [], "rollback_procedures": [], "skipped": [],
                              "supported_platforms": SUPPORTED_PLATFORMS}
    if not targets:
        return result
    ordered = sorted(targets, key=lambda t: (ORDER.index(t.get("environment", "production"))
                                            if t.get("environment") in ORDER else len(ORDER), str(t.get("platform"))))
    previous: str | None = None
    seen: set[str] = set()
    for target in ordered:
        env = str(target.get("environment") or "production")
        platform = str(target.get("platform") or "")
        if platform not in SUPPORTED_PLATFORMS:
            result["skipped"].append({"environment": env, "platform": platform,
                                      "reason": f"{platform or 'this platform'} deploys are not generated yet"})
            continue
        if not services:
            result["skipped"].append({"environment": env, "platform": platform,
                                      "reason": "no unit runs as a service, so there is no image to deploy"})
            continue
        if env in seen:
            result["skipped"].append({"environment": env, "platform": platform,
                                      "reason": "one deploy job per environment; the first target was kept"})
            continue
        seen.add(env)
        result["jobs"].append(_kubernetes_job(env, services, previous))
        result["environments"].append(
            {
                "environment": env,
                "platform": platform,
                "region": target.get("region"),
                "secrets": ["KUBE_CONFIG"],
                "variables": ["K8S_NAMESPACE", "HEALTH_URL"],
                "protection": "required reviewers" if env == "production" else "optional",
            }
        )
        result["rollback_procedures"].append(
            {"environment": env, "automatic": "kubectl rollout undo on a failed rollout or smoke test",
             "manual": "kubectl --namespace <namespace> rollout undo deployment/<name>"}
        )
        previous = f"deploy-{env}"
    return result


def _kubernetes_job(env: str, services: list[dict[str, Any]], previous: str | None) -> dict[str, Any]:
    common = {"NAMESPACE": {"var": "K8S_NAMESPACE"}}
    steps: list[dict[str, Any]] = [{"kind": "k8s_context", "secret": "KUBE_CONFIG"}]
    for unit in services:
        steps.append(
            {
                "kind": "run",
                "name": f"Deploy {unit['name']}",
                # "*" sets every container of the Deployment, so container names need not be known.
                "command": 'kubectl --namespace "$NAMESPACE" set image "deployment/$DEPLOYMENT" "*=$IMAGE"\n'
                f'kubectl --namespace "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout={ROLLOUT_TIMEOUT}',
                "env": {**common, "DEPLOYMENT": deployment_name(unit), "IMAGE": {"needs": [_publish_id(unit), "image"]}},
            }
        )
    steps.append({"kind": "run", "name": "Smoke test", "command": SMOKE, "env": {"HEALTH_URL": {"var": "HEALTH_URL"}}})
    undo = "\n".join(
        f'kubectl --namespace "$NAMESPACE" rollout undo deployment/{deployment_name(unit)}' for unit in services
    )
    steps.append({"kind": "run", "name": "Roll back", "command": undo, "env": common, "when": "failure"})
    return {
        "id": f"deploy-{env}",
        "name": f"Deploy to {env}",
        "stage": "deploy",
        "unit": None,
        "when": {"push_to_default": True},
        "needs": [previous] if previous else [],
        "after": ["publish"],
        "timeout_minutes": 30,
        "permissions": {"contents": "read"},
        "working_directory": None,
        "environment": env,
        "concurrency": {"group": f"deploy-{env}", "cancel": False},
        "steps": steps,
    }
