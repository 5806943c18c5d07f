"""Neutral jobs as shell blocks for container-based CI platforms (GitLab CI, CircleCI): what both need alike.

The job's image provides the runtime, so `setup` steps reduce to installing extra tools; caches are folders the
package managers are pointed at through their environment variables.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from generators.docker import UV_VERSION

Block = dict[str, Any]  # {"name", "command", "env", "when"}
# Steps that only GitHub can run (CodeQL, dependency review, the paths filter); other platforms replace the job.
GITHUB_ONLY = {"codeql_init", "codeql_analyze", "dependency_review", "paths_filter"}
TOOLS_IMAGE = "python:3.13-slim"  # jobs that belong to no unit and run Python tools (semgrep)
DOCKER_IMAGE = "docker:27.5"
KUBECTL_IMAGE = "alpine/k8s:1.34.11"  # kubectl works with clusters one minor away (EKS 1.35 here)
TRIVY_IMAGE = "aquasec/trivy:0.58.1"
# Where each package manager keeps downloads; pointed at a folder the platform caches.
CACHE_ENV = {
    "pip": ["PIP_CACHE_DIR"], "poetry": ["POETRY_CACHE_DIR", "PIP_CACHE_DIR"], "pipenv": ["PIPENV_CACHE_DIR"],
    "pdm": ["PDM_CACHE_DIR"], "uv": ["UV_CACHE_DIR"], "npm": ["npm_config_cache"], "pnpm": ["npm_config_store_dir"],
    "yarn": ["YARN_CACHE_FOLDER"], "bun": ["BUN_INSTALL_CACHE_DIR"], "go": ["GOMODCACHE", "GOCACHE"],
    "cargo": ["CARGO_HOME"], "composer": ["COMPOSER_CACHE_DIR"], "nuget": ["NUGET_PACKAGES"],
    "gradle": ["GRADLE_USER_HOME"],
}


def cache_env(manager: str, root: str) -> dict[str, str]:
    """Environment that points the manager's caches below `root`, one folder per variable."""
    return {name: f"{root}/{name.lower()}" for name in CACHE_ENV.get(manager, [])}


def cache_folders(manager: str, root: str) -> list[str]:
    """The folders cache_env points at."""
    return sorted(cache_env(manager, root).values())


def key_files(job: dict[str, Any]) -> list[str]:
    """Repository-relative lockfiles the job's dependency cache is keyed on, in the order the steps name them."""
    files: list[str] = []
    for step in job["steps"]:
        if step["kind"] == "setup":
            if step.get("cache"):
                files += str(step["cache"]["dependency_path"]).split("\n")
            if step.get("cache_dependency"):
                files += str(step["cache_dependency"]).split("\n")
        if step["kind"] == "cache":
            files += [str(path) for path in step["hash_files"]]
    return [path for index, path in enumerate(files) if path and path not in files[:index]]


PIPX = "pipx==1.7.1"
_DOCKER_RUN = re.compile(r'^docker run --rm --volume "\$PWD:/src(?::ro)?" --workdir /src (\S+) (.+)$')


def _tool_command(command: str) -> str:
    """pipx is not in runtime images: install it first into the job's throwaway image."""
    if any(line.split()[:1] == ["pipx"] for line in command.split("\n")):
        return f"pip install {PIPX}\n{command}"
    return command


def tool_container(job: dict[str, Any]) -> tuple[str, str] | None:
    """(image, command) when the job only runs one tool image on the checkout: run that image as the job's."""
    commands = [step["command"] for step in job["steps"] if step["kind"] == "run"]
    if len(commands) != 1 or "\n" in commands[0].strip():
        return None
    match = _DOCKER_RUN.match(commands[0].strip())
    if not match:
        return None
    image, args = match.groups()
    binary = image.rsplit("/", 1)[-1].split(":")[0]
    return image, f"{binary} {args.replace('/src', '.')}"


