"""What a person sets up on Azure DevOps and Jenkins for the generated pipeline (Markdown, names escaped)."""

from __future__ import annotations

from typing import Any

from bot.templating import markdown_code
from generators.ci.oidc_issuers import audience
from generators.ci.oidc_issuers import deploy_connection

Requirement = dict[str, str]
_HELP = {
    "KUBE_CONFIG": "kubeconfig of a service account allowed to update the Deployments",
    "K8S_NAMESPACE": "namespace of the Deployments",
    "HEALTH_URL": "URL the smoke test calls after deploy",
    "AKS_RESOURCE_GROUP": "resource group of the AKS cluster",
    "AKS_CLUSTER": "name of the AKS cluster",
    "AWS_ROLE_ARN": "IAM role the deploy assumes with the federated token",
}


def azure_settings(design: dict[str, Any], deployment: dict[str, Any]) -> list[str]:
    """Pipeline creation, service connections and environment checks on Azure DevOps."""
    branch = markdown_code(design["default_branch"])
    path = markdown_code(design["workflow_path"])
    settings = [
        f"Pipelines → New pipeline → GitHub → this repository → Existing Azure Pipelines YAML file → {path}.",
        f"Protect {branch} on GitHub and require the Azure Pipelines check before merging.",
    ]
    if any(unit["service"] for unit in design["units"]):
        settings.append("Project settings → Service connections: create a Docker Registry connection named "
                        "`container-registry` (for Azure Container Registry choose workload identity federation).")
    for env in deployment.get("environments", []):
        name = env["environment"]
        settings.append(
            f"Create the {markdown_code(name)} environment (Pipelines → Environments) and an Azure Resource Manager "
            f"service connection named {markdown_code(deploy_connection(name))} using workload identity federation (OIDC, "
            "no stored secret) with rights on the cluster; add an Exclusive Lock check to the environment so "
            "deploys queue instead of overlapping.")
        if name == "production":
            settings.append("Add an Approvals check to the `production` environment (Environments → production → "
                            "Approvals and checks): it is the approval gate for production deploys.")
    return settings


def azure_requirements(design: dict[str, Any], deployment: dict[str, Any]) -> tuple[list[Requirement], list[Requirement]]:
    """Variable-group entries per environment; a kubeconfig secret is replaced by the OIDC service connection."""
    secrets: list[Requirement] = []
    variables: list[Requirement] = []
    if any(unit["service"] for unit in design["units"]):
        variables.append({"name": "CONTAINER_REGISTRY", "scope": "pipeline variable",
                          "description": "login server of the `container-registry` service connection"})
    for env in deployment.get("environments", []):
        scope = f"variable group deploy-{env['environment']}"
        names = list(env.get("variables") or [])
        if "KUBE_CONFIG" in (env.get("secrets") or []):
            names = ["AKS_RESOURCE_GROUP", "AKS_CLUSTER", *names]
        for name in dict.fromkeys(names):
            variables.append({"name": name, "scope": scope, "description": _HELP.get(name, "read by the deploy job")})
        for name in env.get("secrets") or []:
            if name != "KUBE_CONFIG":
                secrets.append({"name": name, "scope": f"{scope} (secret variable)",
                                "description": _HELP.get(name, "read by the deploy job")})
    return secrets, variables


def jenkins_settings(design: dict[str, Any], deployment: dict[str, Any]) -> list[str]:
    """Multibranch job, plugins, agents and credentials on Jenkins."""
    from generators.ci.jenkins import DEPLOY_LABEL
    from generators.ci.jenkins import DOCKER_LABEL
    from generators.ci.jenkins import plugins as needed_plugins

    logs_in = any(env.get("oidc") for env in deployment.get("environments", []))
    plugins = ", ".join(f"{markdown_code(name)} ({what})" for name, what in needed_plugins(logs_in))
    settings = [
        f"Install the plugins: {plugins}.",
        "Create a Multibranch Pipeline job with a GitHub branch source for this repository, script path "
        f"{markdown_code(design['workflow_path'])}, discovering branches and pull requests.",
        f"Provide agents labelled {markdown_code(DOCKER_LABEL)} that run Docker: every stage runs in a container "
        "of the unit's runtime image, and image builds, scans and service containers use Docker directly.",
        f"Protect {markdown_code(design['default_branch'])} on GitHub and require the Jenkins check before merging.",
    ]
    if deployment.get("environments"):
        settings.append(f"Provide agents labelled {markdown_code(DEPLOY_LABEL)} with kubectl and curl that reach "
                        "the clusters.")
    for env in deployment.get("environments", []):
        if env["environment"] == "production":
            settings.append("The production stage waits on an `input` approval; restrict who may approve with "
                            "Jenkins authorization (Job/Build permission) on the job.")
    return settings


def jenkins_requirements(design: dict[str, Any], deployment: dict[str, Any]) -> tuple[list[Requirement], list[Requirement]]:
    """Jenkins credentials and global environment variables the Jenkinsfile reads."""
    from generators.ci.jenkins import credential_id
    from generators.ci.jenkins import oidc_credential

    secrets: list[Requirement] = []
    variables: list[Requirement] = []
    if any(unit["service"] for unit in design["units"]):
        secrets.append({"name": "container-registry", "scope": "Jenkins credential (username with password)",
                        "description": "account allowed to push images"})
        variables.append({"name": "CONTAINER_REGISTRY", "scope": "Jenkins global property",
                          "description": "registry host images are pushed to"})
    for env in deployment.get("environments", []):
        name = env["environment"]
        for secret in env.get("secrets") or []:
            kind = "secret file" if secret == "KUBE_CONFIG" else "secret text"
            secrets.append({"name": credential_id(secret, name), "scope": f"Jenkins credential ({kind})",
                            "description": _HELP.get(secret, f"{secret} for {name}")})
        if env.get("oidc"):
            secrets.append({"name": oidc_credential(env["oidc"], name), "scope": "Jenkins credential (OpenID Connect id token)",
                            "description": f"id token the {env['oidc']} role trusts (OpenID Connect Provider plugin), "
                                           f"audience {audience('jenkins', env['oidc'])}"})
        for variable in env.get("variables") or []:
            variables.append({"name": f"{variable}_{name.upper()}", "scope": "Jenkins global property",
                              "description": _HELP.get(variable, f"{variable} for {name}")})
    return secrets, variables


PLATFORM_REQUIREMENTS = {"azure_devops": azure_requirements, "jenkins": jenkins_requirements}
