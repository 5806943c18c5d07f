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
    head = path.rpartition("/")[0]
    # posixpath.dirname, without its cost on every one of 100,000 paths; it alone handles repeated slashes.
    return posixpath.dirname(path) if head.endswith("/") else head


def base(path: str) -> str:
    """Last component of a path."""
    return path.rpartition("/")[2]


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
    return not SKIP_DIRS.isdisjoint(path.split("/")[:-1])


def is_project_file(path: str) -> bool:
    """True when a manifest here may define a unit (not vendored, not test data, not hidden, not too deep)."""
    parts = path.split("/")[:-1]
    if len(parts) > MAX_MANIFEST_DEPTH:
        return False
    return not any(part in SKIP_DIRS or part in DATA_DIRS or part.startswith(".") for part in parts)


def is_requirements(path: str) -> bool:
    """requirements.txt, requirements-dev.txt, requirements/base.txt ..."""
    directory, _, name = path.rpartition("/")
    return _is_requirements(directory, name)


def _is_requirements(directory: str, name: str) -> bool:
    if name.startswith("requirements") and REQUIREMENTS.match(name):
        return True
    return name.endswith(".txt") and directory.rpartition("/")[2] == "requirements"


def manifest_dir(path: str) -> str:
    """The project directory a manifest belongs to (requirements/ folders belong to their parent)."""
    directory = parent(path)
    if base(directory) == "requirements" and not REQUIREMENTS.match(base(path)):
        return parent(directory)
    return directory


def language_of_manifest(path: str) -> str | None:
    """Which language a manifest file declares, if it is one."""
    directory, _, name = path.rpartition("/")
    return _language_of(directory, name)


def _language_of(directory: str, name: str) -> str | None:
    if name in PYTHON_MANIFESTS or _is_requirements(directory, name):
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
    _owners: dict[str, str | None] = field(default_factory=dict)  # directory -> owner of its files
    _hidden: dict[str, bool] = field(default_factory=dict)  # directory -> inside test data or a hidden tree

    @classmethod
    def from_paths(cls, paths: list[str]) -> Layout:
        """Index a full path listing."""
        # Per-directory answers are cached: a 100,000-file tree has only a few thousand directories.
        skipped: dict[str, bool] = {}
        project_dir: dict[str, bool] = {}
        kept = []
        for path in {path.strip("/") for path in paths if path}:
            directory = path.rpartition("/")[0]
            if directory not in skipped:
                skipped[directory] = is_skipped(path)
            if not skipped[directory]:
                kept.append(path)
        kept.sort()
        layout = cls(paths=kept)
        by_dir = layout.by_dir
        for path in kept:
            directory, _, name = path.rpartition("/")
            names = by_dir.get(directory)
            if names is None:
                names = by_dir[directory] = []
            names.append(name)
            language = _language_of(directory, name)
            if language:
                if directory not in project_dir:
                    project_dir[directory] = is_project_file(path)
                if project_dir[directory]:
                    layout.projects.setdefault(manifest_dir(path), set()).add(language)
        # Hugo's older config.toml is only a site when Hugo's directories sit beside it.
        for directory, names in by_dir.items():
            if "config.toml" in names and is_project_file(join(directory, "config.toml")) and any(
                    key == join(directory, name) or key.startswith(join(directory, name) + "/")
                    for name in HUGO_DIRS for key in by_dir):
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
        return self._directory_owner(parent(path))

    def owned(self, directory: str) -> list[str]:
        """Files under `directory` that no nested project directory claims."""
        if self._owned is None:
            self._owned = {}
            owners, owner_of = self._owners, self._directory_owner
            for path in self.paths:  # in path order, so every owned list stays sorted
                folder = path.rpartition("/")[0]
                owner = owners[folder] if folder in owners else owner_of(folder)
                if owner is not None:
                    self._owned.setdefault(owner, []).append(path)
        return self._owned.get(directory, [])

    def _directory_owner(self, directory: str) -> str | None:
        """Owner of the files directly in `directory`, computed once per directory from its parent's answer."""
        owners, hidden = self._owners, self._hidden
        chain = []  # the directory and its ancestors not answered yet, deepest first
        current = directory
        while current not in owners:
            if current == "":
                owners[""], hidden[""] = ("" if "" in self.projects else None), False
                break
            chain.append(current)
            current = current.rpartition("/")[0]
        for current in reversed(chain):
            above, _, name = current.rpartition("/")
            inside_hidden = hidden[above] or name in DATA_DIRS or name.startswith(".")
            hidden[current] = inside_hidden
            owners[current] = None if inside_hidden else current if current in self.projects else owners[above]
        return owners[directory]
