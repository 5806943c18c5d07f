"""Who issues each CI platform's OIDC tokens, the subjects those tokens carry, and the audience a cloud is shown.

The one description of the platforms' OIDC federation. Issuers, subjects and audiences are templates whose
`{field}`s the CI's own Terraform (generators/iac_trust.py) fills with Terraform references, and the setup texts
(generators/infra/ci.py, generators/ci/deploy.py, docs/ci-cd.md) with placeholders people replace.
"""

from __future__ import annotations

from generators.ci.deploy_platforms import OIDC

LABELS = {"github_actions": "GitHub Actions", "gitlab_ci": "GitLab CI/CD", "circleci": "CircleCI",
          "azure_devops": "Azure Pipelines", "jenkins": "Jenkins"}  # the names people know the platforms by
ISSUERS = {
    "github_actions": "https://token.actions.githubusercontent.com",
    "gitlab_ci": "{gitlab_url}",  # https://gitlab.com, or a self-managed instance's URL
    "circleci": "https://oidc.circleci.com/org/{org_id}",
    "azure_devops": "https://vstoken.dev.azure.com/{org_id}",  # workload identity federation service connections
    "jenkins": "{jenkins_url}/oidc",  # the OpenID Connect Provider plugin, at the Jenkins root
}
# The `sub` of a token, by what the job runs for. GitHub names the environment; GitLab and Jenkins the branch
# (Jenkins: the build's job URL, the plugin's default claim); CircleCI the user who started the pipeline; Azure
# Pipelines the service connection the step runs in.
SUBJECTS = {
    ("github_actions", "branch"): "repo:{repository}:ref:refs/heads/{branch}",
    ("github_actions", "environment"): "repo:{repository}:environment:{environment}",
    ("github_actions", "pull_request"): "repo:{repository}:pull_request",
    ("gitlab_ci", "branch"): "project_path:{project_path}:ref_type:branch:ref:{branch}",
    ("circleci", "user"): "org/{org_id}/project/{project_id}/user/{user}",
    ("azure_devops", "connection"): "sc://{organization}/{project}/{connection}",
    ("jenkins", "branch"): "{job_url}job/{branch}/",
}
# What a deploy job's token is bound to, per platform: the kind of subject above.
DEPLOY_SUBJECT = {"github_actions": "environment", "gitlab_ci": "branch", "circleci": "user",
                  "azure_devops": "connection", "jenkins": "branch"}
DEPLOY_CONNECTION = "azure-{environment}"  # the Azure Resource Manager service connection of a deploy job
# What people read in place of the values only they know, in the setup texts of the generated pipeline.
PLACEHOLDERS = {"repository": "<owner>/<repo>", "environment": "<environment>", "branch": "<branch>",
                "project_path": "<group>/<project>", "gitlab_url": "https://gitlab.com", "org_id": "<organization ID>",
                "project_id": "<project ID>", "user": "<user ID>", "organization": "<organization>",
                "project": "<project>", "connection": DEPLOY_CONNECTION.format(environment="<environment>"),
                "jenkins_url": "https://<your Jenkins>", "job_url": "<job URL>"}


def issuer(platform: str, **fields: str) -> str:
    """The platform's token issuer URL with its fields filled in."""
    return ISSUERS[platform].format(**fields)


def subject(platform: str, kind: str, **fields: str) -> str:
    """A token subject of the given kind (branch, environment, user, connection) with its fields filled in."""
    return SUBJECTS[(platform, kind)].format(**fields)


def deploy_trust(platform: str) -> tuple[str, str]:
    """(issuer, subject) a deploy job's cloud identity must trust on the platform, with placeholders."""
    return issuer(platform, **PLACEHOLDERS), subject(platform, DEPLOY_SUBJECT[platform], **PLACEHOLDERS)


def deploy_connection(environment: str) -> str:
    """The service connection an Azure Pipelines deploy to the environment runs in: its identity's subject."""
    return DEPLOY_CONNECTION.format(environment=environment)


def audience(platform: str, cloud: str) -> str | None:
    """The `aud` of the tokens the platform's jobs present to the cloud; None is GCP's default, the provider's URL.

    GitHub's login actions, GitLab's `id_tokens`, CircleCI's `circleci run oidc get --claims` and Jenkins'
    credentials ask for the cloud's own audience (deploy_platforms.OIDC). Azure Pipelines' service connections are
    always issued for Entra ID's. CircleCI's ambient token, the one GCP's credential file reads, names the
    organization.
    """
    if platform == "azure_devops":
        return str(OIDC["azure"]["audience"])
    if cloud == "gcp":
        return "{org_id}" if platform == "circleci" else None
    return str(OIDC[cloud]["audience"])
