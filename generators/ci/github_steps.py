"""Neutral steps to GitHub Actions steps; every `uses:` is a SHA pin with its tag as a YAML comment."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from generators.ci.github_setup import TOOLS as SETUP_TOOLS
from generators.ci.github_setup import setup_step
from generators.ci.pins import pin
from generators.ci.yaml_out import shell
from generators.ci.yaml_out import to_commented

Step = dict[str, Any]


def uses(action: str, name: str, with_: dict[str, Any] | None = None, **extra: Any) -> CommentedMap:
    """A pinned action step: `uses: owner/repo@sha # vX.Y.Z`."""
    chosen = pin(action)
    step = CommentedMap()
    step["name"] = name
    for key in ("id", "if"):
        if key in extra:
            step[key] = extra.pop(key)
    step["uses"] = chosen.ref
    step.yaml_add_eol_comment(chosen.tag, "uses")
    if with_:
        step["with"] = to_commented(with_)
    for key, value in extra.items():
        step[key] = value
    return step


def expression(value: Any) -> Any:
    """Neutral env values ({"var": X}, {"secret": X}, {"needs": [job, output]}) as GitHub expressions."""
    if isinstance(value, dict):
        if "var" in value:
            return f"${{{{ vars.{value['var']} }}}}"
        if "secret" in value:
            return f"${{{{ secrets.{value['secret']} }}}}"
        if "needs" in value:
            job, output = value["needs"]
            return f"${{{{ needs.{job}.outputs.{output} }}}}"
    return value


_WHEN = {"always": "${{ !cancelled() }}", "failure": "${{ failure() }}", "success": None}


def _setup(step: Step) -> CommentedMap:
    tool = step["tool"]
    if tool in SETUP_TOOLS:
        return setup_step(step, uses)
    if tool == "uv":
        return uses("astral-sh/setup-uv", "Set up uv",
                    {"enable-cache": True, "cache-dependency-glob": step["cache_dependency"]})
    action = {"python": "actions/setup-python", "node": "actions/setup-node", "go": "actions/setup-go"}[tool]
    with_: dict[str, Any] = {}
    if step.get("version_file"):
        with_[f"{tool}-version-file"] = step["version_file"]
    else:
        with_[f"{tool}-version"] = str(step["version"])
    cache = step.get("cache")
    if cache:
        if tool != "go":
            with_["cache"] = cache["manager"]
        path = cache["dependency_path"]
        with_["cache-dependency-path"] = LiteralScalarString(path + "\n") if "\n" in path else path
    elif tool == "go":
        with_["cache"] = False
    label = {"python": "Python", "node": "Node.js", "go": "Go"}[tool]
    return uses(action, f"Set up {label}", with_)


def _docker_build(step: Step, scope: str) -> list[CommentedMap]:
    return [
        uses("docker/setup-buildx-action", "Set up Docker Buildx"),
        uses(
            "docker/build-push-action",
            "Build image",
            {
                "context": step["context"],
                "file": step["dockerfile"],
                "push": False,
                "load": True,
                "tags": step["image"],
                "cache-from": f"type=gha,scope={scope}",
                "cache-to": f"type=gha,mode=max,scope={scope}",
            },
        ),
    ]


def _docker_publish(step: Step, scope: str) -> list[CommentedMap]:
    image = f"ghcr.io/${{{{ github.repository }}}}/{step['image_name']}"
    return [
        uses("docker/setup-buildx-action", "Set up Docker Buildx"),
        uses("docker/login-action", "Log in to GitHub Container Registry",
             {"registry": "ghcr.io", "username": "${{ github.actor }}", "password": "${{ secrets.GITHUB_TOKEN }}"}),
        uses("docker/metadata-action", "Image metadata", {"images": image, "tags": "type=sha,format=long"}, id="meta"),
        uses(
            "docker/build-push-action",
            "Build and push image",
            {
                "context": step["context"],
                "file": step["dockerfile"],
                "push": True,
                "tags": "${{ steps.meta.outputs.tags }}",
                "labels": "${{ steps.meta.outputs.labels }}",
                "cache-from": f"type=gha,scope={scope}",
            },
        ),
    ]


def _cloud_login(step: Step) -> CommentedMap:
    """OIDC login: the job's id-token is exchanged for short-lived cloud credentials."""
    if step["provider"] == "aws":
        return uses("aws-actions/configure-aws-credentials", "Configure AWS credentials (OIDC)",
                    {"role-to-assume": "${{ vars.AWS_ROLE_ARN }}",
                     "aws-region": step["region"] or "${{ vars.AWS_REGION }}"})
    if step["provider"] == "azure":
        return uses("azure/login", "Log in to Azure (OIDC)", {
            "client-id": "${{ vars.AZURE_CLIENT_ID }}", "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
            "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}"})
    if step["provider"] == "gcp":
        return uses("google-github-actions/auth", "Authenticate to Google Cloud (OIDC)", {
            "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
            "service_account": "${{ vars.GCP_SERVICE_ACCOUNT }}"})
    raise ValueError(f"no OIDC login for provider {step['provider']!r}")


