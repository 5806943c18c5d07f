"""Test splitting: shards on every platform, one coverage gate job that merges their coverage and enforces it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.errors import UserError
from ci_support import ROOT
from ci_support import run_on_fixture
from tests.validators import check_azure_pipelines
from tests.validators import check_circleci
from tests.validators import check_github_workflow
from tests.validators import check_gitlab_ci
from tests.validators import check_jenkinsfiles
from tests.validators import check_yaml

GOLDEN = ROOT / "tests" / "golden" / "ci_sharded"
CONFIGS = {"github_actions": ".github/workflows/ci.yml", "gitlab_ci": ".gitlab-ci.yml", "circleci": ".circleci/config.yml",
           "azure_devops": "azure-pipelines.yml", "jenkins": "Jenkinsfile"}
CASES = ["python-pip", "node-npm", "node-pnpm", "go"]  # pytest, jest, vitest, go test
GOLDEN_CASES = [("github_actions", "python-pip"), ("github_actions", "go"), ("gitlab_ci", "python-pip"),
                ("gitlab_ci", "node-npm"), ("circleci", "python-pip"), ("circleci", "go"),
                ("azure_devops", "python-pip"), ("azure_devops", "node-pnpm"), ("jenkins", "python-pip"),
                ("jenkins", "node-npm")]
SAFE = YAML(typ="safe")


def pipeline_text(case: str, platform: str, shards: int | None = 3, **inputs: Any) -> str:
    if shards is not None:
        inputs["test_shards"] = shards
    files = run_on_fixture(case, ci_platform=platform, **inputs)["ci_cd_package"]["files"]
    return str(files[CONFIGS[platform]])


def outputs(case: str, platform: str, **inputs: Any) -> dict[str, Any]:
    return run_on_fixture(case, ci_platform=platform, **inputs)


@pytest.mark.validators
@pytest.mark.parametrize("platform", sorted(CONFIGS))
def test_sharded_pipelines_for_python_node_and_go_pass_the_platform_validators(platform: str, tmp_path: Path) -> None:
    paths = []
    for case in CASES:
        path = tmp_path / case / CONFIGS[platform]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pipeline_text(case, platform), encoding="utf-8")
        paths.append(path)
    problems: list[str] = []
    if platform == "jenkins":
        problems += check_jenkinsfiles(paths)
    else:
        check = {"github_actions": check_github_workflow, "gitlab_ci": check_gitlab_ci, "circleci": check_circleci,
                 "azure_devops": check_azure_pipelines}[platform]
        for path in paths:
            problems += check(path)
        problems += check_yaml(paths)
    assert problems == []


@pytest.mark.parametrize(("platform", "case"), GOLDEN_CASES)
def test_sharded_pipelines_match_the_golden_files(platform: str, case: str, update_golden: bool) -> None:
    text = pipeline_text(case, platform)
    path = GOLDEN / f"{platform}-{case}" / "expected" / CONFIGS[platform]
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert pipeline_text(case, platform) == text  # generating twice gives the same bytes


@pytest.mark.parametrize("platform", sorted(CONFIGS))
def test_without_the_option_nothing_is_split(platform: str) -> None:
    assert pipeline_text("python-pip", platform, shards=None) == pipeline_text("python-pip", platform, shards=1)
    assert "SHARD_INDEX" not in pipeline_text("go", platform, shards=None)


def test_github_runs_a_shard_matrix_and_a_gate_that_downloads_every_shard() -> None:
    jobs = SAFE.load(pipeline_text("python-pip", "github_actions", 4))["jobs"]
    test, gate = jobs["test"], jobs["coverage"]
    assert test["strategy"] == {"fail-fast": False, "matrix": {"shard": [1, 2, 3, 4]}}
    assert test["env"] == {"SHARD_INDEX": "${{ matrix.shard }}", "SHARD_TOTAL": "4"}
    uploads = [step["with"]["name"] for step in test["steps"] if "upload-artifact" in step.get("uses", "")]
    assert uploads == ["junit-root-shard-${{ matrix.shard }}", "coverage-root-shard-${{ matrix.shard }}"]
    run = "\n".join(step.get("run", "") for step in test["steps"])
    assert "--cov-fail-under=0" in run and "--cov-fail-under=80" not in run  # the shards only measure
    assert gate["needs"] == ["test"]
    download = next(step for step in gate["steps"] if "download-artifact" in step.get("uses", ""))
    assert download["with"] == {"pattern": "coverage-root-shard-*", "path": "coverage-shards", "merge-multiple": True}
    gate_run = [step["run"] for step in gate["steps"] if "run" in step]
    assert any("coverage combine" in command for command in gate_run)
    assert gate_run[-1] == "python -m coverage report --data-file=.coverage --fail-under=80"
    assert "Write Cobertura report" not in str(gate)  # GitHub shows no Cobertura report


def test_gitlab_runs_parallel_copies_and_a_gate_that_needs_them() -> None:
    config = SAFE.load(pipeline_text("node-npm", "gitlab_ci", 5, quality_gates={"test_coverage_threshold": 70}))
    test, gate = config["test"], config["coverage"]
    assert test["parallel"] == 5
    assert test["script"][0] == 'export SHARD_INDEX="$CI_NODE_INDEX" SHARD_TOTAL="$CI_NODE_TOTAL"'
    assert test["artifacts"]["paths"] == ["coverage-shards"]
    assert test["artifacts"]["reports"] == {"junit": ["test-results/junit.xml"]}
    assert "coverage" not in test  # a shard's total is partial
    assert '--shard="$SHARD_INDEX/$SHARD_TOTAL"' in "\n".join(test["script"])
    assert gate["needs"] == ["test"]
    assert gate["artifacts"]["reports"]["coverage_report"] == {"coverage_format": "cobertura",
                                                               "path": "coverage/cobertura-coverage.xml"}
    script = "\n".join(gate["script"])
    assert "nyc\" merge coverage-shards .nyc_output/out.json" in script
    assert gate["script"][-1].startswith('"$RUNNER_TEMP/nyc/node_modules/.bin/nyc" report')
    assert "check-coverage --temp-dir .nyc_output --exclude-after-remap=false \\\n  --lines 70" in script
    assert gate["coverage"] == r"/All files[^|]*\|[^|]*\s+([\d.]+)/"


def test_circleci_splits_by_timings_persists_coverage_and_the_gate_attaches_it() -> None:
    config = SAFE.load(pipeline_text("go", "circleci", 3))
    test, gate = config["jobs"]["test"], config["jobs"]["coverage"]
    assert test["parallelism"] == 3
    commands = "\n".join(step["run"]["command"] for step in test["steps"] if isinstance(step, dict) and "run" in step)
    assert "SHARD_INDEX=$((CIRCLE_NODE_INDEX + 1))" in commands
    assert "go list ./... > test-files.txt\ncircleci tests split --split-by=timings --timings-type=classname" in commands
    assert {"persist_to_workspace": {"root": ".", "paths": ["coverage-shards"]}} in test["steps"]
    assert {"attach_workspace": {"at": "."}} in gate["steps"]
    gate_commands = [step["run"]["command"] for step in gate["steps"] if isinstance(step, dict) and "run" in step]
    assert gate_commands[0].startswith("{ echo 'mode: atomic'; for profile in coverage-shards/coverage-*.out")
    assert "go tool cover -func=coverage.out" in gate_commands[-1] and "min=80" in gate_commands[-1]
    workflow = config["workflows"]["ci"]["jobs"]
    assert {"coverage": {"requires": ["test"]}} in workflow


def test_circleci_python_shards_take_pytest_files_by_timings() -> None:
    config = SAFE.load(pipeline_text("python-pip", "circleci", 2))
    select = next(step["run"]["command"] for step in config["jobs"]["test"]["steps"]
                  if isinstance(step, dict) and step.get("run", {}).get("name") == "Select this shard's tests")
    assert "circleci tests split --split-by=timings --timings-type=filename test-files.txt" in select


def test_azure_runs_parallel_jobs_publishes_and_downloads_pipeline_artifacts() -> None:
    pipeline = SAFE.load(pipeline_text("python-pip", "azure_devops", 3))
    jobs = {job["job"]: job for job in pipeline["stages"][0]["jobs"]}
    test, gate = jobs["test"], jobs["coverage"]
    assert test["strategy"] == {"parallel": "3"}
    assert test["variables"]["SHARD_INDEX"] == "$(System.JobPositionInPhase)"
    assert test["variables"]["SHARD_TOTAL"] == "$(System.TotalJobsInPhase)"
    publish = next(step for step in test["steps"] if step.get("task") == "PublishPipelineArtifact@1")
    assert publish["inputs"] == {"targetPath": "coverage-shards", "artifact": "coverage-root-shard-$(System.JobPositionInPhase)"}
    assert any(step.get("task") == "PublishTestResults@2" for step in test["steps"])
    assert gate["dependsOn"] == ["test"]
    download = next(step for step in gate["steps"] if step.get("task") == "DownloadPipelineArtifact@2")
    assert download["inputs"]["itemPattern"] == "coverage-root-shard-*/**"
    coverage = next(step for step in gate["steps"] if step.get("task") == "PublishCodeCoverageResults@1")
    assert coverage["inputs"]["summaryFileLocation"] == "coverage.xml"
    assert gate["steps"][-2]["script"] == "python -m coverage report --data-file=.coverage --fail-under=80"


def test_jenkins_runs_parallel_shard_stages_that_stash_and_a_gate_stage_that_unstashes() -> None:
    text = pipeline_text("go", "jenkins", 3)
    for index in (1, 2, 3):
        assert f"stage('Test {index}/3')" in text
        assert f"'SHARD_INDEX=' + '{index}', 'SHARD_TOTAL=' + '3'" in text
        assert f"stash(name: 'coverage-root-{index}', includes: 'coverage-shards/**')" in text
        assert f"unstash('coverage-root-{index}')" in text
    assert text.index("stage('Checks')") < text.index("stage('Coverage gates')") < text.index("stage('Coverage gate')")
    gate = text[text.index("stage('Coverage gate')"):]
    assert "recordCoverage(tools: [[parser: 'COBERTURA', pattern: 'coverage.xml']])" in gate
    assert "junit(" not in gate.split("stage(")[1]


def test_monorepo_units_split_with_their_own_paths_and_gates() -> None:
    config = SAFE.load(pipeline_text("monorepo-py-node", "gitlab_ci", 2))
    gates = {name: job for name, job in config.items() if name.startswith("coverage-")}
    assert gates, "every sharded unit gets a gate"
    for name, gate in gates.items():
        unit = name.removeprefix("coverage-")
        assert gate["needs"] == [f"test-{unit}"]
        assert config[f"test-{unit}"]["parallel"] == 2
        assert gate["rules"] == config[f"test-{unit}"]["rules"]  # both run when the unit's paths change
        assert gate["script"][0].startswith("cd ")


def test_an_ecosystem_without_test_splitting_keeps_one_gated_job_and_the_pull_request_says_why() -> None:
    result = outputs("rust-cargo", "github_actions", test_shards=4)
    jobs = SAFE.load(result["ci_cd_package"]["files"][CONFIGS["github_actions"]])["jobs"]
    assert "strategy" not in jobs["test"] and "coverage" not in jobs
    assert "--fail-under-lines 80" in str(jobs["test"])
    assert "tests run in one job, not 4 shards: cargo-llvm-cov merges only" in result["implementation_guide"]["body"]


def test_the_pull_request_and_the_docs_say_how_the_tests_are_split() -> None:
    result = outputs("python-pip", "github_actions", test_shards=3)
    docs = result["ci_cd_package"]["files"]["docs/ci-cd.md"]
    assert "Test splitting: the tests of `root` run in 3 parallel shards" in docs
    assert "fails below 80%" in docs
    assert "Test splitting" not in outputs("python-pip", "github_actions")["ci_cd_package"]["files"]["docs/ci-cd.md"]
    body = result["implementation_guide"]["body"]
    assert "tests split into 3 parallel shards" in body
    assert "\\`coverage combine\\` merges the shards' data in the coverage gate job" in body


@pytest.mark.parametrize("value", [0, 51, -2, True, "3", 2.5])
def test_a_shard_count_outside_one_to_fifty_is_refused_with_the_value_and_the_range(value: Any) -> None:
    from bot.errors import InputError

    with pytest.raises((UserError, InputError)) as raised:
        run_on_fixture("python-pip", test_shards=value)
    text = str(raised.value)
    assert repr(value) in text or str(value) in text
    assert "test_shards" in text


@pytest.mark.parametrize("value", ["0", "51", "-1", "two", "2.5"])
def test_the_shards_option_in_a_comment_names_the_bad_value_and_the_valid_range(value: str) -> None:
    from bot import messages
    from bot.errors import InputError
    from handlers.commands import parse_comment

    with pytest.raises(InputError) as raised:
        parse_comment(f"/devops setup ci --coverage 90 --shards {value}")
    assert raised.value.problems == [messages.bad_shards(value, 1, 50)]
    assert f"`--shards` must be a whole number from 1 to 50 (got `{value}`)." in str(raised.value)


def test_the_shards_option_reaches_the_pipeline_inputs_and_the_usage_lists_it() -> None:
    from bot import messages
    from bot.jobs import _inputs
    from handlers.commands import parse_comment

    command = parse_comment("/devops setup ci gitlab_ci --shards 4")
    assert command is not None and command.options["test_shards"] == 4
    assert _inputs("/repo", command.options)["test_shards"] == 4
    plain = parse_comment("/devops setup ci")
    assert plain is not None and "test_shards" not in _inputs("/repo", plain.options)
    assert "[--shards N]" in messages.usage()


def test_devops_yml_sets_the_shards_and_refuses_a_count_out_of_range() -> None:
    from bot.config import ConfigError
    from bot.config import load_config
    from bot.config import merge_ci_inputs

    config = load_config("ci:\n  test_shards: 6\n")
    assert config.ci_defaults() == {"test_shards": 6}
    assert merge_ci_inputs({"test_shards": 2}, {}, config)["test_shards"] == 2  # the command wins
    for bad in ("0", "51", "three"):
        with pytest.raises(ConfigError) as raised:
            load_config(f"ci:\n  test_shards: {bad}\n")
        assert "test_shards" in str(raised.value)


def test_the_pipeline_input_range_is_the_generators_range() -> None:
    from bot.pipelines import load_pipeline
    from generators.ci.sharding import MAX_SHARDS

    spec = load_pipeline("ci_cd_setup")["inputs"]["test_shards"]
    assert (spec["minimum"], spec["maximum"], spec["default"]) == (1, MAX_SHARDS, 1)


def test_the_local_setup_ci_command_takes_the_shard_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main
    from ci_support import REPOS

    out = tmp_path / "out"
    assert main(["setup-ci", str(REPOS / "go"), "--platform", "gitlab_ci", "--shards", "2", "--out", str(out)]) == 0
    config = SAFE.load((out / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert config["test"]["parallel"] == 2 and config["coverage"]["needs"] == ["test"]
    assert "tests split into 2 parallel shards" in capsys.readouterr().out
