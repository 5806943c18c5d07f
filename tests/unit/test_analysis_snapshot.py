"""analyze_snapshot on small in-memory repositories: workspaces, precedence, traps, names, CI platforms."""

from __future__ import annotations

import json

from generators.analysis import analyze
from generators.analysis import analyze_snapshot
from generators.analysis import wanted_files
from generators.analysis.model import Analysis
from generators.analysis.model import Unit
from generators.analysis.tree import Unlisted


def snapshot(files: dict[str, str]) -> Analysis:
    """Analyse a repository given as {path: text}, reading only what wanted_files asks for."""
    paths = sorted(files)
    return analyze_snapshot(paths, {path: files[path] for path in wanted_files(paths)})


def units_by_path(analysis: Analysis) -> dict[str, Unit]:
    return {unit.path: unit for unit in analysis.units}


def package(**fields: object) -> str:
    return json.dumps(fields)


def test_pnpm_workspace_root_is_not_a_unit_and_members_share_its_lockfile() -> None:
    analysis = snapshot({
        "package.json": package(name="acme", private=True, packageManager="pnpm@9.1.0", devDependencies={"turbo": "^2"}),
        "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - 'packages/*'\n",
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        "turbo.json": "{}",
        "apps/web/package.json": package(name="web", scripts={"test": "vitest run", "build": "vite build"},
                                         dependencies={"@acme/ui": "workspace:*", "react": "^18"}),
        "apps/web/src/App.test.tsx": "",
        "packages/ui/package.json": package(name="@acme/ui", scripts={"test": "vitest run"}),
        "packages/ui/src/button.test.ts": "",
    })
    units = units_by_path(analysis)
    assert sorted(units) == ["apps/web", "packages/ui"]
    assert analysis.monorepo == "turborepo"
    assert {f.value for f in analysis.facts if f.kind == "monorepo"} == {"turborepo", "pnpm_workspaces"}
    web = units["apps/web"]
    assert (web.package_manager, web.lockfile, web.package_manager_version) == ("pnpm", "pnpm-lock.yaml", "9.1.0")
    assert web.test_command == "pnpm test" and web.build_script == "build"
    assert web.uses_paths == ["packages/ui"]
    assert analysis.shared_libraries == ["packages/ui"]
    assert [unit.name for unit in analysis.units] == ["web", "ui"]


def test_npm_workspaces_field_declares_members() -> None:
    analysis = snapshot({
        "package.json": package(name="root", workspaces=["services/*"]),
        "package-lock.json": "{}",
        "services/a/package.json": package(name="a", dependencies={"express": "^4"}),
        "services/b/package.json": package(name="b", dependencies={"a": "file:../a"}),
    })
    units = units_by_path(analysis)
    assert sorted(units) == ["services/a", "services/b"]
    assert analysis.monorepo == "npm_workspaces"
    assert units["services/b"].uses_paths == ["services/a"]
    assert units["services/a"].lockfile == "package-lock.json"


def test_uv_workspace_member_uses_the_root_lockfile_and_workspace_sources() -> None:
    analysis = snapshot({
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        "uv.lock": "version = 1\n",
        "packages/app/pyproject.toml": ('[project]\nname = "app"\ndependencies = ["lib", "fastapi"]\n'
                                        '[tool.uv.sources]\nlib = { workspace = true }\n'),
        "packages/app/app/main.py": "",
        "packages/lib/pyproject.toml": '[project]\nname = "lib"\ndependencies = []\n',
        "packages/lib/lib/__init__.py": "",
    })
    units = units_by_path(analysis)
    assert sorted(units) == ["packages/app", "packages/lib"]
    assert analysis.monorepo == "uv_workspace"
    app = units["packages/app"]
    assert (app.package_manager, app.lockfile) == ("uv", "uv.lock")
    assert app.uses_paths == ["packages/lib"] and app.is_service


def test_go_work_modules_are_units_and_local_replaces_are_shared_libraries() -> None:
    analysis = snapshot({
        "go.work": "go 1.22\n\nuse (\n\t./svc\n\t./lib\n)\n",
        "svc/go.mod": "module example.com/svc\n\ngo 1.21\n\ntoolchain go1.22.4\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
        "svc/go.sum": "",
        "svc/cmd/server/main.go": 'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n',
        "lib/go.mod": "module example.com/lib\n\ngo 1.21\n",
        "lib/lib_test.go": "package lib\n",
    })
    units = units_by_path(analysis)
    assert analysis.monorepo == "go_workspace"
    svc, lib = units["svc"], units["lib"]
    assert svc.is_service and svc.extras["http_main"] == "svc/cmd/server/main.go"
    assert svc.runtime_version is not None and svc.runtime_version.value == "1.22"  # toolchain wins over go
    assert svc.test_command is None and lib.test_command == "go test ./..."
    assert svc.uses_paths == ["lib"] and not lib.is_service


