"""Neutral steps to Azure Pipelines steps: built-in tasks for toolchains, caches, reports, registries and Azure."""

from __future__ import annotations

import shlex
from typing import Any

from ruamel.yaml.comments import CommentedMap

from generators.ci.portable import GITHUB_ONLY
from generators.ci.yaml_out import shell
from generators.ci.yaml_out import to_commented
from generators.docker import UV_VERSION

Step = dict[str, Any]
TRIVY_IMAGE = "aquasec/trivy:0.58.1"
UV = f"uv=={UV_VERSION}"
REGISTRY_CONNECTION = "container-registry"
# Tasks that install a runtime on a Microsoft-hosted agent, and the input that takes the version.
_TOOL_TASKS = {
    "python": ("UsePythonVersion@0", "versionSpec", "Python"),
    "node": ("NodeTool@0", "versionSpec", "Node.js"),
    "go": ("GoTool@0", "version", "Go"),
    "dotnet": ("UseDotNet@2", "version", ".NET SDK"),
    "ruby": ("UseRubyVersion@0", "versionSpec", "Ruby"),
}
# Toolchains with no installer task on hosted agents: their jobs run in the unit's runtime image.
CONTAINER_TOOLS = {"elixir"}
# Where each package manager keeps downloads; pointed into the pipeline workspace so Cache@2 can save it.
CACHE_ENV = {
    "pip": "PIP_CACHE_DIR", "poetry": "POETRY_CACHE_DIR", "pipenv": "PIPENV_CACHE_DIR", "pdm": "PDM_CACHE_DIR",
    "uv": "UV_CACHE_DIR", "npm": "npm_config_cache", "pnpm": "npm_config_store_dir", "yarn": "YARN_CACHE_FOLDER",
    "bun": "BUN_INSTALL_CACHE_DIR", "go": "GOMODCACHE", "maven": "MAVEN_OPTS", "gradle": "GRADLE_USER_HOME",
    "cargo": "CARGO_HOME", "bundler": "BUNDLE_PATH", "composer": "COMPOSER_CACHE_DIR", "nuget": "NUGET_PACKAGES",
    "mix": "MIX_HOME",
}


def cache_dir(manager: str) -> str:
    """The folder a package manager's cache lives in on the agent."""
    return f"$(Pipeline.Workspace)/.cache/{manager}"


def cache_env(manager: str) -> dict[str, str]:
    """Job variables that point the package manager at the cached folder."""
    name = CACHE_ENV.get(manager)
    if not name:
        return {}
    if name == "MAVEN_OPTS":
        return {name: f"-Dmaven.repo.local={cache_dir(manager)}"}
    return {name: cache_dir(manager)}


def task(name: str, display: str, inputs: dict[str, Any] | None = None, **extra: Any) -> CommentedMap:
    """A task step with its inputs."""
    out = CommentedMap()
    out["task"] = name
    out["displayName"] = display
    for key in ("condition", "env"):
        if key in extra:
            out[key] = to_commented(extra.pop(key))
    if inputs:
        out["inputs"] = to_commented(inputs)
    out.update(extra)
    return out


def script(command: str, display: str, *, env: dict[str, Any] | None = None, condition: str | None = None,
           workdir: str | None = None) -> CommentedMap:
    """A bash script step; multi-line scripts stop at the first failing command."""
    text = command.strip("\n")
    out = CommentedMap()
    out["script"] = shell(f"set -euo pipefail\n{text}" if "\n" in text else text)
    out["displayName"] = display
    if condition:
        out["condition"] = condition
    if workdir:
        out["workingDirectory"] = f"$(System.DefaultWorkingDirectory)/{workdir}"
    if env:
        out["env"] = to_commented(dict(env))
    return out


def macro(value: Any, images: dict[str, str]) -> Any:
    """Neutral env values as Azure macros; a job output that names an image becomes the image reference."""
    if isinstance(value, dict):
        if "var" in value:
            return f"$({value['var']})"
        if "secret" in value:
            return f"$({value['secret']})"
        if "needs" in value:
            return images[value["needs"][0]]
    return value


CONDITIONS = {"always": "succeededOrFailed()", "failure": "failed()", "success": None}


