"""What surrounds the code: existing CI of every platform, Dockerfiles, compose files and their services."""

from __future__ import annotations

import re
from typing import Any

from generators.analysis.known import image_service
from generators.analysis.layout import base
from generators.analysis.layout import is_project_file
from generators.analysis.layout import is_under
from generators.analysis.layout import parent
from generators.analysis.layout import resolve
from generators.analysis.model import Evidence
from generators.analysis.model import Fact
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.record import add_service

CI_FILES = (  # (pattern on the repository-relative path, platform, rule)
    (re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"), "github_actions", "workflow file in .github/workflows"),
    (re.compile(r"^\.gitlab-ci\.ya?ml$"), "gitlab_ci", ".gitlab-ci.yml present"),
    (re.compile(r"^Jenkinsfile$"), "jenkins", "Jenkinsfile present"),
    (re.compile(r"^\.circleci/config\.ya?ml$"), "circleci", ".circleci/config.yml present"),
    (re.compile(r"^azure-pipelines\.ya?ml$"), "azure_devops", "azure-pipelines.yml present"),
    (re.compile(r"^\.travis\.ya?ml$"), "travis", ".travis.yml present"),
    (re.compile(r"^bitbucket-pipelines\.ya?ml$"), "bitbucket", "bitbucket-pipelines.yml present"),
    (re.compile(r"^\.drone\.ya?ml$"), "drone", ".drone.yml present"),
)
DOCKERFILE = re.compile(r"^(Dockerfile|Containerfile)([.-][\w.-]+)?$|^[\w.-]+\.Dockerfile$")
COMPOSE = re.compile(r"^(docker-)?compose(\.[\w-]+)?\.ya?ml$")


CI_DIRS = (".github/", ".circleci/")  # every other CI file sits at the root; checked first, it spares the regexes


def is_ci_file(path: str) -> bool:
    """True for a CI configuration file of any known platform."""
    return _may_be_ci(path) and any(pattern.match(path) for pattern, _, _ in CI_FILES)


def _may_be_ci(path: str) -> bool:
    return "/" not in path or path.startswith(CI_DIRS)


def is_dockerfile(path: str) -> bool:
    """Dockerfile, Dockerfile.prod, api.Dockerfile, Containerfile."""
    name = base(path)
    return ("ockerfile" in name or "ontainerfile" in name) and bool(DOCKERFILE.match(name))


def is_compose(path: str) -> bool:
    """docker-compose.yml, compose.yaml, docker-compose.override.yml ..."""
    name = base(path)
    return "compose" in name and bool(COMPOSE.match(name))


def existing_ci(paths: list[str]) -> list[Fact]:
    """One fact per CI configuration file found, whatever the platform."""
    found = []
    for path in paths:
        if not _may_be_ci(path):
            continue
        for pattern, platform, rule in CI_FILES:
            if pattern.match(path):
                found.append(Fact(unit="", kind="existing_ci", value=platform, evidence=Evidence(file=path, rule=rule)))
    return found


def nearest_unit(units: list[Unit], directory: str) -> list[Unit]:
    """The units whose directory is the deepest one containing `directory`."""
    owners = [unit for unit in units if is_under(directory, unit.path)]
    if not owners:
        return []
    depth = max(len(unit.path) for unit in owners)
    return [unit for unit in owners if len(unit.path) == depth]


def attach_dockerfiles(record: Record, units: list[Unit]) -> None:
    """Give each unit the Dockerfile in (or nearest below) its directory, and the port it EXPOSEs."""
    for path in record.layout.paths:
        if not is_dockerfile(path) or not is_project_file(path):
            continue
        for unit in nearest_unit(units, parent(path)):
            preferred = unit.dockerfile is None or (base(path) == "Dockerfile" and parent(path) == unit.path)
            record.fact(unit.path, "dockerfile", path, path, "Dockerfile present")
            if preferred:
                unit.dockerfile = path
    for unit in units:
        if unit.dockerfile and unit.port is None:
            port = _exposed_port(record.text(unit.dockerfile) or "")
            if port:
                unit.port = port
                record.fact(unit.path, "port", str(port), unit.dockerfile, f"EXPOSE {port} in Dockerfile")


def _exposed_port(text: str) -> int | None:
    match = re.search(r"^\s*EXPOSE\s+(\d+)", text, re.MULTILINE | re.IGNORECASE)
    return int(match.group(1)) if match else None


def attach_compose(record: Record, units: list[Unit]) -> None:
    """Backing services from compose images, attributed to the units the compose services build."""
    for path in record.layout.paths:
        if not is_compose(path) or not is_project_file(path) or path not in record.contents:
            continue
        data = record.yaml(path)
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        backing = {}
        for name, body in sorted(services.items()):
            kind = image_service(str(body.get("image", ""))) if isinstance(body, dict) else None
            if kind:
                backing[str(name)] = kind
        built = _built_units(record, path, services, units)
        for name, (unit, body) in sorted(built.items()):
            depends = body.get("depends_on")
            if isinstance(depends, (list, dict)) and depends:
                for dep in sorted(str(item) for item in depends if str(item) in backing):
                    add_service(record, unit, backing[dep], path,
                                f"compose service {name} depends_on {dep} (image {services[dep].get('image')})")
            else:  # no depends_on: every backing service of the file runs beside the unit
                for dep, kind in sorted(backing.items()):
                    add_service(record, unit, kind, path, f"compose service {dep} runs image {services[dep].get('image')} beside {name}")
            port = _container_port(body.get("ports"))
            if port and unit.port is None:
                unit.port = port
                record.fact(unit.path, "port", str(port), path, f"compose service {name} publishes container port {port}")
        if backing and not built:
            for unit in units:
                if parent(path) == unit.path:
                    for dep, kind in sorted(backing.items()):
                        add_service(record, unit, kind, path, f"compose service {dep} runs image {services[dep].get('image')}")


def _built_units(record: Record, path: str, services: dict, units: list[Unit]) -> dict[str, tuple[Unit, dict]]:
    built = {}
    for name, body in sorted(services.items()):
        if not isinstance(body, dict) or "build" not in body:
            continue
        context = body["build"].get("context", ".") if isinstance(body["build"], dict) else str(body["build"])
        directory = resolve(parent(path), context)
        for unit in units if directory is not None else []:
            if unit.path == directory:
                built[str(name)] = (unit, body)
                break
    return built


def _container_port(ports: Any) -> int | None:
    for item in ports if isinstance(ports, list) else []:
        text = str(item.get("target", "")) if isinstance(item, dict) else str(item)
        match = re.search(r"(\d+)(?:/\w+)?$", text)
        if match:
            return int(match.group(1))
    return None
