"""Jenkins: every fixture's Jenkinsfile parses and has the declarative shape; golden files; hostile names stay inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.engine import run_pipeline
from bot.registry import StepContext
from bot.trees import LocalTree
from ci_support import REPOS
from ci_support import ROOT
from ci_support import TODAY
from ci_support import python_unit
from ci_support import run_on_fixture
from generators.analysis.model import Analysis
from generators.ci import stages
from generators.ci.deploy import deployment_stage
from generators.ci.design import design_pipeline
from generators.ci.jenkins import jenkins_files
from generators.ci.security import security_stage
from tests.jenkins_shape import _skip_string
from tests.jenkins_shape import declarative_shape
from tests.validators import check_jenkinsfile
from tests.validators import check_jenkinsfiles

PLATFORM = "jenkins"
PIPELINE = "Jenkinsfile"
GOLDEN = ROOT / "tests" / "golden" / "ci_jenkins"
GOLDEN_CASES = ["python-pip", "node-pnpm", "go", "monorepo-py-node", "needs-database"]
FIXTURES = sorted(path.name for path in REPOS.iterdir() if path.is_dir())
TARGETS = [{"environment": "staging", "platform": "kubernetes"}, {"environment": "production", "platform": "kubernetes"}]
# The only double-quoted (interpolating) strings the template writes; every other string is single-quoted.
GSTRINGS = {'"${env.WORKSPACE}@tmp/ci-home"', '"${env.WORKSPACE}@tmp"', '"${env.WORKSPACE}@tmp/ci-home/go"',
            '"${env.WORKSPACE}@tmp/ci-home/.local"'}


def jenkinsfile(case: str, **inputs: Any) -> str:
    outputs = run_on_fixture(case, ci_platform=PLATFORM, deployment_targets=TARGETS, **inputs)
    return outputs["ci_cd_package"]["files"][PIPELINE]


def double_quoted(text: str) -> set[str]:
    """Every double-quoted string literal in Groovy source (comments and single-quoted strings skipped)."""
    found: set[str] = set()
    index = 0
    while index < len(text):
        if text.startswith("//", index):
            index = text.find("\n", index) + 1 or len(text)
            continue
        if text[index] in "'\"":
            end = _skip_string(text, index)
            if text[index] == '"':
                found.add(text[index:end])
            index = end
            continue
        index += 1
    return found


@pytest.mark.validators
def test_the_jenkinsfile_of_every_fixture_repository_parses_and_has_the_declarative_shape(tmp_path: Path) -> None:
    paths = []
    for case in FIXTURES:
        path = tmp_path / case / PIPELINE
        path.parent.mkdir()
        path.write_text(jenkinsfile(case), encoding="utf-8")
        paths.append(path)
    assert check_jenkinsfiles(paths) == []


@pytest.mark.validators
def test_the_checks_report_a_broken_jenkinsfile(tmp_path: Path) -> None:
    path = tmp_path / PIPELINE
    path.write_text("pipeline {\n    agent any\n    stages {\n        stage('a') {\n            steps {\n"
                    "                sh 'make'\n    }\n}\n", encoding="utf-8")
    findings = check_jenkinsfile(path)
    assert any(finding.startswith("npm-groovy-lint") for finding in findings)
    assert any("unbalanced" in finding for finding in findings)


def test_the_shape_check_rejects_misnamed_sections_and_agentless_steps() -> None:
    text = "pipeline {\n    agent none\n    stages {\n        stage('a') {\n            step {\n                sh 'x'\n" \
           "            }\n        }\n        stage('b') {\n            steps {\n                sh 'x'\n            }\n" \
           "        }\n    }\n    post {\n        always {\n            echo 'x'\n        }\n    }\n}\n"
    problems = declarative_shape(text)
    assert any("unknown section 'step'" in problem for problem in problems)
    assert any("no agent" in problem for problem in problems)


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_the_jenkinsfile_matches_the_golden_file(case: str, update_golden: bool) -> None:
    text = jenkinsfile(case)
    path = GOLDEN / case / "expected" / PIPELINE
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", ["monorepo-py-node", "needs-database"])
def test_generating_twice_gives_identical_bytes(case: str) -> None:
    assert jenkinsfile(case) == jenkinsfile(case)


def test_stages_run_in_docker_agents_of_the_unit_runtime_with_timeouts_and_frozen_installs() -> None:
    text = jenkinsfile("node-pnpm")
    assert "agent none" in text and "disableConcurrentBuilds(abortPrevious:" in text
    assert "image 'node:22-bookworm-slim'" in text
    assert text.count("timeout(time:") == text.count("steps {") + 1  # every stage with steps, plus the pipeline
    assert "pnpm install --frozen-lockfile" in text
    assert "cacheValidityDecidingFile: 'pnpm-lock.yaml'" in text


def test_monorepo_stages_run_when_their_paths_change_and_checks_run_in_parallel() -> None:
    text = jenkinsfile("monorepo-py-node")
    assert "parallel {" in text
    assert "changeset 'services/api/**'" in text and "changeset 'libs/shared/**'" in text


def test_tests_publish_junit_and_coverage_and_the_tool_enforces_the_gate() -> None:
    text = jenkinsfile("python-pip", quality_gates={"test_coverage_threshold": 64})
    assert "--cov-fail-under=64" in text
    assert "junit(testResults: 'test-results/junit.xml'" in text
    assert "recordCoverage(tools: [[parser: 'COBERTURA', pattern: 'coverage.xml']])" in text


def test_services_start_as_health_checked_containers_beside_the_tests() -> None:
    text = jenkinsfile("needs-database")
    assert "docker.image('postgres:17-alpine').run(" in text
    assert "pg_isready -U postgres" in text and "Wait for healthy services" in text
    assert ".inside('--network container:' + services[0].id)" in text


def test_deploys_lock_their_environment_wait_for_approval_before_production_and_roll_back() -> None:
    text = jenkinsfile("python-pip")
    production = text[text.index("stage('Deploy to production"):]
    assert "lock(resource: 'deploy-production')" in production
    assert "input {" in production and "beforeInput true" in production
    assert "failure {" in production and "rollout undo" in production
    staging = text[text.index("stage('Deploy to staging"):text.index("stage('Deploy to production")]
    assert "input {" not in staging


def test_hostile_names_and_branches_stay_inert_in_the_jenkinsfile(tmp_path: Path) -> None:
    hostile = "api'${evil()}\"\"\"\n}'''"
    unit = python_unit(name=hostile, path="svc/" + hostile, manifest="svc/x/pyproject.toml", lockfile="svc/x/poetry.lock")
    other = python_unit(name="worker", path="worker", manifest="worker/pyproject.toml", lockfile="worker/poetry.lock")
    design = design_pipeline(Analysis(units=[unit, other], monorepo="services"), platform=PLATFORM, project_type=None,
                             targets=TARGETS, branching="github_flow", quality_gates={}, today=TODAY,
                             default_branch="ma'in${x}\"\"\"", workflow_path=PIPELINE)
    result = jenkins_files(design, stages.build_stage(design), stages.test_stage(design), security_stage(design),
                           deployment_stage(design, TARGETS))
    text = result["files"][PIPELINE]
    assert double_quoted(text) <= GSTRINGS
    assert declarative_shape(text) == []
    path = tmp_path / PIPELINE
    path.write_text(text, encoding="utf-8")
    assert check_jenkinsfile(path) == []


def test_pull_request_and_docs_list_plugins_agents_and_credentials() -> None:
    outputs = run_on_fixture("python-pip", ci_platform=PLATFORM, deployment_targets=TARGETS)
    body = outputs["implementation_guide"]["body"]
    assert outputs["implementation_guide"]["title"] == "Add CI/CD pipeline (Jenkins)"
    assert "`jobcacher`" in body and "`lockable-resources`" in body and "agents labelled `docker`" in body
    assert "kubeconfig-production" in body and "container-registry" in body and "KUBE_CONFIG" not in body
    docs = outputs["ci_cd_package"]["files"]["docs/ci-cd.md"]
    assert "## Jenkins" in docs and "`jobcacher`" in docs and "`lockable-resources`" in docs


def test_the_oidc_provider_plugin_is_listed_exactly_when_a_deploy_logs_in_to_a_cloud() -> None:
    for targets, expected in (([{"environment": "production", "platform": "ecs", "region": "eu-west-1"}], True),
                              (TARGETS, False)):
        outputs = run_on_fixture("python-pip", ci_platform=PLATFORM, deployment_targets=targets)
        text = outputs["ci_cd_package"]["files"][PIPELINE]
        plugins_line = next(line for line in text.splitlines() if line.startswith("// Plugins:"))
        assert ("oidc-provider" in plugins_line) is expected, plugins_line
        assert ("oidc-aws-production" in text) is expected
        assert ("`oidc-provider`" in outputs["implementation_guide"]["body"]) is expected


@pytest.mark.parametrize(("platform", "path"), [("jenkins", "Jenkinsfile"), ("azure_devops", "azure-pipelines.yml")])
def test_the_ci_cd_pipeline_runs_end_to_end_for_the_platform(platform: str, path: str) -> None:
    ctx = StepContext(open_tree=lambda where: LocalTree(Path(where)), extras={"today": TODAY})
    run = run_pipeline("ci_cd_setup", {"project_path": str(REPOS / "monorepo-py-node"), "ci_platform": platform,
                                       "deployment_targets": TARGETS}, ctx)
    files = run.outputs["ci_cd_package"]["files"]
    assert path in files and ".github/workflows/ci.yml" not in files
    assert "docs/ci-cd.md" in files
