"""The clouds the infrastructure pipeline renders, each declared by its own module (generators/infra/cloud_<name>.py).

A cloud module defines `CLOUD = Cloud(...)`. A cloud whose module does not exist yet is known (the pipeline's enum)
but not generated, and requests for it are refused by name.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from generators.infra.model import CLOUDS
from generators.infra.model import InfraDesign

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Cloud:
    """Everything cloud-specific the pipeline needs; the InfraDesign itself stays neutral."""

    name: str  # "aws"
    title: str  # "AWS", in sentences and the pull request title
    default_region: str
    priced_region: str  # the region of the price table
    # The shape of this cloud's region names and two examples for the answer to a wrong one: a region is written
    # into provider blocks, backends and workflows, and another cloud's name there fails only at `terraform init`.
    region_pattern: str
    region_examples: tuple[str, str]
    # compute type -> orchestrator id (InfraDesign.orchestrator); a type missing here is refused by name
    orchestrators: dict[str, str]
    orchestrator_titles: dict[str, str]  # orchestrator id -> "ECS Fargate"
    # Every file under infra/<name>/: modules, environments, state bootstrap, Makefile, README, .checkov.yaml.
    # Arguments: the design and the budget alert limit per environment.
    package_files: Callable[[InfraDesign, dict[str, float]], dict[str, str]]
    module_files: Callable[[InfraDesign, str], dict[str, str]]  # the files of one module (for the pipeline steps)
    estimate: Callable[[InfraDesign], dict[str, Any]]  # the shape of generators.infra.cost.estimate
    price_table: Callable[[], dict[str, Any]]  # must hold "source" and "as_of"
    compliance_file: Path  # {framework: {title, controls: [{id, title, settings, resources}], gaps}}
    # A mapping's resource address -> the address in this design's code, or None when the design has nothing for it
    # (CloudFormation names a list of logical ids: one per service where Terraform has a for_each)
    compliance_resource: Callable[[InfraDesign, str], str | list[str] | None]
    checkov_skips_file: Path  # {everywhere: {check: reason}, non_production: {check: reason}}
    # The pull request's "Plus ..." sentence after the module table: environments, state backend, bootstrap.
    layout_sentence: str
    # Sizing values named after AWS classes (design.BALANCED) -> this cloud's equivalent; {} for AWS.
    size_names: dict[str, str] = field(default_factory=dict)
    # orchestrator -> the Sizing fields its code does not use (left out of the differences table)
    unused_sizes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    queue_note: str = ""  # how queues are built here, when the design has queues
    compute_notes: dict[str, str] = field(default_factory=dict)  # compute type -> what the team must know about it
    # compute type -> every orchestrator a request may choose for it (compute.orchestrator); `orchestrators` holds
    # the one used when nothing chooses
    orchestrator_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # step outputs: iam_policies, automation_rules... (a list, or a list per orchestrator)
    summaries: dict[str, Any] = field(default_factory=dict)
    database_summaries: dict[str, list[str]] = field(default_factory=dict)  # added when the design has a database
    iac_tool: str = "terraform"
    iac_title: str = "Terraform"
    folder: str = ""  # under infra/; the cloud's name when empty
    environment_file: str = "environments/{environment}/terraform.tfvars"  # one environment's values, under root

    @property
    def root(self) -> str:
        """The folder of the package in the repository."""
        return f"infra/{self.folder or self.name}"

    def summary(self, name: str, design: InfraDesign) -> list[Any]:
        """One of the step outputs in `summaries` for this design: its orchestrator's list when they differ by
        compute type, plus the entries of `database_summaries` when the design has a database."""
        found = self.summaries.get(name, [])
        lines = found.get(design.orchestrator, []) if isinstance(found, dict) else found
        return [*lines, *(self.database_summaries.get(name, []) if design.databases else [])]

    def compute_titles(self) -> list[str]:
        """"containers (ECS Fargate)" for every compute type this cloud generates, its choices joined by "or"."""
        return [f"{compute} ({' or '.join(self.orchestrator_titles[name] for name in self.choices(compute))})"
                for compute in self.orchestrators]

    def choices(self, compute: str) -> tuple[str, ...]:
        """The orchestrators of a compute type, the default first."""
        return self.orchestrator_choices.get(compute) or (self.orchestrators[compute],)

    def orchestrator_for(self, compute: str, requested: str | None) -> str:
        """The requested orchestrator when the compute type offers it, else the compute type's default."""
        return requested if requested in self.choices(compute) else self.orchestrators[compute]


MODULES = {name: f"generators.infra.cloud_{name}" for name in CLOUDS if name != "multi_cloud"}
# Other IaC tools a cloud renders the same design with: (cloud, iac_tool) -> module defining CLOUD.
ALTERNATIVES = {("aws", "cloudformation"): "generators.infra.cloud_aws_cloudformation"}


@lru_cache(maxsize=None)
def _load(name: str) -> Cloud | None:
    module = MODULES.get(name)
    if module is None or importlib.util.find_spec(module) is None:
        return None
    return importlib.import_module(module).CLOUD


def available() -> tuple[str, ...]:
    """The clouds that are generated, in the pipeline's order."""
    return tuple(name for name in CLOUDS if _load(name) is not None)


def cloud(name: str) -> Cloud:
    """The named cloud; KeyError for one that is not generated (validate.request_problems says so first)."""
    found = _load(name)
    if found is None:
        raise KeyError(name)
    return found


def iac_tools(name: str) -> tuple[str, ...]:
    """The IaC tools a generated cloud is rendered with: Terraform first, then its alternatives."""
    return (cloud(name).iac_tool, *sorted(tool for owner, tool in ALTERNATIVES if owner == name))


def output(name: str, iac_tool: str = "terraform") -> Cloud:
    """The cloud as rendered by `iac_tool`; KeyError for a pair that is not generated."""
    if iac_tool == cloud(name).iac_tool:
        return cloud(name)
    return importlib.import_module(ALTERNATIVES[(name, iac_tool)]).CLOUD


def for_design(design: InfraDesign) -> Cloud:
    """The cloud and IaC tool the design is rendered with."""
    return output(design.cloud, design.iac_tool)


def load_yaml(path: Path) -> Any:
    """A shipped data file (compliance mapping, checkov skips)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))

