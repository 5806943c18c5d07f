"""CircleCI monorepos: a setup workflow with the path-filtering orb decides which units' jobs run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci_support import run_on_fixture
from generators.ci.circleci_paths import CONTINUE_PATH
from generators.ci.circleci_paths import PATH_FILTERING_ORB
from generators.ci.circleci_paths import glob_regex
from tests.validators import check_circleci

SETUP = ".circleci/config.yml"


def _outputs(case: str) -> dict[str, Any]:
    return run_on_fixture(case, ci_platform="circleci",
                          deployment_targets=[{"environment": "staging", "platform": "kubernetes"}])


def _load(text: str) -> dict[str, Any]:
    return YAML(typ="safe").load(text)


def test_globs_become_the_regular_expressions_the_orb_matches() -> None:
    assert glob_regex("services/api/**") == "services/api/.*"
    assert glob_regex(".circleci/config.yml") == r"\.circleci/config\.yml"
    assert glob_regex("src/*.py") == r"src/[^/]*\.py"


def test_the_setup_workflow_maps_each_units_paths_and_shared_libraries_to_its_parameter() -> None:
    setup = _load(_outputs("monorepo-py-node")["ci_cd_package"]["files"][SETUP])
    assert setup["setup"] is True and setup["orbs"] == {"path-filtering": PATH_FILTERING_ORB}
    filter_job = setup["workflows"]["setup"]["jobs"][0]["path-filtering/filter"]
    assert filter_job["config-path"] == CONTINUE_PATH and filter_job["base-revision"] == "main"
    lines = set(filter_job["mapping"].splitlines())
    assert {"services/api/.* run-api true", "libs/shared/.* run-api true", "services/web/.* run-web true"} <= lines
    assert "libs/shared/.* run-web true" not in lines  # web does not use the shared Python library


def test_unit_checks_halt_when_their_unit_did_not_change_but_publishing_always_runs() -> None:
    files = _outputs("monorepo-py-node")["ci_cd_package"]["files"]
    continued = _load(files[CONTINUE_PATH])
    assert continued["parameters"]["run-api"] == {"type": "boolean", "default": False}
    first = continued["jobs"]["test-api"]["steps"][0]["when"]
    assert first["condition"] == {"not": "<< pipeline.parameters.run-api >>"}
    assert first["steps"][0]["run"]["command"] == "circleci-agent step halt"
    assert continued["jobs"]["publish-api"]["steps"][0] == "checkout"
    assert "ci" in continued["workflows"]


@pytest.mark.validators
def test_both_files_pass_the_circleci_schema(tmp_path: Path) -> None:
    files = _outputs("monorepo-py-node")["ci_cd_package"]["files"]
    problems: list[str] = []
    for name in (SETUP, CONTINUE_PATH):
        path = tmp_path / Path(name).name
        path.write_text(files[name], encoding="utf-8")
        problems += check_circleci(path)
    assert problems == []


def test_a_single_unit_repository_keeps_one_plain_config() -> None:
    files = _outputs("python-pip")["ci_cd_package"]["files"]
    assert CONTINUE_PATH not in files and "setup" not in _load(files[SETUP])


def test_the_pull_request_says_to_enable_dynamic_config() -> None:
    body = _outputs("monorepo-py-node")["implementation_guide"]["body"]
    assert "Enable dynamic config using setup workflows" in body and "path-filtering" in body
