"""Every cloud's Terraform: a module declares only the variables it reads and is passed exactly what it declares;
an environment declares and sets only the variables its main.tf reads."""

from __future__ import annotations

import re
from typing import Any

import pytest

from generators.infra.design import design_infrastructure
from generators.infra.package import infrastructure_package

QUOTE = '"'  # python-hcl2 keeps the quotes around block labels
REQUIREMENTS = {"compute": "containers", "public": True,
                "services": [{"name": "api", "port": 8000}, {"name": "web", "port": 3000}],
                "databases": ["postgres"], "caches": ["redis"], "queues": ["jobs"], "object_storage": True,
                "evidence": []}
# (cloud, compute, orchestrator): every orchestrator of every cloud's Terraform.
RUNTIMES = [("aws", "containers", None), ("aws", "containers", "eks"), ("aws", "vms", None),
            ("aws", "serverless", None), ("gcp", "containers", None), ("gcp", "containers", "gke"),
            ("gcp", "vms", None), ("azure", "containers", None), ("azure", "vms", None),
            ("azure", "serverless", None)]
CHANGES = [{}, {"public": False}, {"databases": ["mysql"], "object_storage": False},
           {"public": False, "databases": [], "caches": [], "queues": [], "object_storage": False}]


def _variables(hcl2: Any, files: dict[str, str], folder: str) -> tuple[set[str], set[str], set[str]]:
    """(declared, declared with a default, read as var.X) in one Terraform folder."""
    texts = [text for path, text in files.items() if path.startswith(f"{folder}/") and path.endswith(".tf")]
    blocks = [(label.strip(QUOTE), body) for text in texts for block in hcl2.loads(text).get("variable", [])
              for label, body in block.items()]
    defaulted = {name for name, body in blocks if "default" in body}
    return {name for name, _ in blocks}, defaulted, {name for text in texts for name in re.findall(r"\bvar\.(\w+)", text)}


@pytest.mark.parametrize("cloud, compute, orchestrator", RUNTIMES)
@pytest.mark.parametrize("changes", CHANGES)
def test_every_declared_variable_is_read_and_every_passed_argument_is_declared(
        cloud: str, compute: str, orchestrator: str | None, changes: dict[str, Any]) -> None:
    hcl2 = pytest.importorskip("hcl2")
    built = design_infrastructure({**REQUIREMENTS, "compute": compute, "orchestrator": orchestrator, **changes},
                                  cloud=cloud, environment="production", compliance=[], budget={},
                                  repository="acme/shop", region=None)
    assert orchestrator in (None, built.orchestrator)
    files, root = infrastructure_package(built)["files"], f"infra/{cloud}"
    main = hcl2.loads(files[f"{root}/environments/production/main.tf"])
    for block in main["module"]:
        (label, arguments), = block.items()
        folder = f"{root}/modules/{label.strip(QUOTE)}"
        declared, defaulted, read = _variables(hcl2, files, folder)
        passed = {key for key in arguments if key not in ("source", "__is_block__")}
        assert declared - read == set(), folder
        assert passed <= declared and declared - passed <= defaulted, folder  # only optional inputs left unset
    for env in ("development", "staging", "production"):
        folder = f"{root}/environments/{env}"
        declared, _, read = _variables(hcl2, files, folder)
        assert declared - read == set(), env
        tfvars = set(re.findall(r"^(\w+)\s+=", files[f"{folder}/terraform.tfvars"], re.MULTILINE))
        assert tfvars <= declared, env
