"""The contract every generated cloud keeps (generators/infra/clouds.py): data files, compute types, file layout."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.iac_checks import CHECKOV_RENDERING
from bot.iac_checks import write_tree

from generators.infra import clouds
from generators.infra.compliance import mapping
from generators.infra.design import design_infrastructure
from generators.infra.model import CLOUDS
from generators.infra.model import FRAMEWORKS
from generators.infra.package import checkov_skips
from generators.infra.package import infrastructure_package
from generators.infra.validate import request_problems

REQUIREMENTS = {"compute": "containers", "public": True, "services": [{"name": "api", "port": 8000}],
                "databases": ["postgres"], "caches": ["redis"], "queues": [], "object_storage": True,
                "evidence": []}


def test_aws_is_generated_and_multi_cloud_is_not() -> None:
    assert "aws" in clouds.available()
    assert "multi_cloud" not in clouds.available()
    assert set(clouds.available()) <= set(CLOUDS)
    with pytest.raises(KeyError):
        clouds.cloud("multi_cloud")
    assert request_problems("multi_cloud", "production", [], {}) == [
        f"cloud 'multi_cloud' is not generated yet; available now: {', '.join(clouds.available())}"]


@pytest.mark.parametrize("name", clouds.available())
def test_each_cloud_ships_its_data(name: str) -> None:
    cloud = clouds.cloud(name)
    assert cloud.name == name and cloud.root == f"infra/{name}"
    assert set(mapping(name)) == set(FRAMEWORKS)
    skips = checkov_skips(name)
    assert all(reason.strip() for section in skips.values() for reason in section.values())
    prices = cloud.price_table()
    assert prices["source"] and prices["as_of"]
    assert set(cloud.orchestrators.values()) <= set(cloud.orchestrator_titles)
    assert cloud.default_region and cloud.layout_sentence


DECLARED = [(name, compute) for name in clouds.available() for compute in clouds.cloud(name).orchestrators]


@pytest.mark.parametrize(("name", "compute"), DECLARED)
def test_each_cloud_renders_every_compute_type_it_declares(name: str, compute: str) -> None:
    cloud = clouds.cloud(name)
    design = design_infrastructure({**REQUIREMENTS, "compute": compute}, cloud=name, environment="production",
                                   compliance=list(FRAMEWORKS), budget={}, repository="acme/shop", region=None)
    package = infrastructure_package(design)
    under_root = [path for path in package["files"] if path.startswith(cloud.root + "/")]
    assert {path for path in package["files"] if path not in under_root} == {"docs/compliance.md"}
    for env in ("development", "staging", "production"):
        assert any(path.startswith(f"{cloud.root}/environments/{env}/") for path in under_root)
    assert {f"{cloud.root}/Makefile", f"{cloud.root}/README.md", f"{cloud.root}/.checkov.yaml"} <= set(under_root)
    assert set(package["cost"]["totals"]) == {"development", "staging", "production"}
    assert all(framework["controls"] for framework in package["compliance"].values())
    assert infrastructure_package(design) == package  # byte-identical on repeat


@pytest.mark.parametrize(("name", "iac_tool"), [*((name, "terraform") for name in clouds.available()),
                                                ("aws", "cloudformation")])
def test_the_generated_makefile_runs_checkov_as_the_bot_does(name: str, iac_tool: str, tmp_path: Path) -> None:
    """CI runs `make checkov`: it must fill in variables as far as the bot's own checkov run does."""
    design = design_infrastructure(REQUIREMENTS, cloud=name, environment="production", compliance=[], budget={},
                                   repository="acme/shop", region=None)
    package = infrastructure_package(replace(design, iac_tool=iac_tool))
    write_tree(package["files"], tmp_path)
    root = next(path for path in package["files"] if path.endswith("/Makefile")).removesuffix("/Makefile")
    done = subprocess.run(["make", "-n", "-C", str(tmp_path / root), "checkov", "ENV=production"],
                          capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    settings = " ".join(f"{key}={value}" for key, value in CHECKOV_RENDERING.items())
    assert f"{settings} checkov -d " in done.stdout
