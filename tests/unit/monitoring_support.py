"""Running the monitoring_setup pipeline in tests, and the real tools that check its files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.engine import run_pipeline
from bot.registry import StepContext
from bot.trees import LocalTree

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "monitoring"
SHOP = ROOT / "tests" / "fixtures" / "repos" / "monitoring-shop"
# Debian 12's promtool is built without kubernetes_sd_configs; scripts/setup unpacks Debian 13's here.
PROMTOOL_SD = ROOT / ".venv" / "tools" / "promtool-sd"
OWN_PREFIXES = ("prometheus/", "alertmanager/", "docs/runbooks/")


def run_monitoring(inputs: dict[str, Any], repository: str = "acme/shop") -> Any:
    """Run pipelines/monitoring_setup.yml on local directories; returns the engine's Run."""
    def open_tree(path: str) -> LocalTree:
        return LocalTree(Path(path).resolve())

    ctx = StepContext(open_tree=open_tree, extras={"repository": repository, "default_branch": "main"})
    return run_pipeline("monitoring_setup", inputs, ctx)


def inventory_inputs() -> dict[str, Any]:
    """The case with a given inventory: Kubernetes services, a static one on a known host, two channels."""
    return YAML(typ="safe").load((GOLDEN / "inventory" / "input.yml").read_text(encoding="utf-8"))


def repository_inputs() -> dict[str, Any]:
    """The case read from the fixture repository."""
    return {"project_path": str(SHOP), "monitoring_stack": "prometheus_grafana",
            "alerting_channels": [{"type": "email", "config": {"to": "ops@example.com"}},
                                  {"type": "sms", "config": {"phone_number": "+447700900123"}}]}


def own_files(run: Any) -> dict[str, str]:
    """The files this pipeline's core writes (not the dashboards, collectors, playbooks or docs)."""
    files = run.outputs["monitoring_package"]["files"]
    return {path: text for path, text in files.items() if path.startswith(OWN_PREFIXES)}


def pull_request_text(run: Any) -> str:
    """Title and body, without the file list (it names the other generators' files too)."""
    text = run.outputs["monitoring_package"]["pull_request"]
    body = text["body"].split("<details>")[0]
    return f"# {text['title']}\n\n{body}"


def write(files: dict[str, str], root: Path) -> Path:
    """Write files under root; return root."""
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def tool(name: str) -> str:
    """A checker on PATH, or skip with the package that provides it."""
    path = shutil.which(name)
    if path is None:
        package = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}[name]
        pytest.skip(f"{name} is not installed (scripts/setup installs Debian's {package})")
    return path


def promtool_for_config(config_text: str) -> str:
    """promtool that can check this config: Debian 13's when it uses kubernetes_sd_configs."""
    if "kubernetes_sd_configs" not in config_text:
        return tool("promtool")
    if not PROMTOOL_SD.is_file():
        pytest.skip("kubernetes_sd_configs needs Debian 13's promtool; scripts/setup puts it in .venv/tools")
    return str(PROMTOOL_SD)


def check(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a checker; the assertion message carries its output."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done
