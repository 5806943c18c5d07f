"""Where things are in a repository: project directories, which files each one owns, path helpers."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from dataclasses import field

# Never project code of the repository itself: dependencies, build output, tool caches.
SKIP_DIRS = frozenset({
    "node_modules", "bower_components", ".venv", "venv", "__pycache__", "dist", "build", "target",
    "vendor", "site-packages", ".tox", ".nox", ".next", ".nuxt", ".git", ".yarn", ".pnpm-store",
})
# Sample and test-data trees carry manifests that are not units of this repository.
DATA_DIRS = frozenset({"fixtures", "__fixtures__", "testdata", "test-fixtures", "examples", "example"})
MAX_MANIFEST_DEPTH = 6  # directories below the root; deeper manifests are test data, not services

PYTHON_MANIFESTS = ("pyproject.toml", "setup.py", "Pipfile")
REQUIREMENTS = re.compile(r"^requirements([-_.][\w.-]+)?\.txt$")
NODE_MANIFEST = "package.json"
GO_MANIFEST = "go.mod"
OTHER_MANIFESTS = {
    "Cargo.toml": "rust", "pom.xml": "java", "build.gradle": "java", "build.gradle.kts": "java",
    "settings.gradle": "java", "settings.gradle.kts": "java", "Gemfile": "ruby", "composer.json": "php",
    "mix.exs": "elixir", "hugo.toml": "hugo", "hugo.yaml": "hugo", "hugo.json": "hugo",
}
DOTNET_SUFFIXES = (".sln", ".slnx", ".csproj", ".fsproj", ".vbproj")
# Build tools whose root project owns nested ones (Cargo/Maven/Gradle/.NET solutions, Elixir umbrellas).
NESTING_LANGUAGES = frozenset({"rust", "java", "dotnet", "elixir"})
HUGO_DIRS = ("archetypes", "layouts", "content")


def parent(path: str) -> str:
    """Directory of a repository-relative path, "" for the root."""
    return posixpath.dirname(path)


def base(path: str) -> str:
    """Last component of a path."""
    return posixpath.basename(path)


def join(directory: str, name: str) -> str:
    """Repository-relative path of `name` inside `directory`."""
    return posixpath.join(directory, name) if directory else name


def resolve(directory: str, relative: str) -> str | None:
    """Normalised repository-relative path of `relative` seen from `directory`; None if it leaves the repository."""
    relative = relative.strip().rstrip("/")
    if not relative or relative.startswith("/"):
        return None
    joined = posixpath.normpath(join(directory, relative))
    if joined == ".":
        return ""
    if joined.startswith("../") or joined == "..":
        return None
    return joined


def is_under(path: str, directory: str) -> bool:
    """True when `path` is `directory` itself or inside it ("" contains everything)."""
    return directory == "" or path == directory or path.startswith(directory + "/")


def is_skipped(path: str) -> bool:
    """True for files inside dependency, build, cache or hidden directories."""
    return any(part in SKIP_DIRS for part in path.split("/")[:-1])


def is_project_file(path: str) -> bool:
    """True when a manifest here may define a unit (not vendored, not test data, not hidden, not too deep)."""
    parts = path.split("/")[:-1]
    if len(parts) > MAX_MANIFEST_DEPTH:
        return False
    return not any(part in SKIP_DIRS or part in DATA_DIRS or part.startswith(".") for part in parts)


def is_requirements(path: str) -> bool:
    """requirements.txt, requirements-dev.txt, requirements/base.txt ..."""
    name = base(path)
    if REQUIREMENTS.match(name):
        return True
    return base(parent(path)) == "requirements" and name.endswith(".txt")


def manifest_dir(path: str) -> str:
    """The project directory a manifest belongs to (requirements/ folders belong to their parent)."""
    directory = parent(path)
    if base(directory) == "requirements" and not REQUIREMENTS.match(base(path)):
        return parent(directory)
    return directory


def language_of_manifest(path: str) -> str | None:
    """Which language a manifest file declares, if it is one."""
    name = base(path)
    if name in PYTHON_MANIFESTS or is_requirements(path):
        return "python"
    if name == NODE_MANIFEST:
        return "node"
    if name == GO_MANIFEST:
        return "go"
    return OTHER_MANIFESTS.get(name) or ("dotnet" if name.endswith(DOTNET_SUFFIXES) else None)


@dataclass
class Layout:
    """Every path, indexed by directory, with the project directories and which of them owns each file."""

    paths: list[str]
    projects: dict[str, set[str]] = field(default_factory=dict)  # directory -> languages with a manifest
    by_dir: dict[str, list[str]] = field(default_factory=dict)  # directory -> file names directly in it
    _owned: dict[str, list[str]] | None = None

    @classmethod
    def from_paths(cls, paths: list[str]) -> Layout:
        """Index a full path listing."""
        kept = sorted({path.strip("/") for path in paths if path and not is_skipped(path)})
        layout = cls(paths=kept)
        for path in kept:
            layout.by_dir.setdefault(parent(path), []).append(base(path))
            language = language_of_manifest(path)
            if language and is_project_file(path):
                layout.projects.setdefault(manifest_dir(path), set()).add(language)
        for path in kept:  # Hugo's older config.toml is only a site when Hugo's directories sit beside it
            directory = parent(path)
            if base(path) == "config.toml" and is_project_file(path) and any(
                    key == join(directory, name) or key.startswith(join(directory, name) + "/")
                    for name in HUGO_DIRS for key in layout.by_dir):
                layout.projects.setdefault(directory, set()).add("hugo")
        return layout

    def owning_project(self, directory: str, language: str) -> str | None:
        """The nearest ancestor directory with a project of the same build tool family, None at the top."""
        current = directory
        while current:
            current = parent(current)
            if language in self.projects.get(current, set()):
                return current
        return None

    def has(self, path: str) -> bool:
        """True when the file exists in the listing."""
        return base(path) in self.by_dir.get(parent(path), ())

    def names(self, directory: str) -> list[str]:
        """File names directly inside a directory."""
        return self.by_dir.get(directory, [])

    def owner(self, path: str) -> str | None:
        """The deepest project directory containing the file; None for test data and hidden trees."""
        if any(part in DATA_DIRS or part.startswith(".") for part in path.split("/")[:-1]):
            return None
        directory = parent(path)
        while True:
            if directory in self.projects:
                return directory
            if directory == "":
                return None
            directory = parent(directory)

    def owned(self, directory: str) -> list[str]:
        """Files under `directory` that no nested project directory claims."""
        if self._owned is None:
            self._owned = {}
            for path in self.paths:
                owner = self.owner(path)
                if owner is not None:
                    self._owned.setdefault(owner, []).append(path)
        return self._owned.get(directory, [])
