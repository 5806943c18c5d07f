"""The infrastructure CI of every platform and cloud: the platform's validators, golden files, stable bytes.

`pytest --update-golden` rewrites tests/golden/infra-ci/<platform>-<cloud>/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_support import CI_FILES
from infra_support import ROOT
from infra_support import golden_files
from infra_support import infra_ci
from tests.validators import check_azure_pipelines
from tests.validators import check_circleci
from tests.validators import check_github_workflow
from tests.validators import check_gitlab_ci
from tests.validators import check_jenkinsfiles
from tests.validators import check_yaml
from tests.validators import write_files

GOLDEN = ROOT / "tests" / "golden" / "infra-ci"
CLOUDS = ["aws", "gcp", "azure"]
CASES = [(platform, cloud) for platform in CI_FILES for cloud in CLOUDS]
SETUP = "PULL_REQUEST_SECTION.md"
YAML_CHECKS = {"github_actions": check_github_workflow, "gitlab_ci": check_gitlab_ci, "circleci": check_circleci,
               "azure_devops": check_azure_pipelines}


def produced(platform: str, cloud: str) -> dict[str, str]:
    ci = infra_ci(platform, cloud)
    return {**ci.files, SETUP: ci.setup + "\n"}


@pytest.mark.validators
@pytest.mark.parametrize("platform", sorted(YAML_CHECKS))
def test_every_cloud_s_file_passes_the_platform_s_validators_and_yamllint(platform: str, tmp_path: Path) -> None:
    findings = []
    for cloud in CLOUDS:
        [path] = write_files(infra_ci(platform, cloud).files, tmp_path / cloud)
        findings += YAML_CHECKS[platform](path) + check_yaml([path])
    assert findings == []


@pytest.mark.validators
def test_every_cloud_s_jenkinsfile_passes_groovy_lint_and_the_declarative_shape(tmp_path: Path) -> None:
    paths = [path for cloud in CLOUDS for path in write_files(infra_ci("jenkins", cloud).files, tmp_path / cloud)]
    assert len(paths) == 3
    assert check_jenkinsfiles(paths) == []


@pytest.mark.parametrize(("platform", "cloud"), CASES)
def test_the_files_match_the_golden_files(platform: str, cloud: str, update_golden: bool) -> None:
    files = produced(platform, cloud)
    root = GOLDEN / f"{platform}-{cloud}"
    expected = golden_files(files, root, update_golden)
    assert files == expected


@pytest.mark.parametrize(("platform", "cloud"), CASES)
def test_generating_twice_gives_identical_bytes(platform: str, cloud: str) -> None:
    assert produced(platform, cloud) == produced(platform, cloud)
