"""Analysis of the fixture repositories: the facts, their evidence, the ambiguities and the units."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.trees import LocalTree
from generators.analysis import analyze
from generators.analysis import wanted_files
from generators.analysis.model import Analysis
from generators.analysis.model import Evidence
from generators.analysis.model import Unit

REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"
CASES = sorted(path.name for path in REPOS.iterdir() if path.is_dir())


def run(case: str) -> Analysis:
    return analyze(LocalTree(REPOS / case))


def only_unit(analysis: Analysis) -> Unit:
    assert len(analysis.units) == 1, [unit.path for unit in analysis.units]
    return analysis.units[0]


def evidence(analysis: Analysis, kind: str, value: str, unit: str = "") -> list[Evidence]:
    return [f.evidence for f in analysis.facts if f.unit == unit and f.kind == kind and f.value == value]


def test_every_required_fixture_case_exists() -> None:
    required = {"python-pip", "python-poetry", "python-uv", "node-npm", "node-pnpm", "node-yarn", "go",
                "monorepo-py-node", "two-lockfiles", "npm-placeholder-test", "no-tests", "needs-database",
                "existing-ci", "versions-disagree", "rust-cargo", "rust-workspace", "java-maven", "java-gradle-multi",
                "dotnet", "ruby-rails", "php-laravel", "elixir-phoenix", "hugo-site", "python-pdm", "python-hatch-tox",
                "node-bun", "node-playwright", "node-nx-angular", "node-lerna-vue-astro", "ruby-sinatra-jekyll",
                "php-symfony-pest", "python-nox"}
    assert required <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_wanted_files_are_few_and_never_application_source(case: str) -> None:
    paths = LocalTree(REPOS / case).paths()
    wanted = wanted_files(paths)
    assert wanted == sorted(wanted)
    assert len(wanted) < 40
    assert set(wanted) <= set(paths)
    sources = {p for p in paths if p.endswith((".js", ".ts", ".tsx", ".py")) and "test" not in p
               and not p.endswith(("settings.py", "setup.py"))}
    assert not sources & set(wanted), sorted(sources & set(wanted))
    assert not {p for p in wanted if p.endswith(("package-lock.json", "pnpm-lock.yaml", "poetry.lock", "uv.lock", "go.sum"))}


@pytest.mark.parametrize("case", CASES)
def test_every_fact_cites_a_file_of_the_repository_and_a_rule(case: str) -> None:
    tree = LocalTree(REPOS / case)
    paths = set(tree.paths())
    dirs = {p.rsplit("/", 1)[0] for p in paths if "/" in p} | {""}
    analysis = analyze(tree)
    for fact in analysis.facts + analysis.existing_ci:
        assert fact.evidence.rule
        assert fact.evidence.file in paths or fact.evidence.file in dirs, fact


@pytest.mark.parametrize("case", CASES)
def test_analysis_survives_a_round_trip_through_plain_data(case: str) -> None:
    analysis = run(case)
    assert Analysis.from_dict(analysis.to_dict()) == analysis


def test_python_pip_project_uses_requirements_pytest_and_python_version() -> None:
    analysis = run("python-pip")
    unit = only_unit(analysis)
    assert (unit.name, unit.language, unit.package_manager) == ("root", "python", "pip")
    assert unit.extras["requirement_files"] == ["requirements.txt", "requirements-dev.txt"]
    assert (unit.test_framework, unit.test_command) == ("pytest", "pytest")
    assert evidence(analysis, "test_framework", "pytest") == [Evidence("requirements-dev.txt", "pytest in requirements-dev.txt")]
    assert unit.runtime_version is not None and (unit.runtime_version.value, unit.runtime_version.source) == ("3.12", ".python-version")
    assert unit.frameworks == ["flask"] and unit.is_service
    assert unit.lockfile == "requirements.txt"  # every line pinned with ==
    assert unit.lint_tools == ["ruff"]
    assert analysis.ambiguities == [] and analysis.existing_ci == [] and analysis.monorepo is None


def test_python_poetry_project_is_declared_by_its_tool_poetry_table() -> None:
    analysis = run("python-poetry")
    unit = only_unit(analysis)
    assert (unit.package_manager, unit.lockfile) == ("poetry", "poetry.lock")
    assert evidence(analysis, "package_manager", "poetry") == [Evidence("pyproject.toml", "[tool.poetry] table in pyproject.toml")]
    assert evidence(analysis, "lockfile", "poetry.lock") == [Evidence("poetry.lock", "poetry.lock present")]
    assert unit.frameworks == ["fastapi"] and unit.test_command == "pytest"
    assert unit.extras["test_group"] == "dev"
    assert unit.runtime_version is not None and unit.runtime_version.value == "3.11"  # python = "^3.11"
    assert unit.lint_tools == ["black", "mypy"]


def test_python_uv_django_project_runs_pytest_django() -> None:
    analysis = run("python-uv")
    unit = only_unit(analysis)
    assert (unit.package_manager, unit.lockfile) == ("uv", "uv.lock")
    assert evidence(analysis, "package_manager", "uv") == [Evidence("pyproject.toml", "[tool.uv] table in pyproject.toml")]
    assert unit.frameworks == ["django"] and unit.is_service
    assert (unit.test_framework, unit.test_command) == ("pytest", "pytest")
    assert unit.service_dependencies == []  # sqlite in settings, no driver
    assert analysis.ambiguities == []


def test_node_npm_project_runs_its_jest_test_script_with_npm() -> None:
    analysis = run("node-npm")
    unit = only_unit(analysis)
    assert (unit.language, unit.package_manager, unit.lockfile) == ("node", "npm", "package-lock.json")
    assert (unit.test_framework, unit.test_command) == ("jest", "npm test")
    assert evidence(analysis, "test_command", "npm test")[0].rule.startswith('"test" script in package.json')
    assert unit.runtime_version is not None and (unit.runtime_version.value, unit.runtime_version.source) == ("20", ".nvmrc")
    assert unit.frameworks == ["express"] and unit.is_service
    assert unit.build_script is None


def test_node_pnpm_project_takes_pnpm_from_package_manager_and_node_from_engines() -> None:
    analysis = run("node-pnpm")
    unit = only_unit(analysis)
    assert (unit.package_manager, unit.package_manager_version, unit.lockfile) == ("pnpm", "9.4.0", "pnpm-lock.yaml")
    assert evidence(analysis, "package_manager", "pnpm") == [
        Evidence("package.json", '"packageManager": "pnpm@9.4.0" in package.json')]
    assert (unit.test_framework, unit.test_command) == ("vitest", "pnpm test")
    assert unit.runtime_version is not None and unit.runtime_version.value == "20"
    assert unit.frameworks == ["react", "vite"] and not unit.is_service
    assert evidence(analysis, "kind", "library")
    assert unit.build_script == "build"
    assert unit.lint_tools == ["eslint", "tsc"]


def test_node_yarn_berry_project_is_told_apart_from_yarn_classic() -> None:
    analysis = run("node-yarn")
    unit = only_unit(analysis)
    assert (unit.package_manager, unit.package_manager_version) == ("yarn", "4.3.1")
    assert unit.extras["yarn_flavor"] == "berry"
    assert (unit.test_framework, unit.test_command) == ("jest", "yarn test")
    assert unit.frameworks == ["nestjs"] and unit.is_service
    assert unit.lint_tools == ["eslint", "prettier", "tsc"]


def test_go_module_tests_with_go_test_and_reads_the_go_directive() -> None:
    analysis = run("go")
    unit = only_unit(analysis)
    assert (unit.language, unit.package_manager, unit.lockfile) == ("go", "go", "go.sum")
    assert (unit.test_framework, unit.test_command) == ("go_test", "go test ./...")
    assert unit.runtime_version is not None and unit.runtime_version.value == "1.22"
    assert evidence(analysis, "runtime_version", "1.22") == [Evidence("go.mod", "go 1.22 directive in go.mod")]
    assert unit.extras["http_main"] == "main.go" and unit.is_service
    assert (unit.dockerfile, unit.port) == ("Dockerfile", 8080)
    assert unit.lint_tools == ["golangci-lint"] and unit.build_script == "go build ./..."


def test_monorepo_yields_one_unit_per_service_and_the_shared_library() -> None:
    analysis = run("monorepo-py-node")
    units = {unit.name: unit for unit in analysis.units}
    assert sorted(units) == ["api", "shared", "web"]
    assert analysis.monorepo == "services"
    api, web, shared = units["api"], units["web"], units["shared"]
    assert (api.path, api.language, api.package_manager, api.lockfile) == ("services/api", "python", "uv", "services/api/uv.lock")
    assert (web.path, web.language, web.package_manager, web.lockfile) == ("services/web", "node", "npm", "services/web/package-lock.json")
    assert api.uses_paths == ["libs/shared"] and web.uses_paths == []
    assert analysis.shared_libraries == ["libs/shared"]
    assert evidence(analysis, "shared_library", "libs/shared", unit="services/api") == [Evidence(
        "services/api/pyproject.toml", "[tool.uv.sources] shop-shared = { path = '../../libs/shared' }")]
    assert api.is_service and web.is_service and not shared.is_service
    assert (api.dockerfile, api.port) == ("services/api/Dockerfile", 8000)
    assert web.frameworks == ["next", "react"] and web.test_command == "npm test"
    assert shared.test_command == "pytest" and shared.extras["test_extra"] == "test"


def test_two_lockfiles_are_an_ambiguity_with_a_choice_and_a_reason() -> None:
    analysis = run("two-lockfiles")
    unit = only_unit(analysis)
    assert (unit.package_manager, unit.lockfile) == ("npm", "package-lock.json")
    [ambiguity] = analysis.ambiguities
    assert ambiguity.topic == "package manager"
    assert ambiguity.options == ["npm (package-lock.json)", "yarn (yarn.lock)"]
    assert ambiguity.choice == "npm (package-lock.json)"
    assert "packageManager" in ambiguity.reason
    assert (unit.test_framework, unit.test_command) == ("mocha", "npm test")


def test_npm_placeholder_test_script_is_not_a_test_command() -> None:
    analysis = run("npm-placeholder-test")
    unit = only_unit(analysis)
    assert unit.test_command is None and unit.test_framework is None
    [why] = evidence(analysis, "test_command", "none")
    assert why.file == "package.json" and "placeholder" in why.rule


def test_project_without_tests_gets_no_invented_test_command() -> None:
    analysis = run("no-tests")
    unit = only_unit(analysis)
    assert unit.test_command is None and unit.test_framework is None
    assert "no test files" in evidence(analysis, "test_command", "none")[0].rule
    assert not unit.is_service and evidence(analysis, "kind", "library")
    assert any("no lockfile" in warning for warning in analysis.warnings)


def test_tests_that_need_a_database_list_their_backing_services() -> None:
    analysis = run("needs-database")
    unit = only_unit(analysis)
    assert unit.service_dependencies == ["postgres", "redis"]
    rules = {e.rule for e in evidence(analysis, "service_dependency", "postgres")}
    assert "driver psycopg in requirements.txt" in rules
    assert "Django database ENGINE django.db.backends.postgresql" in rules
    assert "compose service web depends_on db (image postgres:16-alpine)" in rules
    assert unit.port == 8000 and unit.dockerfile == "Dockerfile"


def test_existing_ci_of_every_platform_is_reported() -> None:
    analysis = run("existing-ci")
    found = {(f.value, f.evidence.file) for f in analysis.existing_ci}
    assert found == {("github_actions", ".github/workflows/test.yml"), ("gitlab_ci", ".gitlab-ci.yml")}
    assert only_unit(analysis).test_command == "pytest"


def test_disagreeing_version_files_are_an_ambiguity_won_by_python_version() -> None:
    analysis = run("versions-disagree")
    unit = only_unit(analysis)
    assert unit.runtime_version is not None and (unit.runtime_version.value, unit.runtime_version.source) == ("3.12", ".python-version")
    [ambiguity] = analysis.ambiguities
    assert ambiguity.topic == "python version"
    assert ambiguity.options == ["3.12 (.python-version)", "3.11.9 (.tool-versions)", ">=3.11 (pyproject.toml)"]
    assert ambiguity.choice == "3.12 (.python-version)"
    assert "pinned" in ambiguity.reason


def test_quick_start_sample_service_is_a_tested_flask_service() -> None:
    analysis = analyze(LocalTree(REPOS.parents[2] / "examples" / "sample-service"))
    unit = only_unit(analysis)
    assert (unit.language, unit.package_manager, unit.test_command) == ("python", "pip", "pytest")
    assert unit.runtime_version is not None and unit.runtime_version.value == "3.12"
    assert unit.frameworks == ["flask"] and unit.is_service
    assert unit.extras["pytest_plugins"] == ["pytest-cov"]


def test_quick_start_sample_service_tests_pass() -> None:
    sample = REPOS.parents[2] / "examples" / "sample-service"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(sample)],
                            capture_output=True, text=True, cwd=sample, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
