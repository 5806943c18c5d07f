"""Every generated CI file passes the real validators (schema, actionlint, zizmor, yamllint, hadolint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_support import REPOS
from ci_support import generate
from ci_support import python_unit
from ci_support import run_on_fixture
from generators.analysis.model import Analysis
from generators.analysis.model import RuntimeVersion
from generators.analysis.model import Unit
from tests.validators import check_dependabot
from tests.validators import check_dockerfile
from tests.validators import check_github_workflow
from tests.validators import check_yaml
from tests.validators import write_files as write

pytestmark = pytest.mark.validators

FIXTURES = sorted(path.name for path in REPOS.iterdir() if path.is_dir())
TARGETS = [{"environment": "staging", "platform": "kubernetes"}, {"environment": "production", "platform": "kubernetes"}]


def findings(paths: list[Path]) -> list[str]:
    problems = check_yaml([p for p in paths if p.suffix in (".yml", ".yaml")])
    for path in paths:
        if path.parent.name == "workflows":
            problems += check_github_workflow(path)
        elif path.name == "dependabot.yml":
            problems += check_dependabot(path)
        elif path.name == "Dockerfile":
            problems += check_dockerfile(path)
    return problems


@pytest.mark.parametrize("case", FIXTURES)
def test_files_generated_for_each_fixture_repository_pass_the_validators(case: str, tmp_path: Path) -> None:
    files = run_on_fixture(case, deployment_targets=TARGETS)["ci_cd_package"]["files"]
    assert findings(write(files, tmp_path)) == []


def test_files_for_a_hand_built_monorepo_with_services_and_deploys_pass_the_validators(tmp_path: Path) -> None:
    api = python_unit(name="api", path="services/api", package_manager="pip", manifest="services/api/requirements.txt",
                      lockfile="services/api/requirements.txt", service_dependencies=["postgres", "mysql", "redis"],
                      runtime_version=RuntimeVersion("3.8", "services/api/.python-version"), test_command="pytest",
                      extras={"requirement_files": ["services/api/requirements.txt"]})
    web = Unit(name="web", path="web", language="node", package_manager="yarn", manifest="web/package.json",
               lockfile="web/yarn.lock", test_framework="mocha", test_command="yarn test", is_service=True,
               extras={"yarn_flavor": "classic"}, build_script="build")
    worker = Unit(name="worker", path="worker", language="go", package_manager="go", manifest="worker/go.mod",
                  lockfile="worker/go.sum", runtime_version=RuntimeVersion("1.22", "worker/go.mod"),
                  test_framework="go_test", test_command="go test ./...", is_service=True)
    result = generate(Analysis(units=[api, web, worker], monorepo="services"), targets=TARGETS, branching="gitflow")
    assert findings(write(result["files"], tmp_path)) == []
