"""The few files analysis reads: manifests, version files, CI, container files; never the whole tree."""

from __future__ import annotations

from generators.analysis import dotnet
from generators.analysis import golang
from generators.analysis import jvm
from generators.analysis import python
from generators.analysis import rust
from generators.analysis.infra import is_ci_file
from generators.analysis.infra import is_compose
from generators.analysis.infra import is_dockerfile
from generators.analysis.layout import Layout
from generators.analysis.layout import is_project_file
from generators.analysis.layout import is_requirements
from generators.analysis.layout import join

# Read in every project directory (and the root) when present. Lockfiles are not read: presence is enough,
# except yarn.lock, whose header tells yarn classic from berry when nothing else does.
PROJECT_FILES = frozenset({
    "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "tox.ini", ".python-version", "runtime.txt",
    ".tool-versions", "package.json", ".nvmrc", ".node-version", "pnpm-workspace.yaml", "go.mod", "go.work",
    "Procfile", "Cargo.toml", "rust-toolchain.toml", "rust-toolchain", ".java-version", ".sdkmanrc", "global.json",
    "Gemfile", ".ruby-version", "composer.json", "mix.exs", "hugo.toml", "hugo.yaml", "hugo.json", "netlify.toml",
    ".hugo-version",
})
RUBY_FILES = ("config/database.yml",)
MAX_TEST_FILES = 2  # per Python project: enough to see whether tests use pytest or unittest
MAX_CONTAINER_FILES = 20
MAX_FILES = 300


def wanted_files(paths: list[str]) -> list[str]:
    """From the full path list, the small sorted set of files analysis must read."""
    return wanted_in(Layout.from_paths(paths))


def wanted_in(layout: Layout) -> list[str]:
    """`wanted_files` of an already indexed listing."""
    wanted: set[str] = set()
    for directory in sorted(set(layout.projects) | {""}):
        names = layout.names(directory)
        for name in names:
            path = join(directory, name)
            if name in PROJECT_FILES or is_requirements(path):
                wanted.add(path)
            if name == "yarn.lock" and ".yarnrc.yml" not in names:
                wanted.add(path)
        sub = join(directory, "requirements")
        wanted.update(join(sub, name) for name in layout.names(sub) if name.endswith(".txt"))
        languages = layout.projects.get(directory, set())
        if "python" in languages:
            wanted.update(python.test_files(layout, directory)[:MAX_TEST_FILES])
            wanted.update(python.settings_files(layout, directory))
        if "go" in languages:
            wanted.update(golang.main_files(layout, directory))
        if "rust" in languages:
            wanted.update(rust.wanted(layout, directory))
        if "java" in languages:
            wanted.update(jvm.wanted(layout, directory))
        if "dotnet" in languages:
            wanted.update(dotnet.wanted(layout, directory))
        if "elixir" in languages:
            wanted.update(p for p in layout.paths if p.startswith(join(directory, "apps/")) and p.endswith("/mix.exs"))
        if "hugo" in languages and "config.toml" in names:
            wanted.add(join(directory, "config.toml"))
        wanted.update(join(directory, f) for f in RUBY_FILES if "ruby" in languages and layout.has(join(directory, f)))
    containers = [path for path in layout.paths
                  if (is_dockerfile(path) or is_compose(path)) and is_project_file(path)]
    wanted.update(sorted(containers, key=lambda path: (path.count("/"), path))[:MAX_CONTAINER_FILES])
    wanted.update(path for path in layout.paths if is_ci_file(path))
    return sorted(wanted)[:MAX_FILES]
