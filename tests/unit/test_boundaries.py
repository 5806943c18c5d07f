"""Architecture boundaries: generators stay pure, handlers stay thin, only settings reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", _modules("generators"), ids=lambda p: str(p.relative_to(ROOT)))
def test_generators_never_import_network_queue_or_clock_modules(path: Path) -> None:
    forbidden = {"github", "slack_sdk", "slack_bolt", "redis", "rq", "requests", "urllib3", "socket",
                 "subprocess", "random", "uuid", "time", "os", "flask"}
    used = {_top(name) for name in _imports(path)} & forbidden
    assert not used, f"{path.name} imports {sorted(used)}; generators are pure"
    text = path.read_text(encoding="utf-8")
    clocks = [call for call in (".now(", ".today(", ".utcnow(") if call in text]
    assert not clocks, f"{path.name} reads the clock ({clocks}); take the date as an input"


@pytest.mark.parametrize("path", _modules("handlers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_never_call_github_or_slack_clients(path: Path) -> None:
    forbidden = {"github", "slack_sdk", "requests", "generators", "bot.jobs", "bot.publishers"}
    used = {name for name in _imports(path) if _top(name) in forbidden or name in forbidden}
    assert not used, f"{path.name} imports {sorted(used)}; handlers only verify, parse and enqueue"


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = []
    for folder in ("bot", "handlers", "generators"):
        for path in _modules(folder):
            if path.name == "settings.py":
                continue
            text = path.read_text(encoding="utf-8")
            if "os.environ" in text or "getenv(" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
