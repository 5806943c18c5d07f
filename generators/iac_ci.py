"""Terraform for the CI's own needs (registry, artifact storage, OIDC identity) on the deployment targets' clouds."""

from __future__ import annotations

import re
from typing import Any

from bot.templating import render
from generators.ci.deploy import BRANCH_FOR
from generators.iac_cloud_trust import cloud_trust
from generators.iac_cloud_trust import trust_summary
from generators.iac_trust import tfvars as trust_tfvars

ROOT = "infra/ci"
# Deployment platforms that live in exactly one cloud; kubernetes is placed by its region.
PLATFORM_CLOUD = {"ecs": "aws", "lambda": "aws", "app_service": "azure"}
REGION_PATTERNS = [
    ("aws", re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)(-gov)?-[a-z]+-\d$")),
    ("gcp", re.compile(r"^(us|europe|asia|australia|northamerica|southamerica|me|africa)-[a-z]+\d+$")),
    ("azure", re.compile(r"^[a-z]+\d?$")),
]
DESCRIPTIONS = {
    "aws": "ECR repository (scan on push, immutable tags, KMS), S3 artifact bucket, the CI's OIDC provider and role",
    "azure": "Container registry, storage account, user-assigned identity with federated credentials",
    "gcp": "Artifact Registry, GCS artifact bucket, Workload Identity Federation pool and service account",
}
DEFAULT_REGION = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}


def cloud_of(target: dict[str, Any]) -> str | None:
    """The cloud a deployment target runs in, from its platform or else its region; None when unknown."""
    platform = str(target.get("platform") or "")
    if platform in PLATFORM_CLOUD:
        return PLATFORM_CLOUD[platform]
    region = str(target.get("region") or "")
    if platform == "kubernetes":
        return next((cloud for cloud, pattern in REGION_PATTERNS if pattern.match(region)), None)
    return None


def resource_name(repository: str, azure: bool = False) -> str:
    """A short resource-name prefix from the repository name (Azure allows only letters and digits)."""
    base = repository.rsplit("/", 1)[-1].lower()
    name = re.sub(r"[^a-z0-9]+", "" if azure else "-", base).strip("-")[:16].strip("-")
    if not name or not name[0].isalpha():
        name = f"app{name}"[:16]
    return name


def _tfvars(cloud: str, region: str, values: list[tuple[str, Any]], name: str) -> str:
    head: list[tuple[str, Any]] = [("project_id", None)] if cloud == "gcp" else []
    head += [("location" if cloud == "azure" else "region", region), ("name", name)]
    pairs = head + values
    width = max(len(key) for key, _ in pairs)  # terraform fmt aligns the equals signs
    return render("iac/terraform.tfvars.j2", values=[(key.ljust(width), value) for key, value in pairs])


def _scope(targets: list[dict[str, Any]], cloud: str, default_branch: str, branching: str) -> tuple[list[str], list[str]]:
    """The environments deploying to the cloud (all when none does) and the branches they deploy from."""
    every = sorted({str(t["environment"]) for t in targets if t.get("environment")})
    environments = sorted({str(t["environment"]) for t in targets if t.get("environment") and cloud_of(t) == cloud})
    branch_for = BRANCH_FOR.get(branching, BRANCH_FOR["github_flow"])
    environments = environments or every
    branches = sorted({branch_for[env].format(default=default_branch) for env in environments if env in branch_for})
    return environments, branches or [default_branch]


def infrastructure_code(targets: list[dict[str, Any]], repository: str | None, default_branch: str,
                        requested: bool, platform: str = "github_actions",
                        branching: str = "github_flow") -> dict[str, Any]:
    """{"files", "tfvars_templates", "deployment_scripts", "notes"}: one Terraform root per cloud.

    The identity of each root trusts the OIDC tokens of `platform`, the CI the pipeline is generated for.
    """
    clouds: dict[str, str] = {}
    notes: list[str] = []
    for target in targets:
        cloud = cloud_of(target)
        if cloud:
            clouds.setdefault(cloud, str(target.get("region") or DEFAULT_REGION[cloud]))
        elif target.get("platform") == "kubernetes":
            notes.append(f"The region of the {target.get('environment')} kubernetes target does not name a cloud, "
                         "so no CI infrastructure was generated for it.")
    if not clouds and requested:
        clouds["aws"] = DEFAULT_REGION["aws"]
        notes.append("No deployment target names a cloud, so the CI infrastructure is generated for AWS.")
    if repository is None and platform == "github_actions":
        notes.append("Set github_repository in the terraform.tfvars files: the repository was not known here.")
    files: dict[str, str] = {}
    tfvars: dict[str, str] = {}
    for cloud in sorted(clouds):
        environments, branches = _scope(targets, cloud, default_branch, branching)
        files[f"{ROOT}/{cloud}/main.tf"] = render(f"iac/{cloud}.tf.j2", **cloud_trust(platform, cloud))
        values = trust_tfvars(platform, cloud, repository, default_branch, environments, branches)
        tfvars[f"{ROOT}/{cloud}/terraform.tfvars.example"] = _tfvars(
            cloud, clouds[cloud], values, resource_name(repository or "app", azure=cloud == "azure"))
    scripts = {}
    if clouds:
        scripts[f"{ROOT}/deploy.sh"] = render("iac/deploy.sh.j2", clouds=sorted(clouds), default_cloud=sorted(clouds)[0])
        files[f"{ROOT}/README.md"] = render("iac/README.md.j2", clouds=sorted(clouds), descriptions=DESCRIPTIONS,
                                            notes=notes, trust=trust_summary(platform, sorted(clouds)))
    return {"files": {**files, **tfvars, **scripts}, "tfvars_templates": tfvars, "deployment_scripts": scripts,
            "notes": notes}


def ci_infrastructure(platform: str, files: dict[str, Any] | list[str]) -> dict[str, Any] | None:
    """The trust summary of the CI infrastructure among the files (None when there is none), for the PR and docs."""
    clouds = sorted({path.split("/")[2] for path in files if path.startswith(f"{ROOT}/") and path.endswith("/main.tf")})
    return {"root": ROOT, "clouds": clouds, **trust_summary(platform, clouds)} if clouds else None
