"""Jenkins renderer: the neutral design and jobs as a declarative `Jenkinsfile` (laid out by a template)."""

from __future__ import annotations

import re
import shlex
from typing import Any

from bot.templating import render
from generators.ci.assemble import assemble_jobs
from generators.ci.azure_steps import docker_build_command
from generators.ci.azure_steps import trivy_command
from generators.ci.coverage_out import coverage_format
from generators.ci.coverage_out import test_reports
from generators.ci.portable import platform_files
from generators.ci.portable import portable_jobs

CONFIG_PATH = "Jenkinsfile"
ALTERNATE_PATH = "Jenkinsfile.devops-bot"
DOCKER_LABEL = "docker"  # agents that run Docker: image builds, scans, service containers
DEPLOY_LABEL = "deploy"  # agents with kubectl and curl that reach the clusters
PLUGINS = [
    ("workflow-aggregator", "Pipeline, with declarative syntax and the input step"),
    ("docker-workflow", "Docker Pipeline: per-stage docker agents and service containers"),
    ("junit", "JUnit: test results"),
    ("coverage", "Coverage: recordCoverage with the Cobertura parser"),
    ("jobcacher", "Job Cacher: dependency caches keyed on the lockfile"),
    ("lockable-resources", "Lockable Resources: one deploy per environment at a time"),
    ("credentials-binding", "Credentials Binding: registry and kubeconfig credentials"),
    ("github-branch-source", "GitHub Branch Source: multibranch builds of branches and pull requests"),
]
OIDC_PLUGIN = ("oidc-provider", "OpenID Connect Provider: the id-token credentials deploys exchange for cloud roles")


def plugins(logs_in_to_a_cloud: bool) -> list[tuple[str, str]]:
    """The plugins a Jenkinsfile needs: the OpenID Connect Provider only when a deploy logs in to a cloud."""
    return [*PLUGINS, *([OIDC_PLUGIN] if logs_in_to_a_cloud else [])]
TOOLS_IMAGE = "python:3.13-slim"
OIDC_TOKEN = "OIDC_TOKEN"  # the variable an id-token credential is bound to; the clouds' exchanges read it
PIPELINE_TIMEOUT = 120  # minutes; covers a production approval that waits
# Tools installed for the user (pip --user, npm prefix, go install) land here; HOME is under WORKSPACE@tmp.
PATH_LINE = 'export PATH="$HOME/.local/bin:$GOPATH/bin:$PATH"'
WAIT_SCRIPT = (
    "for id in $SERVICE_IDS; do\n"
    "  status=starting\n"
    "  for attempt in $(seq 60); do\n"
    "    status=$(docker inspect --format '{{.State.Health.Status}}' \"$id\")\n"
    "    [ \"$status\" = healthy ] && break\n"
    "    sleep 2\n"
    "  done\n"
    "  [ \"$status\" = healthy ] || { echo \"service container $id is $status\"; exit 1; }\n"
    "done"
)


def _pipx_free(command: str) -> str:
    """Runtime images have pip but not pipx, and a read-only /usr: install tools for the user (HOME is writable)."""
    command = re.sub(r"pipx install ", "python -m pip install --user ", command)
    command = re.sub(r"^corepack enable$", 'corepack enable --install-directory "$HOME/.local/bin"', command,
                     flags=re.MULTILINE)
    return re.sub(r"pipx run --spec (\S+) ", r"python -m pip install --user \1 \&\& ", command)


def _sh(step: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "sh", "label": str(step["name"]), "script": _pipx_free(str(step["command"]).strip("\n"))}


