"""Cloud credentials for the infrastructure CI: one function per (cloud, CI platform), none of them a stored key.

Every platform hands an OIDC token to the cloud's federation: AWS through AssumeRoleWithWebIdentity (the Terraform
AWS SDK reads AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE), GCP through Workload Identity Federation (the credential
file `gcloud iam workload-identity-pools create-cred-config --credential-source-file` writes), Azure through a
federated credential (azurerm's ARM_USE_OIDC and ARM_OIDC_TOKEN). GitHub, GitLab, CircleCI and Azure Pipelines'
workload-identity service connections issue the token themselves; Jenkins issues it through the OpenID Connect
Provider plugin, whose id-token credential (one per environment, one for plans) the stage binds.

The identity of an apply job is per environment (an environment-scoped variable, a context, a variable group, a
credential); plans on pull requests use a read-only identity whose variable has `PLAN` in its name.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable

from generators.ci.deploy_platforms import OIDC
from generators.ci.github_steps import uses
from generators.ci.jenkins import OIDC_TOKEN
from generators.ci.jenkins import oidc_credential

TITLES = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure"}  # in headers and the pull request
PLATFORMS = ("github_actions", "gitlab_ci", "circleci", "azure_devops", "jenkins")
# Per cloud: the variable naming the identity of a job, and the ones every job of that cloud also needs.
IDENTITY = {"aws": "AWS_ROLE_ARN", "gcp": "GCP_SERVICE_ACCOUNT", "azure": "AZURE_CLIENT_ID"}
SHARED = {"aws": (), "gcp": ("GCP_WORKLOAD_IDENTITY_PROVIDER",), "azure": ("AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID")}
# The Make variable `make init` takes for the state backend, and the CI variable that holds it.
STATE = {"aws": ("STATE_BUCKET", "TF_STATE_BUCKET"), "gcp": ("STATE_BUCKET", "TF_STATE_BUCKET"),
         "azure": ("STATE_ACCOUNT", "TF_STATE_STORAGE_ACCOUNT")}
AUDIENCE = {cloud: OIDC[cloud]["audience"] for cloud in ("aws", "azure")}  # GCP: the pool provider's name
MEANINGS = {
    "AWS_ROLE_ARN": "the ARN of the IAM role the environment's apply assumes",
    "AWS_PLAN_ROLE_ARN": "the ARN of the read-only IAM role plans assume",
    "GCP_SERVICE_ACCOUNT": "the e-mail of the service account the environment's apply impersonates",
    "GCP_PLAN_SERVICE_ACCOUNT": "the e-mail of the read-only service account plans impersonate",
    "GCP_WORKLOAD_IDENTITY_PROVIDER": "projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER",
    "AZURE_CLIENT_ID": "the client ID of the identity the environment's apply signs in as",
    "AZURE_PLAN_CLIENT_ID": "the client ID of the read-only identity plans sign in as",
    "AZURE_TENANT_ID": "the Entra ID tenant",
    "AZURE_SUBSCRIPTION_ID": "the subscription the resources live in",
    "TF_STATE_BUCKET": "the state bucket, output by the bootstrap",
    "TF_STATE_STORAGE_ACCOUNT": "the state storage account, output by the bootstrap",
}
TOKEN_FILE = "$RUNNER_TEMP_DIR/oidc-token"  # RUNNER_TEMP_DIR is exported by the script first


@dataclass(frozen=True)
class Login:
    """How one job gets cloud credentials on one platform; the fields a platform does not use stay empty."""

    script: str = ""  # shell run before Terraform, in the same shell
    env: dict[str, Any] = field(default_factory=dict)  # job or step environment, in the platform's own syntax
    steps: list[Any] = field(default_factory=list)  # GitHub: action steps before Terraform
    id_tokens: dict[str, Any] = field(default_factory=dict)  # GitLab: the OIDC tokens the job is issued
    connection: str = ""  # Azure Pipelines: the service connection the AzureCLI@2 step runs in
    credential: str = ""  # Jenkins: the id-token credential bound to $OIDC_TOKEN around the shell steps
    variables: tuple[str, ...] = ()  # what people must set where the platform keeps per-environment values


def identity(cloud: str, plan: bool) -> str:
    """AWS_ROLE_ARN, or AWS_PLAN_ROLE_ARN for plans (likewise for the other clouds)."""
    name = IDENTITY[cloud]
    head, rest = name.split("_", 1)
    return f"{head}_PLAN_{rest}" if plan else name


def variables(cloud: str, plan: bool) -> tuple[str, ...]:
    """Every variable a job of the cloud reads: its identity, the shared ones and the state backend."""
    return (identity(cloud, plan), *SHARED[cloud], STATE[cloud][1])


# Shell that turns a token held in a shell expression into the cloud's credentials for Terraform.

def _temp() -> str:
    return 'RUNNER_TEMP_DIR="$(mktemp -d)"'


def _aws_exchange(token: str, role: str, region: str) -> str:
    return "\n".join([_temp(), f"printf '%s' {token} > \"{TOKEN_FILE}\"",
                      f'export AWS_ROLE_ARN="{role}" AWS_WEB_IDENTITY_TOKEN_FILE="{TOKEN_FILE}"',
                      f"export AWS_REGION={shlex.quote(region)} AWS_ROLE_SESSION_NAME=terraform"])


def _gcp_exchange(token: str, provider: str, account: str) -> str:
    config = {"type": "external_account", "audience": f"//iam.googleapis.com/${{{provider}}}",
              "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
              "token_url": "https://sts.googleapis.com/v1/token",
              "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/"
                                                   f"serviceAccounts/${{{account}}}:generateAccessToken",
              "credential_source": {"file": TOKEN_FILE, "format": {"type": "text"}}}
    # The file `gcloud iam workload-identity-pools create-cred-config --credential-source-file` writes; written
    # here so the Terraform image needs no gcloud. No space after the colons: the YAML line wrapper keeps it whole.
    text = json.dumps(config, indent=2, separators=(",", ":"))
    return "\n".join([_temp(), f"printf '%s' {token} > \"{TOKEN_FILE}\"",
                      'cat > "$RUNNER_TEMP_DIR/gcp-credentials.json" <<JSON', text, "JSON",
                      'export GOOGLE_APPLICATION_CREDENTIALS="$RUNNER_TEMP_DIR/gcp-credentials.json"'])


def _azure_exchange(token: str, client: str, tenant: str, subscription: str) -> str:
    return "\n".join([f"ARM_OIDC_TOKEN={token}", f'ARM_SUBSCRIPTION_ID="{subscription}"',
                      f'export ARM_USE_OIDC=true ARM_OIDC_TOKEN ARM_SUBSCRIPTION_ID ARM_CLIENT_ID="{client}" '
                      f'ARM_TENANT_ID="{tenant}"'])


# GitHub Actions: the clouds' own login actions, pinned.

def _github_var(name: str) -> str:
    return f"${{{{ vars.{name} }}}}"


def aws_github_actions(plan: bool, environment: str, region: str) -> Login:
    role = _github_var(identity("aws", plan))
    return Login(steps=[uses("aws-actions/configure-aws-credentials", "AWS credentials (OIDC)",
                             {"role-to-assume": role, "aws-region": region})], variables=variables("aws", plan))


def gcp_github_actions(plan: bool, environment: str, region: str) -> Login:
    return Login(steps=[uses("google-github-actions/auth", "Google Cloud credentials (Workload Identity Federation)",
                             {"workload_identity_provider": _github_var("GCP_WORKLOAD_IDENTITY_PROVIDER"),
                              "service_account": _github_var(identity("gcp", plan))})],
                 variables=variables("gcp", plan))


def azure_github_actions(plan: bool, environment: str, region: str) -> Login:
    client, tenant, subscription = (_github_var(identity("azure", plan)), _github_var("AZURE_TENANT_ID"),
                                    _github_var("AZURE_SUBSCRIPTION_ID"))
    # azure/login signs the az CLI in; azurerm asks GitHub for its own OIDC token with ARM_USE_OIDC.
    return Login(steps=[uses("azure/login", "Azure sign-in (OIDC)",
                             {"client-id": client, "tenant-id": tenant, "subscription-id": subscription})],
                 env={"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": client, "ARM_TENANT_ID": tenant,
                      "ARM_SUBSCRIPTION_ID": subscription},
                 variables=variables("azure", plan))


# GitLab CI/CD: an id_tokens token per job, read from $CLOUD_OIDC_TOKEN.

def _gitlab_token(audience: str) -> dict[str, Any]:
    return {"CLOUD_OIDC_TOKEN": {"aud": audience}}


def aws_gitlab_ci(plan: bool, environment: str, region: str) -> Login:
    return Login(script=_aws_exchange('"$CLOUD_OIDC_TOKEN"', f"${identity('aws', plan)}", region),
                 id_tokens=_gitlab_token(AUDIENCE["aws"]), variables=variables("aws", plan))


def gcp_gitlab_ci(plan: bool, environment: str, region: str) -> Login:
    audience = "https://iam.googleapis.com/${GCP_WORKLOAD_IDENTITY_PROVIDER}"  # GitLab expands variables in aud
    return Login(script=_gcp_exchange('"$CLOUD_OIDC_TOKEN"', "GCP_WORKLOAD_IDENTITY_PROVIDER", identity("gcp", plan)),
                 id_tokens=_gitlab_token(audience), variables=variables("gcp", plan))


def azure_gitlab_ci(plan: bool, environment: str, region: str) -> Login:
    return Login(script=_azure_exchange('"$CLOUD_OIDC_TOKEN"', f"${identity('azure', plan)}", "$AZURE_TENANT_ID",
                                        "$AZURE_SUBSCRIPTION_ID"),
                 id_tokens=_gitlab_token(AUDIENCE["azure"]), variables=variables("azure", plan))


# CircleCI: every job carries $CIRCLE_OIDC_TOKEN_V2 (audience: the organization ID); Azure needs its own audience.

CIRCLE_TOKEN = '"$CIRCLE_OIDC_TOKEN_V2"'


def aws_circleci(plan: bool, environment: str, region: str) -> Login:
    return Login(script=_aws_exchange(CIRCLE_TOKEN, f"${identity('aws', plan)}", region),
                 variables=variables("aws", plan))


def gcp_circleci(plan: bool, environment: str, region: str) -> Login:
    return Login(script=_gcp_exchange(CIRCLE_TOKEN, "GCP_WORKLOAD_IDENTITY_PROVIDER", identity("gcp", plan)),
                 variables=variables("gcp", plan))


def azure_circleci(plan: bool, environment: str, region: str) -> Login:
    token = f"\"$(circleci run oidc get --claims '{{\"aud\":\"{AUDIENCE['azure']}\"}}')\""
    return Login(script=_azure_exchange(token, f"${identity('azure', plan)}", "$AZURE_TENANT_ID",
                                        "$AZURE_SUBSCRIPTION_ID"),
                 variables=variables("azure", plan))


# Azure Pipelines: an AzureCLI@2 step in a workload-identity service connection, whose federated token
# addSpnToEnvironment exposes as $idToken (with $servicePrincipalId and $tenantId).

def _connection(plan: bool, environment: str) -> str:
    return "infra-plan" if plan else f"infra-{environment}"


def _azure_macros(names: tuple[str, ...]) -> dict[str, str]:
    return {name: f"$({name})" for name in names}


def aws_azure_devops(plan: bool, environment: str, region: str) -> Login:
    role = identity("aws", plan)
    return Login(script=_aws_exchange('"$idToken"', f"${role}", region), env=_azure_macros((role,)),
                 connection=_connection(plan, environment), variables=variables("aws", plan))


def gcp_azure_devops(plan: bool, environment: str, region: str) -> Login:
    account = identity("gcp", plan)
    return Login(script=_gcp_exchange('"$idToken"', "GCP_WORKLOAD_IDENTITY_PROVIDER", account),
                 env=_azure_macros(("GCP_WORKLOAD_IDENTITY_PROVIDER", account)),
                 connection=_connection(plan, environment), variables=variables("gcp", plan))


def azure_azure_devops(plan: bool, environment: str, region: str) -> Login:
    # The service connection is the identity: its client, tenant and subscription come with it.
    return Login(script=_azure_exchange('"$idToken"', "$servicePrincipalId", "$tenantId",
                                        "$(az account show --query id --output tsv)"),
                 connection=_connection(plan, environment), variables=(STATE["azure"][1],))


# Jenkins: the OpenID Connect Provider plugin's id-token credential of the plan or the environment, bound to
# $OIDC_TOKEN; each environment's identity is a global property suffixed with its name (AWS_ROLE_ARN_PRODUCTION).
JENKINS_TOKEN = f'"${OIDC_TOKEN}"'
# Jenkins agents outlive the build, unlike the other platforms' job containers: the token file goes with the step
# (set first, so a failed exchange removes it too; the variable is read when the shell exits).
REMOVE_TOKEN_FILE = """trap 'rm -rf "$RUNNER_TEMP_DIR"' EXIT"""


def _jenkins_var(name: str, plan: bool, environment: str) -> str:
    return name if plan else f"{name}_{environment.upper()}"


def jenkins_credential(cloud: str, plan: bool, environment: str) -> str:
    """oidc-aws-infra-plan, or oidc-aws-infra-<environment> for an apply."""
    return oidc_credential(cloud, f"infra-{'plan' if plan else environment}")


def jenkins_credentials(cloud: str, environments: list[str]) -> dict[str, str]:
    """The credential of plans ("plan") and of each environment's apply, for the pull request's setup section."""
    return {"plan": jenkins_credential(cloud, True, ""), **{env: jenkins_credential(cloud, False, env)
                                                             for env in environments}}


def _jenkins_login(cloud: str, plan: bool, environment: str, script: str) -> Login:
    return Login(script=script, credential=jenkins_credential(cloud, plan, environment),
                 variables=(_jenkins_var(identity(cloud, plan), plan, environment), *SHARED[cloud], STATE[cloud][1]))


def aws_jenkins(plan: bool, environment: str, region: str) -> Login:
    role = _jenkins_var(identity("aws", plan), plan, environment)
    return _jenkins_login("aws", plan, environment,
                          f"{REMOVE_TOKEN_FILE}\n{_aws_exchange(JENKINS_TOKEN, f'${role}', region)}")


def gcp_jenkins(plan: bool, environment: str, region: str) -> Login:
    account = _jenkins_var(identity("gcp", plan), plan, environment)
    exchange = _gcp_exchange(JENKINS_TOKEN, "GCP_WORKLOAD_IDENTITY_PROVIDER", account)
    return _jenkins_login("gcp", plan, environment, f"{REMOVE_TOKEN_FILE}\n{exchange}")


def azure_jenkins(plan: bool, environment: str, region: str) -> Login:
    client = _jenkins_var(identity("azure", plan), plan, environment)
    # azurerm reads the token from ARM_OIDC_TOKEN: no file to remove.
    return _jenkins_login("azure", plan, environment,
                          _azure_exchange(JENKINS_TOKEN, f"${client}", "$AZURE_TENANT_ID", "$AZURE_SUBSCRIPTION_ID"))


LOGINS: dict[tuple[str, str], Callable[[bool, str, str], Login]] = {
    (cloud, platform): globals()[f"{cloud}_{platform}"] for cloud in IDENTITY for platform in PLATFORMS
}


def login(cloud: str, platform: str, *, plan: bool, environment: str, region: str) -> Login:
    """The credentials of a plan (read-only identity) or an environment's apply on the platform."""
    return LOGINS[(cloud, platform)](plan, environment, region)