def test_declared_poetry_wins_over_a_stray_uv_lock_and_says_why() -> None:
    analysis = snapshot({
        "pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.12"\n',
        "uv.lock": "version = 1\n",
        "x/__init__.py": "",
    })
    unit = analysis.units[0]
    assert (unit.package_manager, unit.lockfile) == ("poetry", None)
    [ambiguity] = analysis.ambiguities
    assert ambiguity.options == ["poetry (pyproject.toml)", "uv (uv.lock)"]
    assert ambiguity.choice == "poetry (pyproject.toml)" and "declared" in ambiguity.reason
    assert any("no lockfile for poetry" in warning for warning in analysis.warnings)


def test_yarn_classic_is_read_from_the_lockfile_header() -> None:
    analysis = snapshot({
        "package.json": package(name="x", scripts={"test": "jest"}, devDependencies={"jest": "^29"}),
        "yarn.lock": "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n",
        "x.test.js": "",
    })
    unit = analysis.units[0]
    assert (unit.package_manager, unit.extras["yarn_flavor"], unit.test_command) == ("yarn", "classic", "yarn test")


def test_unittest_tests_without_pytest_run_with_unittest_discover() -> None:
    analysis = snapshot({
        "setup.py": "from setuptools import setup\nsetup(name='calc', install_requires=['click'])\n",
        "calc/__init__.py": "",
        "tests/test_calc.py": "import unittest\n\nclass T(unittest.TestCase):\n    pass\n",
    })
    unit = analysis.units[0]
    assert (unit.test_framework, unit.test_command) == ("unittest", "python -m unittest discover")


def test_django_without_pytest_runs_manage_py_test() -> None:
    analysis = snapshot({
        "requirements.txt": "Django>=5.0\npsycopg2-binary\n",
        "manage.py": "",
        "shop/tests.py": "from django.test import TestCase\n",
    })
    unit = analysis.units[0]
    assert unit.test_command == "python manage.py test"
    assert unit.service_dependencies == ["postgres"]
    assert unit.lockfile is None  # ranges, not pins


def test_test_files_without_any_runner_give_no_test_command() -> None:
    analysis = snapshot({"pyproject.toml": '[project]\nname = "x"\n', "x/core.py": "", "tests/test_x.py": "def test_x(): pass\n"})
    assert analysis.units[0].test_command is None
    assert any(f.kind == "test_command" and "no test runner" in f.evidence.rule for f in analysis.facts)