def env_value(value: Any, images: dict[str, str], var: str = "${{{name}}}") -> str:
    """A neutral env value as shell text: variables and secrets are platform variables, job outputs images."""
    if isinstance(value, dict):
        if "var" in value:
            return var.format(name=value["var"])
        if "secret" in value:
            return var.format(name=value["secret"])
        if "needs" in value:
            return images[value["needs"][0]]
    return str(value)


def exports(env: dict[str, Any], images: dict[str, str]) -> str:
    """`export` lines for a step's environment; literals are quoted, references expand."""
    lines = []
    for name, value in sorted(env.items()):
        text = env_value(value, images)
        quoted = f'"{text}"' if isinstance(value, dict) else shlex.quote(text)
        lines.append(f"export {name}={quoted}")
    return "\n".join(lines)


def run_blocks(job: dict[str, Any], images: dict[str, str], kube_config: str,
               logins: dict[str, Any] | None = None) -> list[Block]:
    """The job's steps as shell blocks; container builds and artifacts are left to the platform.

    `logins` holds the platform's `registry` login command and `cloud(step)`, the OIDC login for a cloud_login step.
    """
    blocks: list[Block] = []
    logins = logins or {}
    for step in job["steps"]:
        kind = step["kind"]
        when = step.get("when") or "success"
        if kind == "cloud_login" and "cloud" in logins:
            blocks.append({"name": f"Log in to {step['provider']} (OIDC)", "command": logins["cloud"](step), "env": {},
                           "when": "success"})
            continue
        if kind == "registry_login" and "registry" in logins:
            blocks.append({"name": "Log in to the container registry", "command": logins["registry"], "env": {},
                           "when": "success"})
            continue
        if kind in ("checkout", "cache", "artifact") or kind in GITHUB_ONLY:
            continue
        if kind == "setup":
            if step["tool"] == "uv":
                blocks.append({"name": "Set up uv", "command": f"pip install uv=={UV_VERSION}", "env": {},
                               "when": "success"})
            continue
        if kind == "k8s_context":
            blocks.append({"name": "Set Kubernetes context", "command": kube_config, "env": {}, "when": "success"})
            continue
        if kind == "run" or (kind not in ("docker_build", "image_scan", "docker_publish") and "command" in step):
            blocks.append({"name": str(step.get("name") or kind), "command": _tool_command(step["command"]),
                           "env": dict(step.get("env") or {}), "when": when})
    return blocks


def service_hosts(containers: list[dict[str, Any]], host: str | None) -> list[tuple[str, int]]:
    """(host, port) of each service container; host None means the container's own name."""
    return [(host or container["name"], int(str(container["ports"][0]).split(":")[0])) for container in containers]


def wait_for_services(hosts: list[tuple[str, int]], seconds: int = 60) -> str:
    """A bounded wait until each service accepts connections (the platform has no health checks)."""
    lines = []
    for host, port in hosts:
        lines.append(f"timeout {seconds} bash -c 'until (echo > /dev/tcp/{host}/{port}) 2>/dev/null; do sleep 1; done'"
                     f" || {{ echo '{host}:{port} is not up'; exit 1; }}")
    return "\n".join(lines)