def setup_task(step: Step) -> list[CommentedMap]:
    """The runtime installer for a neutral setup step."""
    tool = step["tool"]
    if tool == "uv":
        return [script(f"python -m pip install --user {UV}\necho \"##vso[task.prependpath]$HOME/.local/bin\"",
                       "Set up uv")]
    version = str(step.get("version") or "")
    if tool in _TOOL_TASKS:
        name, key, label = _TOOL_TASKS[tool]
        wildcard = tool in ("dotnet", "node") and version.count(".") < 2  # "22" or "8.0" means the newest patch
        inputs: dict[str, Any] = {key: f"{version}.x" if wildcard else version}
        if tool == "dotnet":
            inputs = {"packageType": "sdk", **inputs}
        return [task(name, f"Set up {label} {version}", inputs)]
    if tool == "java":
        return [task("JavaToolInstaller@0", f"Set up Java {version}",
                     {"versionSpec": version, "jdkArchitectureOption": "x64", "jdkSourceOption": "PreInstalled"})]
    if tool == "php":
        # Microsoft-hosted Ubuntu images ship PHP with Composer; a version they lack fails here, loudly.
        return [script(f"sudo update-alternatives --set php /usr/bin/php{version}\nphp --version\ncomposer --version",
                       f"Set up PHP {version}")]
    if tool == "hugo":
        return [script('curl -fsSLo "$AGENT_TEMPDIRECTORY/hugo.deb" "https://github.com/gohugoio/hugo/releases/download/'
                       f'v{version}/hugo_extended_{version}_linux-amd64.deb"\nsudo dpkg -i "$AGENT_TEMPDIRECTORY/hugo.deb"',
                       f"Set up Hugo {version}")]
    if tool in CONTAINER_TOOLS:
        return []  # the job runs in the unit's runtime image instead
    if tool == "rust":
        toolchain = version or "stable"
        return [script(f"rustup toolchain install {toolchain} --profile minimal --component clippy,rustfmt\n"
                       f"rustup default {toolchain}", f"Set up Rust {toolchain}")]
    raise ValueError(f"no Azure Pipelines setup for tool {tool!r}")


def cache_task(manager: str, key_files: list[str]) -> CommentedMap:
    """Cache@2 keyed on the lockfile(s); the restore key lets a changed lockfile start from the last cache."""
    key = " | ".join([f'"{manager}"', '"$(Agent.OS)"', *key_files])
    return task("Cache@2", "Cache packages", {
        "key": key, "restoreKeys": f'"{manager}" | "$(Agent.OS)"', "path": cache_dir(manager)})


def render_step(step: Step, *, workdir: str | None, images: dict[str, str],
                cloud: tuple[str, str, str | None] | None) -> list[CommentedMap]:
    """One neutral step as Azure steps (setup and cache steps are rendered by the job, once)."""
    kind = step["kind"]
    condition = CONDITIONS.get(step.get("when") or "success")
    if kind == "checkout":
        out = CommentedMap()
        out["checkout"] = "self"
        out["persistCredentials"] = False
        out["fetchDepth"] = 1
        return [out]
    if kind in ("setup", "cache", "k8s_context", "cloud_login") or kind in GITHUB_ONLY:
        return []  # runtimes and caches are rendered per job; cloud sessions wrap the steps that need them
    if kind == "registry_login":
        return [task("Docker@2", "Log in to the container registry",
                     {"command": "login", "containerRegistry": REGISTRY_CONNECTION})]
    if kind == "run":
        env = {key: macro(value, images) for key, value in (step.get("env") or {}).items()}
        if cloud:
            return [_azure_cli(step["command"], step["name"], cloud, env, condition)]
        return [script(step["command"], step["name"], env=env, condition=condition, workdir=workdir)]
    if kind == "artifact":
        if str(step["name"]).startswith("junit-"):
            return [task("PublishTestResults@2", "Publish test results", {
                "testResultsFormat": "JUnit", "testResultsFiles": step["path"], "failTaskOnMissingResultsFile": True,
                "testRunTitle": step["name"]}, condition="succeededOrFailed()")]
        return [task("PublishPipelineArtifact@1", f"Upload {step['name']}",
                     {"targetPath": step["path"], "artifact": step["name"]}, **({"condition": condition} if condition
                                                                                 else {}))]
    if kind == "collect_shards":
        # Each artifact lands in a folder of its name; the merge commands read the files side by side.
        target = f"$(System.DefaultWorkingDirectory)/{step['path']}"
        return [task("DownloadPipelineArtifact@2", "Download the shards' coverage", {
            "buildType": "current", "itemPattern": f"{step['artifact']}-shard-*/**", "targetPath": target}),
            script(f"find {shlex.quote(step['path'])} -mindepth 2 -type f -exec mv {{}} {shlex.quote(step['path'])}/ \\;",
                   "Gather the shards' coverage")]
    if kind == "docker_build":
        command = docker_build_command(step)
        return [script(command, "Build image", env={"DOCKER_BUILDKIT": "1"})]
    if kind == "image_scan":
        return [script(trivy_command(step), "Scan image")]
    if kind == "docker_publish":
        return [task("Docker@2", "Build and push image", {
            "command": "buildAndPush", "containerRegistry": REGISTRY_CONNECTION, "repository": step["image_name"],
            "Dockerfile": step["dockerfile"], "buildContext": step["context"], "tags": "$(Build.SourceVersion)"})]
    if "command" in step:
        return [script(step["command"], str(step.get("name") or kind), condition=condition, workdir=workdir)]
    raise ValueError(f"no Azure Pipelines rendering for step kind {kind!r}")