def test_pytest_configured_without_test_files_is_still_no_test_command() -> None:
    analysis = snapshot({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["pytest"]\n', "x.py": ""})
    assert analysis.units[0].test_command is None


def test_node_test_script_without_test_files_is_not_trusted() -> None:
    analysis = snapshot({"package.json": package(name="x", scripts={"test": "jest"}), "index.js": ""})
    assert analysis.units[0].test_command is None


def test_echo_only_test_script_is_not_a_test_command() -> None:
    analysis = snapshot({"package.json": package(name="x", scripts={"test": "echo 'tests run in CI'"}), "a.test.js": ""})
    assert analysis.units[0].test_command is None


def test_two_units_in_one_directory_and_two_dirs_with_one_name_get_unique_job_safe_names() -> None:
    analysis = snapshot({
        "pyproject.toml": '[project]\nname = "x"\n', "x/__init__.py": "",
        "package.json": package(name="tools", devDependencies={"prettier": "^3"}),
        "services/API_v2/go.mod": "module a\n\ngo 1.22\n",
        "apps/api-v2/go.mod": "module b\n\ngo 1.22\n",
    })
    names = sorted(unit.name for unit in analysis.units)
    assert names == ["apps-api-v2", "root", "root-node", "services-api-v2"]
    assert analysis.monorepo == "services"


def test_every_ci_platform_is_recognised() -> None:
    files = {
        ".github/workflows/ci.yaml": "", ".gitlab-ci.yml": "", "Jenkinsfile": "", ".circleci/config.yml": "",
        "azure-pipelines.yml": "", ".travis.yml": "", "bitbucket-pipelines.yml": "", ".drone.yml": "",
    }
    analysis = snapshot(files)
    assert sorted(f.value for f in analysis.existing_ci) == [
        "azure_devops", "bitbucket", "circleci", "drone", "github_actions", "gitlab_ci", "jenkins", "travis"]
    assert set(wanted_files(sorted(files))) == set(files)


def test_vendored_and_test_data_manifests_are_not_units() -> None:
    analysis = snapshot({
        "go.mod": "module x\n\ngo 1.22\n",
        "vendor/github.com/y/go.mod": "module y\n",
        "web/node_modules/left-pad/package.json": "{}",
        "tests/fixtures/repos/app/package.json": "{}",
        "docs/requirements.txt": "sphinx\n",
        "tests/fixtures/repos/db/Dockerfile": "FROM python\nEXPOSE 9000\n",
        "examples/app/docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
    })
    assert [unit.path for unit in analysis.units] == [""]
    root = analysis.units[0]
    assert (root.dockerfile, root.port, root.service_dependencies) == (None, None, [])


def test_invalid_manifest_is_a_warning_not_a_crash() -> None:
    analysis = snapshot({"package.json": "{ not json", "index.js": ""})
    assert analysis.units[0].package_manager == "npm"
    assert any("package.json could not be parsed" in warning for warning in analysis.warnings)


def test_disagreeing_node_versions_prefer_nvmrc_over_engines() -> None:
    analysis = snapshot({"package.json": package(name="x", engines={"node": ">=22"}), ".nvmrc": "v20.11.1\n"})
    unit = analysis.units[0]
    assert unit.runtime_version is not None and (unit.runtime_version.value, unit.runtime_version.source) == ("20", ".nvmrc")
    [ambiguity] = analysis.ambiguities
    assert ambiguity.topic == "node version" and ambiguity.choice == "v20.11.1 (.nvmrc)"


class CountingTree:
    """A FileTree over a dict that counts its read calls."""

    def __init__(self, files: dict[str, str], truncated: bool = False, unlisted: Unlisted | None = None) -> None:
        self.files, self.truncated, self.unlisted, self.reads = files, truncated, unlisted, 0

    def paths(self) -> list[str]:
        return sorted(self.files)

    def read(self, paths: list[str]) -> dict[str, str]:
        self.reads += 1
        return {path: self.files[path] for path in paths if path in self.files}


def test_analyze_reads_the_tree_once_and_warns_when_it_was_truncated() -> None:
    tree = CountingTree({"go.mod": "module x\n\ngo 1.22\n", "main.go": "package main\n"}, truncated=True)
    analysis = analyze(tree)
    assert tree.reads == 1
    assert any("truncated" in warning for warning in analysis.warnings)
    assert analysis.units[0].language == "go"


def test_unlisted_folders_are_named_in_one_warning_up_to_twenty() -> None:
    folders = ("", *(f"packages/p{n:02}" for n in range(24)))
    tree = CountingTree({"go.mod": "module x\n\ngo 1.22\n"}, truncated=True,
                        unlisted=Unlisted(folders, "the bot's cap of 100 tree requests"))
    [warning] = analyze(tree).warnings
    assert warning.startswith("the file listing is incomplete: GitHub truncated it, and reading it folder by folder "
                              "was cut short by the bot's cap of 100 tree requests; files in 25 folders may be missing")
    assert "analysis: the repository root, packages/p00/, packages/p01/," in warning
    assert "packages/p18/ and 5 more (the worker log names them all)" in warning and "p19" not in warning


def test_same_snapshot_gives_identical_analysis() -> None:
    files = {"package.json": package(name="x", scripts={"test": "jest"}), "a.test.js": "", "package-lock.json": "{}"}
    assert snapshot(files).to_dict() == snapshot(dict(reversed(list(files.items())))).to_dict()


def test_procfile_web_process_is_the_start_command() -> None:
    analysis = snapshot({"requirements.txt": "flask\ngunicorn\n", "app.py": "", "Procfile": "web: gunicorn app:app --workers 2\n"})
    unit = analysis.units[0]
    assert (unit.extras["start_command"], unit.extras["start_command_source"]) == ("gunicorn app:app --workers 2", "Procfile")


def test_declared_pytest_plugins_are_listed_for_the_pipeline() -> None:
    analysis = snapshot({"requirements.txt": "pytest==8.2.2\npytest-cov==5.0.0\n", "test_a.py": ""})
    assert analysis.units[0].extras["pytest_plugins"] == ["pytest-cov"]


def test_compose_backing_services_attach_to_the_unit_the_compose_file_builds() -> None:
    analysis = snapshot({
        "services/api/package.json": package(name="api", dependencies={"express": "^4"}),
        "services/api/package-lock.json": "{}",
        "services/worker/package.json": package(name="worker"),
        "docker-compose.yml": ("services:\n  api:\n    build: ./services/api\n    ports: ['8080:3000']\n"
                               "  mongo:\n    image: mongo:7\n  queue:\n    image: rabbitmq:3-management\n"),
    })
    units = units_by_path(analysis)
    assert units["services/api"].service_dependencies == ["mongodb", "rabbitmq"]
    assert units["services/api"].port == 3000
    assert units["services/worker"].service_dependencies == []
