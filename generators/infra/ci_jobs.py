"""What the infrastructure CI runs, whatever the platform: the shell of its checks, plans and applies.

Every command runs in the Terraform root (infra/<cloud>) and goes through its Makefile, so the state backend's
settings live in one place; the platform renderers only decide where, when and with which identity they run.
"""

from __future__ import annotations

from generators.infra.ci_credentials import STATE

TERRAFORM_VERSION = "1.9.8"
CHECKOV_VERSION = "3.3.30"
TERRAFORM_IMAGE = f"hashicorp/terraform:{TERRAFORM_VERSION}"  # Alpine: add make with apk
CHECKOV_IMAGE = "python:3.12-bookworm"  # has make and venv
ENVIRONMENT = "ENVIRONMENT"  # the shell variable that names a plan's environment


def validate(environments: list[str]) -> str:
    """terraform fmt for the whole root, then validate each environment without its backend."""
    lines = ["terraform fmt -check -recursive -diff"]
    for env in environments:
        lines += [f"terraform -chdir=environments/{env} init -backend=false -input=false",
                  f"terraform -chdir=environments/{env} validate"]
    return "\n".join(lines)


def venv_script(name: str, packages: list[str], commands: list[str]) -> str:
    """Commands run with pinned Python tools installed in a fresh venv."""
    return "\n".join([f'venv="$(mktemp -d)/{name}"', 'python3 -m venv "$venv"',
                      f'"$venv/bin/pip" install --quiet {" ".join(packages)}',
                      *(f'PATH="$venv/bin:$PATH" {command}' for command in commands)])


def checkov(environments: list[str]) -> str:
    """checkov per environment through the Makefile (production without the non-production skips), from a venv."""
    return venv_script("checkov", [f"checkov=={CHECKOV_VERSION}"], [f"make checkov ENV={env}" for env in environments])


def init(cloud: str, environment: str) -> str:
    """`make init` with the state backend read from the CI variable that holds it."""
    make_variable, ci_variable = STATE[cloud]
    return f'make init ENV="{environment}" {make_variable}="${ci_variable}"'


def plan(cloud: str) -> str:
    """A plan of $ENVIRONMENT that takes no lock: pull requests only read the state."""
    return "\n".join([init(cloud, f"${ENVIRONMENT}"),
                      f'terraform -chdir="environments/${ENVIRONMENT}" plan -input=false -lock=false -no-color'])


def apply(cloud: str, environment: str) -> str:
    """Plan and apply one environment, with the state lock."""
    return "\n".join([init(cloud, environment), f"make plan ENV={environment}", f"make apply ENV={environment}"])


def paths(root: str, ci_file: str) -> list[str]:
    """What a change must touch for the infrastructure CI to run."""
    return [f"{root}/**", ci_file]


# Hosted Ubuntu agents have no Terraform: HashiCorp's signed apt repository, at the pinned version.
INSTALL_TERRAFORM_APT = "\n".join([
    "wget -qO- https://apt.releases.hashicorp.com/gpg | sudo gpg --dearmor -o /usr/share/keyrings/hashicorp.gpg",
    'echo "deb [signed-by=/usr/share/keyrings/hashicorp.gpg] https://apt.releases.hashicorp.com $(lsb_release -cs) main" '
    "| sudo tee /etc/apt/sources.list.d/hashicorp.list",
    f"sudo apt-get update && sudo apt-get install --yes terraform={TERRAFORM_VERSION}-1",
])