def docker_build_command(step: Step) -> str:
    """`docker build` for a neutral docker_build step, every path quoted."""
    return (f"docker build --file {shlex.quote(step['dockerfile'])} --tag {shlex.quote(step['image'])} "
            f"{shlex.quote(step['context'])}")


def trivy_command(step: Step) -> str:
    """Trivy in a container against the locally built image; fails on the configured severities."""
    unfixed = " --ignore-unfixed" if step.get("ignore_unfixed") else ""
    return (f"docker run --rm --volume /var/run/docker.sock:/var/run/docker.sock {TRIVY_IMAGE} image --exit-code 1 "
            f"--severity {shlex.quote(step['severity'])}{unfixed} {shlex.quote(step['image'])}")


def aks_login() -> str:
    """Cluster credentials for kubectl, through the Azure CLI session of the service connection."""
    return ('az aks get-credentials --resource-group "$AKS_RESOURCE_GROUP" --name "$AKS_CLUSTER" '
            "--overwrite-existing\nkubelogin convert-kubeconfig -l azurecli")


# The service connection's federated token (idToken, with addSpnToEnvironment) is exchanged for an AWS role.
AWS_EXCHANGE = ('printf \'%s\' "$idToken" > "$AGENT_TEMPDIRECTORY/aws-web-identity-token"\n'
                'export AWS_WEB_IDENTITY_TOKEN_FILE="$AGENT_TEMPDIRECTORY/aws-web-identity-token"')


def _azure_cli(command: str, name: str, cloud: tuple[str, str, str | None], env: dict[str, Any],
               condition: str | None) -> CommentedMap:
    """A step inside the environment's workload-identity service connection (no stored cloud secret)."""
    provider, connection, region = cloud
    prefix = {"aks": aks_login(), "aws": AWS_EXCHANGE}.get(provider)
    body = "\n".join(part for part in ("set -euo pipefail", prefix, command.strip()) if part)
    extra_env = {"aks": {"AKS_RESOURCE_GROUP": "$(AKS_RESOURCE_GROUP)", "AKS_CLUSTER": "$(AKS_CLUSTER)"},
                 "aws": {"AWS_ROLE_ARN": "$(AWS_ROLE_ARN)", "AWS_REGION": region or "us-east-1"}}.get(provider, {})
    inputs: dict[str, Any] = {"azureSubscription": connection, "scriptType": "bash",
                              "scriptLocation": "inlineScript", "inlineScript": shell(body)}
    if provider == "aws":
        inputs["addSpnToEnvironment"] = True
    extra: dict[str, Any] = {"env": dict(sorted({**extra_env, **env}.items()))}
    if condition:
        extra["condition"] = condition
    return task("AzureCLI@2", name, inputs, **extra)
