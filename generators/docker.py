"""Multi-stage Dockerfile and .dockerignore for service units that have no Dockerfile of their own."""

from __future__ import annotations

import json
from typing import Any

from generators.analysis.model import Unit
from generators.ci import toolchains as tc
from generators.dockerfiles import dockerfile_lines

UV_VERSION = "0.13.9"
DEFAULT_PORTS = {"python": 8000, "node": 3000, "go": 8080}
DOCKERIGNORE = [".git", ".github", "**/__pycache__", "**/*.pyc", ".venv", "node_modules", "dist", "build",
                "coverage", "test-results", ".env", "*.log", "Dockerfile", ".dockerignore"]
# Build output of the other toolchains; kept out of the context so the image build starts clean.
DOCKERIGNORE_EXTRA = {"rust": ["target"], "java": ["target", "**/build", ".gradle"], "dotnet": ["**/bin", "**/obj"],
                      "ruby": ["vendor/bundle", "log", "tmp"], "php": ["vendor"], "elixir": ["_build", "deps"]}


def _cmd(words: list[str]) -> str:
    return json.dumps(words)


def _python_start(unit: Unit, port: int) -> tuple[list[str], str]:
    start = unit.extras.get("start_command")
    if isinstance(start, str) and start:
        return start.split(), f"the start command comes from {unit.extras.get('start_command_source', 'the analysis')}"
    frameworks = set(unit.frameworks)
    if "django" in frameworks:
        words = ["python", "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload"]
    elif "fastapi" in frameworks:
        words = ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", str(port)]
    elif "flask" in frameworks:
        words = ["flask", "run", "--host", "0.0.0.0", "--port", str(port)]
    else:
        words = ["python", "-m", "app"]
    return words, "the start command was guessed from the framework; check CMD before merging"


def _python(unit: Unit, version: str, port: int) -> tuple[str, str]:
    image = f"python:{version}-slim"
    manager = unit.package_manager
    lines = [f"FROM {image} AS build", "WORKDIR /app", "ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1"]
    if manager == "uv":
        lines += [f"RUN pip install --no-cache-dir uv=={UV_VERSION}", "COPY pyproject.toml uv.lock ./",
                  "RUN uv sync --locked --no-dev --no-install-project", "COPY . .",
                  "RUN uv sync --locked --no-dev"]
    elif manager == "poetry":
        lines += [f"RUN pip install --no-cache-dir poetry=={unit.package_manager_version or tc.POETRY}",
                  "ENV POETRY_VIRTUALENVS_IN_PROJECT=true", "COPY pyproject.toml poetry.lock ./",
                  "RUN poetry install --only main --no-root --no-interaction", "COPY . .",
                  "RUN poetry install --only main --no-interaction"]
    else:
        files = _requirements(unit)
        lines += ["RUN python -m venv /app/.venv"]
        if files:
            lines += [f"COPY {' '.join(files)} ./",
                      "RUN /app/.venv/bin/pip install --no-cache-dir " + " ".join(f"-r {f}" for f in files), "COPY . ."]
        else:
            lines += ["COPY . .", "RUN /app/.venv/bin/pip install --no-cache-dir ."]
    words, note = _python_start(unit, port)
    lines += ["", f"FROM {image}", "WORKDIR /app",
              'ENV PATH="/app/.venv/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1',
              "COPY --from=build /app /app", "USER 10001", f"EXPOSE {port}", f"CMD {_cmd(words)}"]
    return "\n".join(lines) + "\n", note


def _requirements(unit: Unit) -> list[str]:
    files = [str(f) for f in unit.extras.get("requirement_files", [])] or ([unit.lockfile] if unit.lockfile else [])
    prefix = f"{unit.path}/" if unit.path else ""
    names = [f[len(prefix):] if prefix and f.startswith(prefix) else f for f in files]
    # Only runtime requirements belong in the image.
    return [name for name in names if "dev" not in name and "test" not in name] or names[:1]


def _node(unit: Unit, version: str, port: int) -> tuple[str, str]:
    image = f"node:{version}-alpine"
    manager = unit.package_manager
    lock = {"npm": "package-lock.json", "pnpm": "pnpm-lock.yaml", "yarn": "yarn.lock"}.get(manager, "package-lock.json")
    install = tc.install_commands(unit)[0]
    lines = [f"FROM {image} AS build", "WORKDIR /app"]
    if manager in ("pnpm", "yarn"):
        lines.append("RUN corepack enable")
    lines += [f"COPY package.json {lock} ./", f"RUN {install}", "COPY . ."]
    if unit.build_script:
        lines.append(f"RUN {manager} run {unit.build_script}")
    if manager == "npm":
        lines.append("RUN npm prune --omit=dev")
    elif manager == "pnpm":
        lines.append("RUN pnpm prune --prod")
    lines += ["", f"FROM {image}", "WORKDIR /app", "ENV NODE_ENV=production",
              "COPY --from=build /app /app", "USER 10001", f"EXPOSE {port}",
              "CMD [\"npm\", \"start\"]"]
    return "\n".join(lines) + "\n", "the container starts the package.json start script"


def _go(unit: Unit, version: str, port: int) -> tuple[str, str]:
    main = str(unit.extras.get("http_main", "") or "")
    prefix = f"{unit.path}/" if unit.path else ""
    package = "./" + (main[len(prefix):] if main.startswith(prefix) else main).rsplit("/", 1)[0] if "/" in main[
        len(prefix):] else "."
    lines = [f"FROM golang:{version} AS build", "WORKDIR /src", "COPY go.mod go.sum ./", "RUN go mod download",
             "COPY . .", f'RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app {package}',
             "", "FROM gcr.io/distroless/static-debian12:nonroot", "COPY --from=build /out/app /app",
             "USER 10001", f"EXPOSE {port}", 'ENTRYPOINT ["/app"]']
    return "\n".join(lines) + "\n", "distroless runtime: no shell, so no HEALTHCHECK; use Kubernetes probes"


def dockerfile(unit: Unit, runtime_version: str) -> tuple[dict[str, str], str]:
    """The unit's Dockerfile and .dockerignore, and a note on what to check before merging."""
    builders: dict[str, Any] = {"python": _python, "node": _node, "go": _go}
    if unit.language in builders:
        text, note = builders[unit.language](unit, runtime_version, unit.port or DEFAULT_PORTS[unit.language])
    else:
        text, note = dockerfile_lines(unit, runtime_version, unit.port)
    prefix = f"{unit.path}/" if unit.path else ""
    header = "# Generated by devops-bot: multi-stage build, non-root runtime.\n"
    ignore = DOCKERIGNORE + [entry for entry in DOCKERIGNORE_EXTRA.get(unit.language, []) if entry not in DOCKERIGNORE]
    return {f"{prefix}Dockerfile": header + text, f"{prefix}.dockerignore": "\n".join(ignore) + "\n"}, note
