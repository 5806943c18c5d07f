"""Helpers for the infrastructure pipeline tests: run it on a fixture repository, read golden cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.engine import run_pipeline
from bot.registry import StepContext
from bot.trees import LocalTree

ROOT = Path(__file__).resolve().parents[2]
REPOS = ROOT / "tests" / "fixtures" / "repos"
GOLDEN = ROOT / "tests" / "golden" / "infra"
PR_BODY = "PULL_REQUEST.md"
FAST_CHECKS = ["python_hcl2"]  # the slow validators run once, in test_infra_terraform.py


def run_infra(fixture: str, *, checks: list[str] | None = None, repository: str = "acme/shop",
              **inputs: Any) -> dict[str, Any]:
    """The pipeline's outputs for a fixture repository."""
    ctx = StepContext(open_tree=lambda path: LocalTree(Path(path)),
                      extras={"repository": repository, "iac_check_tools": checks or FAST_CHECKS})
    values = {"project_path": str(REPOS / fixture), "cloud_provider": "aws", "environment_type": "production",
              **inputs}
    return run_pipeline("infrastructure", values, ctx).outputs


def case_inputs(case: str) -> dict[str, Any]:
    """tests/golden/infra/<case>/input.yml: fixture, repository and pipeline inputs."""
    return YAML(typ="safe").load((GOLDEN / case / "input.yml").read_text(encoding="utf-8"))


def produced(case: str, checks: list[str] | None = None) -> dict[str, str]:
    """Every file of the case plus the pull request body."""
    spec = case_inputs(case)
    outputs = run_infra(spec["fixture"], repository=spec["repository"], checks=checks, **spec["inputs"])
    package = outputs["infrastructure_package"]
    files = dict(package["files"])
    files[PR_BODY] = f"# {package['pull_request']['title']}\n\n{package['pull_request']['body']}"
    return files


CI_FILES = {"github_actions": ".github/workflows/ci.yml", "gitlab_ci": ".gitlab-ci.yml", "circleci": ".circleci/config.yml",
            "azure_devops": "azure-pipelines.yml", "jenkins": "Jenkinsfile"}
CI_REQUIREMENTS = {"compute": "containers", "services": [{"name": "api", "port": 8000}], "databases": ["postgres"],
                   "caches": [], "queues": [], "object_storage": False, "public": True, "unsupported": [],
                   "evidence": []}


def infra_ci(platform: str, cloud: str, *, branch: str = "main", read: Any = None, existing: str | None = None) -> Any:
    """The infrastructure CI (generators.infra.ci.InfraCI) of a small design, for a repository on `platform`."""
    from generators.infra.ci import infrastructure_ci
    from generators.infra.design import design_infrastructure

    design = design_infrastructure(CI_REQUIREMENTS, cloud="aws", environment="production", compliance=[], budget={},
                                   repository="acme/shop", region="eu-west-1")
    return infrastructure_ci(design, cloud=cloud, root=f"infra/{cloud}", existing_ci=[(platform, existing or CI_FILES[platform])],
                             default_branch=branch, read=read or (lambda path: None))


CFN_ROOT = "infra/aws-cloudformation"


def cfn_ci(platform: str, *, branch: str = "main", read: Any = None, existing: str | None = None) -> Any:
    """The CloudFormation CI (generators.infra.ci.InfraCI) of the same small design, for a repository on `platform`."""
    from generators.infra.ci_cloudformation import cloudformation_ci
    from generators.infra.design import design_infrastructure

    design = design_infrastructure(CI_REQUIREMENTS, cloud="aws", environment="production", compliance=[], budget={},
                                   repository="acme/shop", region="eu-west-1")
    return cloudformation_ci(design, root=CFN_ROOT, existing_ci=[(platform, existing or CI_FILES[platform])],
                             default_branch=branch, read=read or (lambda path: None))


def golden_files(files: dict[str, str], root: Path, update: bool) -> dict[str, str]:
    """The golden files under `root` ({relative path: text}), first rewritten from `files` when `update`."""
    from tests.validators import write_files

    if update:
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        write_files(files, root)
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*")) if path.is_file()}


def package_with_ci(tmp_path: Path, name: str, text: str, **inputs: Any) -> dict[str, Any]:
    """The infrastructure package of the python-pip fixture with one more file (a CI configuration) at `name`."""
    import shutil

    repo = shutil.copytree(REPOS / "python-pip", tmp_path / "repo")
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text, encoding="utf-8")
    return run_infra("python-pip", project_path=str(repo), **inputs)["infrastructure_package"]