def render_step(step: Step, scope: str) -> list[CommentedMap]:
    """One neutral step as one or more GitHub steps."""
    kind = step["kind"]
    if kind == "checkout":
        return [uses("actions/checkout", "Check out", {"persist-credentials": False})]
    if kind == "setup":
        return [_setup(step)]
    if kind == "cache":
        key_base = f"{step['prefix']}-${{{{ runner.os }}}}-"
        hashed = ", ".join(f"'{path}'" for path in step["hash_files"])
        return [uses("actions/cache", "Cache packages", {
            "path": LiteralScalarString("\n".join(step["paths"]) + "\n"),
            "key": f"{key_base}${{{{ hashFiles({hashed}) }}}}",
            "restore-keys": key_base,
        })]
    if kind == "run":
        out = CommentedMap()
        out["name"] = step["name"]
        condition = _WHEN.get(step.get("when") or "success")
        if condition:
            out["if"] = condition
        if step.get("env"):
            out["env"] = to_commented({key: expression(value) for key, value in step["env"].items()})
        out["run"] = shell(step["command"])
        return [out]
    if kind == "artifact":
        extra: dict[str, Any] = {}
        condition = _WHEN.get(step.get("when") or "success")
        if condition:
            extra["if"] = condition
        return [uses("actions/upload-artifact", f"Upload {step['name']}",
                     {"name": step["name"], "path": step["path"],
                      "if-no-files-found": "warn" if step.get("when") == "always" else "error"}, **extra)]
    if kind == "collect_shards":
        return [uses("actions/download-artifact", "Download the shards' coverage",
                     {"pattern": f"{step['artifact']}-shard-*", "path": step["path"], "merge-multiple": True})]
    if kind == "paths_filter":
        lines = []
        for name in sorted(step["filters"]):
            lines.append(f"{name}:")
            lines += [f"  - '{path}'" for path in step["filters"][name]]
        return [uses("dorny/paths-filter", "Filter changed paths",
                     {"filters": LiteralScalarString("\n".join(lines) + "\n")},
                     id="filter", **{"if": "github.event_name == 'pull_request'"})]
    if kind == "codeql_init":
        return [uses("github/codeql-action/init", "Initialize CodeQL",
                     {"languages": step["language"], "build-mode": step["build_mode"]})]
    if kind == "codeql_analyze":
        return [uses("github/codeql-action/analyze", "Analyze", {"category": step["category"]})]
    if kind == "dependency_review":
        return [uses("actions/dependency-review-action", "Review dependency changes",
                     {"fail-on-severity": step["fail_on_severity"]})]
    if kind == "docker_build":
        return _docker_build(step, scope)
    if kind == "image_scan":
        with_ = {"image-ref": step["image"], "format": "sarif" if step.get("sarif") else "table", "exit-code": "1",
                 "ignore-unfixed": step["ignore_unfixed"], "severity": step["severity"]}
        if step.get("sarif"):
            with_["output"] = step["sarif"]
        return [uses("aquasecurity/trivy-action", "Scan image", with_)]
    if kind == "sarif_upload":
        # Uploaded even when the scan failed, so the findings that failed it show in code scanning.
        return [uses("github/codeql-action/upload-sarif", "Upload scan results",
                     {"sarif_file": step["path"], "category": step["category"]}, **{"if": "${{ !cancelled() }}"})]
    if kind == "docker_publish":
        return _docker_publish(step, scope)
    if kind == "cloud_login":
        return [_cloud_login(step)]
    if kind == "registry_login":
        return [uses("docker/login-action", "Log in to GitHub Container Registry",
                     {"registry": "ghcr.io", "username": "${{ github.actor }}", "password": "${{ secrets.GITHUB_TOKEN }}"})]
    if kind == "k8s_context":
        return [uses("Azure/k8s-set-context", "Set Kubernetes context",
                     {"method": "kubeconfig", "kubeconfig": f"${{{{ secrets.{step['secret']} }}}}"})]
    raise ValueError(f"no GitHub Actions rendering for step kind {kind!r}")