def _identifier(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def oidc_credential(cloud: str, scope: str) -> str:
    """The OpenID Connect Provider plugin's id-token credential of a cloud and scope (oidc-aws-production)."""
    return f"oidc-{cloud}-{scope}"


def credential_id(secret: str, environment: str | None) -> str:
    """The Jenkins credential that holds a secret the neutral steps name (KUBE_CONFIG -> kubeconfig-<env>)."""
    base = "kubeconfig" if secret == "KUBE_CONFIG" else secret.lower().replace("_", "-")
    return f"{base}-{environment}" if environment else base


def _credentials(job: dict[str, Any], body: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every credential the stage binds: kubeconfig file, OIDC id token, secrets its steps read."""
    env_name = job.get("environment")
    bound: dict[str, dict[str, str]] = {}
    for item in body:
        if item["kind"] == "kubeconfig":
            bound["KUBECONFIG"] = {"kind": "file", "id": item["credentials"], "variable": "KUBECONFIG"}
        if item["kind"] == "oidc":
            bound[OIDC_TOKEN] = {"kind": "string", "id": item["credentials"], "variable": OIDC_TOKEN}
    for step in job["steps"]:
        for value in (step.get("env") or {}).values():
            if isinstance(value, dict) and "secret" in value:
                name = _identifier(str(value["secret"]))
                bound.setdefault(name, {"kind": "string", "id": credential_id(str(value["secret"]), env_name),
                                        "variable": name})
    return [bound[name] for name in sorted(bound)]


def _env_value(value: Any, environment: str | None, images: dict[str, str]) -> dict[str, str]:
    """A neutral env value as a literal or a reference to a Jenkins variable (never pasted into a GString)."""
    if isinstance(value, dict):
        if "secret" in value:
            return {"env": _identifier(str(value["secret"]))}  # bound by withCredentials around the stage
        if "var" in value:
            suffix = f"_{environment.upper()}" if environment else ""
            return {"env": _identifier(str(value["var"]) + suffix)}
        if "needs" in value:
            return {"image": images[value["needs"][0]]}
    return {"literal": str(value)}


def _steps(job: dict[str, Any], images: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The job's steps and its post-failure steps, as template items."""
    body: list[dict[str, Any]] = []
    on_failure: list[dict[str, Any]] = []
    env_name = job.get("environment")
    for step in job["steps"]:
        kind = step["kind"]
        if kind == "checkout":
            body.append({"kind": "checkout"})
        elif kind == "run":
            item = _sh(step)
            item["env"] = [(key, _env_value(value, env_name, images)) for key, value in sorted((step.get("env") or {}).items())]
            (on_failure if step.get("when") == "failure" else body).append(item)
        elif kind == "artifact" and step.get("shard_coverage"):
            # Stashes outlive the stage's agent; the coverage gate stage unstashes every shard's.
            folder = job.get("working_directory")
            path = str(step["path"])
            body.append({"kind": "stash", "name": str(step["name"]),
                         "includes": f"{path[len(folder) + 1:] if folder else path}/**"})
        elif kind == "collect_shards":
            body += [{"kind": "unstash", "name": f"{step['artifact']}-{index}"} for index in range(1, step["shards"] + 1)]
        elif kind == "artifact" and not str(step["name"]).startswith("junit-"):
            body.append({"kind": "archive", "pattern": f"{step['path']}/**"})
        elif kind == "docker_build":
            body.append({"kind": "sh", "label": "Build image", "env": [], "script": docker_build_command(step)})
        elif kind == "image_scan":
            body.append({"kind": "sh", "label": "Scan image", "env": [], "script": trivy_command(step)})
        elif kind == "docker_publish":
            body.append({"kind": "publish", "script": _publish_script(step)})
        elif kind == "k8s_context":
            body.append({"kind": "kubeconfig", "credentials": f"kubeconfig-{env_name}"})
        elif kind == "cloud_login":
            # Jenkins has no OIDC issuer of its own: the OpenID Connect Provider plugin's id-token credential
            # is exchanged by every later step (exports do not outlive one `sh`).
            body.append({"kind": "oidc", "credentials": oidc_credential(step["provider"], str(env_name)),
                         "exchange": str(step.get("exchange") or ""), "variables": list(step.get("variables") or []),
                         "region": step.get("region")})
        elif kind == "registry_login":
            body.append({"kind": "registry_login"})
        elif kind in ("setup", "cache", "paths_filter", "sarif_upload", "codeql_init", "codeql_analyze",
                      "dependency_review", "artifact"):
            continue  # runtimes come from the agent image; caches, reports and change detection are Jenkins' own
        elif "command" in step:
            body.append(_sh(step) | {"env": []})
        else:
            raise ValueError(f"no Jenkins rendering for step kind {kind!r}")
    oidc = next((item for item in body if item["kind"] == "oidc"), None)
    if oidc:
        for item in [*body, *on_failure]:
            if item["kind"] == "sh" and item.get("label") != "Smoke test":
                item["script"] = f"{oidc['exchange']}\n{item['script']}" if oidc["exchange"] else item["script"]
                names = {key for key, _ in item["env"]}
                item["env"] = item["env"] + [(name, _env_value({"var": name}, env_name, images))
                                             for name in oidc["variables"] if name not in names]
                if oidc["region"] and "AWS_REGION" not in names:
                    item["env"].append(("AWS_REGION", {"literal": str(oidc["region"])}))
    return body, on_failure


def _publish_script(step: dict[str, Any]) -> str:
    image = f'"$CONTAINER_REGISTRY"/{shlex.quote(str(step["image_name"]))}:"$IMAGE_TAG"'
    return "\n".join([
        f"image={image}",
        'printf \'%s\' "$REGISTRY_PASSWORD" | docker login "$CONTAINER_REGISTRY" --username "$REGISTRY_USER" '
        "--password-stdin",
        f'docker build --file {shlex.quote(step["dockerfile"])} --tag "$image" {shlex.quote(step["context"])}',
        'docker push "$image"',
        'docker logout "$CONTAINER_REGISTRY"',
    ])


def _cache_files(job: dict[str, Any]) -> list[str]:
    files: list[str] = []
    for step in job["steps"]:
        if step["kind"] == "setup":
            files += str((step.get("cache") or {}).get("dependency_path") or step.get("cache_dependency") or "").split("\n")
        if step["kind"] == "cache":
            files += step["hash_files"]
    return sorted({file for file in files if file})


def _stage(job: dict[str, Any], design: dict[str, Any], images: dict[str, str]) -> dict[str, Any]:
    unit = next((u for u in design["units"] if u["name"] == job["unit"]), None)
    junit = coverage = None
    if job["stage"] == "test" and not job.get("coverage_gate"):
        job, junit, coverage = test_reports(job)
    if job.get("coverage_gate"):
        coverage = job["coverage_report"]
    body, on_failure = _steps(job, images)
    needs_docker = any(item["kind"] in ("publish",) or "docker " in item.get("script", "") for item in body)
    services = [{"image": c["image"], "args": _service_args(c)} for c in job.get("services") or []]
    stage: dict[str, Any] = {
        "name": job["name"],
        "timeout": job["timeout_minutes"],
        "changesets": [],
        "default_branch_only": job["stage"] in ("publish", "deploy"),
        "image": None,
        "label": None,
        "services": services,
        "unit_env": False,
        "cache_files": [],
        "dir": job.get("working_directory") or None,
        "steps": body,
        "junit": junit,
        "coverage": coverage,
        "coverage_parser": coverage_format(coverage).upper() if coverage else None,
        "on_failure": on_failure,
        "input": None,
        "lock": None,
        "credentials": _credentials(job, body),
        "branches": _branches(job, design),
        "tag_commit": job["stage"] in ("publish", "deploy"),
    }
    if job["stage"] == "deploy":
        # The image tag is the commit: checking out sets IMAGE_TAG for the deploy commands.
        stage["steps"] = [{"kind": "checkout"}, *body]
        stage["label"] = DEPLOY_LABEL
        stage["lock"] = f"deploy-{job['environment']}"
        if job.get("approval") or job["environment"] == "production":
            stage["input"] = {"message": f"Deploy to {job['environment']}?", "ok": "Deploy"}
    elif not needs_docker:
        # Repository-wide tools without a unit (semgrep) are Python packages.
        stage["image"] = (unit["runtime"].get("image") if unit else TOOLS_IMAGE) or TOOLS_IMAGE
        stage["unit_env"] = True
        for item in body:
            if item["kind"] == "sh":
                item["script"] = f"{PATH_LINE}\n{item['script']}"
        stage["cache_files"] = _cache_files(job)
        if services:
            stage["label"] = DOCKER_LABEL
    else:
        stage["label"] = DOCKER_LABEL
    if unit is not None and design["path_filters"] and job["stage"] != "publish":
        stage["changesets"] = list(unit["paths"])
    return stage


def _branches(job: dict[str, Any], design: dict[str, Any]) -> list[str]:
    """The branches whose builds run a publish or deploy stage."""
    when = job.get("when") or {}
    if when.get("push_to_branches"):
        return [str(branch) for branch in when["push_to_branches"]]
    if when.get("push_to_branch"):
        return [str(when["push_to_branch"])]
    return [design["default_branch"]]


def _service_args(container: dict[str, Any]) -> str:
    env = " ".join(f"--env {key}={value}" for key, value in sorted(container["env"].items()))
    health = (f"--health-cmd '{container['health_cmd']}' --health-interval 5s --health-timeout 5s "
              "--health-retries 20")
    return f"{env} {health}".strip()


def _shard_stages(job: dict[str, Any], design: dict[str, Any], images: dict[str, str]) -> list[dict[str, Any]]:
    """A split test job as one parallel stage per shard, each told its shard and stashing its coverage data."""
    total = int(job["shards"])
    stages = []
    for index in range(1, total + 1):
        stage = _stage({**job, "name": f"{job['name']} {index}/{total}"}, design, images)
        for item in stage["steps"]:
            if item["kind"] == "sh":
                item["env"] = [*item["env"], ("SHARD_INDEX", {"literal": str(index)}),
                               ("SHARD_TOTAL", {"literal": str(total)})]
            if item["kind"] == "stash":
                item["name"] = f"{item['name']}-{index}"
        stages.append(stage)
    return stages


def render_jenkinsfile(design: dict[str, Any], jobs: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The Jenkinsfile's text, and the GitHub-only jobs left out."""
    jobs, dropped = portable_jobs(jobs)
    images = {job["id"]: f"{step['image_name']}" for job in jobs for step in job["steps"]
              if step["kind"] == "docker_publish"}
    checks = []
    for job in jobs:
        if job["stage"] not in ("publish", "deploy") and not job.get("coverage_gate"):
            checks += _shard_stages(job, design, images) if job.get("shards") else [_stage(job, design, images)]
    gates = [_stage(job, design, images) for job in jobs if job.get("coverage_gate")]
    publish = [_stage(job, design, images) for job in jobs if job["stage"] == "publish"]
    deploys = [_stage(job, design, images) for job in jobs if job["stage"] == "deploy"]
    text = render(
        "ci/jenkins/Jenkinsfile.j2",
        default_branch=design["default_branch"],
        timeout=PIPELINE_TIMEOUT,
        protects_deploys=bool(deploys),
        checks=checks,
        gates=gates,
        plugins=[name for name, _ in plugins(any(step["kind"] == "cloud_login" for job in jobs for step in job["steps"]))],
        wait_script=WAIT_SCRIPT,
        publish=publish,
        deploys=deploys,
    )
    return text, dropped


def jenkins_files(
    design: dict[str, Any],
    build: dict[str, Any],
    test: dict[str, Any],
    security: dict[str, Any] | None,
    deployment: dict[str, Any] | None,
) -> dict[str, Any]:
    """{"files", "jobs", "variables", "secrets", "notes"} for Jenkins."""
    jobs = assemble_jobs(design, build, test, security, deployment)
    text, dropped = render_jenkinsfile(design, jobs)
    notes = [f"{name} runs on GitHub Actions only and is left out of the Jenkinsfile" for name in dropped]
    return platform_files(design, security, {design["workflow_path"]: text}, portable_jobs(jobs)[0], notes)