def junit_and_artifacts(job: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """JUnit report paths and other (name, path, when) artifacts of a job, repository-relative."""
    junit: list[str] = []
    others: list[tuple[str, str, str]] = []
    for step in job["steps"]:
        if step["kind"] != "artifact":
            continue
        if str(step["name"]).startswith("junit-"):
            junit.append(str(step["path"]))
        else:
            others.append((str(step["name"]), str(step["path"]), str(step.get("when") or "success")))
    return junit, others


def coverage_regex(language: str, command: str) -> str | None:
    """A regex for the total coverage the test tool prints, for platforms that show it."""
    if "--cov-fail-under" in command or "coverage report" in command:
        return r"/^TOTAL.*\s+(\d+(?:\.\d+)?)%/"
    if language == "node":
        return r"/All files[^|]*\|[^|]*\s+([\d.]+)/"
    if language == "go":
        return r"/total coverage: (\d+(?:\.\d+)?)%/"
    return None


GOCOVER_COBERTURA = "github.com/boumenot/gocover-cobertura@v1.3.0"
NODE_COBERTURA = "coverage/cobertura-coverage.xml"


def with_cobertura(command: str) -> tuple[str, str | None]:
    """The gated test command extended to also write Cobertura XML, and that file (unit-relative), if known."""
    if "--cov-fail-under" in command:
        return f"{command} --cov-report=xml:coverage.xml", "coverage.xml"
    if "--coverageThreshold" in command:
        return f"{command} --coverageReporters=text --coverageReporters=cobertura", NODE_COBERTURA
    if "--coverage.thresholds.lines" in command:
        return f"{command} --coverage.reporter=text --coverage.reporter=cobertura", NODE_COBERTURA
    if "--check-coverage" in command and "c8" in command:
        extended = command.replace("--check-coverage", "--check-coverage --reporter=text --reporter=cobertura", 1)
        return extended, NODE_COBERTURA
    if "--coverage-clover" in command and "phpunit" in command:
        return command.replace("--coverage-clover", "--coverage-cobertura cobertura.xml --coverage-clover", 1), \
            "cobertura.xml"
    if "-coverprofile=coverage.out" in command:
        return f"{command}\ngo run {GOCOVER_COBERTURA} < coverage.out > coverage.xml", "coverage.xml"
    return command, None


def with_coverage_report(job: dict[str, Any]) -> dict[str, Any]:
    """A test job whose test command also writes Cobertura XML; `coverage_report` names it (repository-relative)."""
    if job["stage"] != "test" or job.get("coverage_gate") or job.get("shards"):
        return job  # shards only measure; the coverage gate names the report it writes
    prefix = f"{job['working_directory']}/" if job.get("working_directory") else ""
    steps = []
    coverage: str | None = None
    for step in job["steps"]:
        if step["kind"] == "run" and step.get("name") == "Test":
            command, file = with_cobertura(step["command"])
            step = {**step, "command": command}
            coverage = f"{prefix}{file}" if file else None
        steps.append(step)
    return {**job, "steps": steps, "coverage_report": coverage}


AZURE_CLI_IMAGE = "mcr.microsoft.com/azure-cli:2.67.0"
NODE_TOOLS_IMAGE = "node:22-bookworm"


def deploy_image(job: dict[str, Any]) -> tuple[str, list[str], bool]:
    """Image of a deploy job, lines that add missing tools to it, and whether it needs a Docker daemon."""
    kinds = {step["kind"] for step in job["steps"]}
    commands = "\n".join(str(step.get("command", "")) for step in job["steps"])
    providers = {step.get("provider") for step in job["steps"] if step["kind"] == "cloud_login"}
    docker = "registry_login" in kinds or "docker " in commands
    if "azure" in providers:
        return AZURE_CLI_IMAGE, ["tdnf install -y moby-cli"] if docker else [], docker
    if "npm " in commands or "npx " in commands:
        tools = "jq docker.io" if docker else "jq"
        return NODE_TOOLS_IMAGE, [f"apt-get update && apt-get install -y --no-install-recommends {tools}"], docker
    # alpine/k8s carries kubectl, the AWS CLI, jq and curl; the Docker client is added only when used.
    return KUBECTL_IMAGE, ["apk add --no-cache docker-cli"] if docker else [], docker


def cloud_login(step: dict[str, Any], token: str) -> str:
    """Exchange the platform's OIDC token (read by `token`) for cloud credentials, with the step's own commands."""
    lines = [f'export OIDC_TOKEN="{token}"'] if token else []
    if step.get("region"):
        lines.append(f"export AWS_REGION={shlex.quote(str(step['region']))}")
    lines.append(str(step["exchange"]))
    return "\n".join(lines)


def oidc_audience(job: dict[str, Any]) -> str | None:
    """The audience of the job's cloud login, when it has one."""
    return next((str(step["audience"]) for step in job["steps"] if step["kind"] == "cloud_login"), None)
