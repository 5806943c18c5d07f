"""What each cloud's CI Terraform template lays out for the platform's trust, and what people must set for it."""

from __future__ import annotations

from typing import Any

from generators.ci import oidc_issuers as oidc
from generators.ci.oidc_issuers import LABELS
from generators.ci.jenkins import oidc_credential
from generators.iac_trust import Trust
from generators.iac_trust import to_fill_in
from generators.iac_trust import trust
from generators.infra.hcl import aligned

# Where the deploy jobs of each platform read an identity variable ({name}).
STORE = {
    "github_actions": "{name} as a variable of each GitHub environment",
    "gitlab_ci": "{name} as a CI/CD variable scoped to each environment",
    "circleci": "{name} in each deploy-<environment> context",
    "azure_devops": "{name} in each deploy-<environment> variable group",
    "jenkins": "{name}_<ENVIRONMENT> as Jenkins global properties",
}
IDENTITY = {"aws": "AWS_ROLE_ARN", "azure": "AZURE_CLIENT_ID", "gcp": "GCP_WORKLOAD_IDENTITY_PROVIDER"}
PROVIDER_IDS = {"github_actions": "github-actions", "gitlab_ci": "gitlab-ci", "circleci": "circleci",
                "azure_devops": "azure-devops", "jenkins": "jenkins"}
# google.subject holds at most 127 bytes; CircleCI's subjects (three UUIDs, and the V2 token's ref) can exceed it.
GOOGLE_SUBJECT = {"circleci": "assertion['oidc.circleci.com/project-id']"}
# Federated credential names allow letters, digits, dashes and underscores.
CREDENTIAL_KEY = '${replace(each.key, "/[^0-9A-Za-z_-]/", "-")}'


def _locals(entry: Trust, cloud: str) -> list[tuple[str, str]]:
    pairs = [("oidc_issuer", entry.issuer)]
    if cloud == "aws":
        pairs.append(("oidc_host", 'trimprefix(local.oidc_issuer, "https://")'))  # IAM's condition key prefix
    pairs.append(("oidc_subject_prefix", entry.subject_prefix) if entry.subject_prefix
                 else ("oidc_subjects", entry.subjects))
    return aligned(pairs)


def _identity_note(platform: str, cloud: str) -> str:
    if platform == "azure_devops" and cloud == "azure":
        return ("Client ID of the CI identity: create each deploy job's azure-<environment> service connection "
                "(workload identity federation, manual) with it.")
    verb = {"aws": "assume it", "azure": "sign in as it", "gcp": "exchange their tokens through it"}[cloud]
    return f"Set {STORE[platform].format(name=IDENTITY[cloud])}; the deploy jobs {verb} through OIDC."


def cloud_trust(platform: str, cloud: str) -> dict[str, Any]:
    """The values `iac/<cloud>.tf.j2` renders the trust of the CI identity from."""
    entry = trust(platform, cloud)
    values: dict[str, Any] = {"trust": entry, "locals": _locals(entry, cloud),
                              "identity_note": _identity_note(platform, cloud)}
    exact = not entry.subject_prefix
    if cloud == "aws":
        values["subject_test"] = "StringEquals" if exact else "StringLike"
        values["subject_values"] = "values(local.oidc_subjects)" if exact else '["${local.oidc_subject_prefix}*"]'
    elif cloud == "gcp":
        values["condition"] = ('"assertion.sub in ${jsonencode(values(local.oidc_subjects))}"' if exact
                               else '"assertion.sub.startsWith(${jsonencode(local.oidc_subject_prefix)})"')
        values["google_subject"] = GOOGLE_SUBJECT.get(platform, "assertion.sub")
        values["oidc"] = aligned([("issuer_uri", "local.oidc_issuer")]
                                 + ([("allowed_audiences", f"[{', '.join(entry.audiences)}]")] if entry.audiences else []))
        values["pool_id"] = f'"${{var.name}}-{entry.slug}"'
        values["provider_id"] = PROVIDER_IDS[platform]
        values["display_name"] = f"CI of the {LABELS[platform]} pipeline"
    else:
        values["credential_name"] = f'"{entry.slug}-{CREDENTIAL_KEY}"'
    return values


def _audience_text(platform: str, cloud: str) -> str:
    audience = oidc.audience(platform, cloud)
    if audience is None:
        return "https://iam.googleapis.com/<workload_identity_provider output>"
    return audience.format(org_id="<circleci_org_id>")


def login_notes(platform: str, clouds: list[str]) -> list[str]:
    """How the generated pipeline's deploy logins meet the trust, where people have a part in it."""
    notes = []
    if platform == "gitlab_ci":
        notes.append("The deploy jobs ask for their token with `id_tokens` and the cloud's audience; only the "
                     "`deploy_branches` may use the identity, so deploy from those branches.")
    elif platform == "circleci":
        notes.append("The deploy jobs ask for their token with `circleci run oidc get` and the cloud's audience; "
                     "CircleCI issues tokens only to jobs that use a context, as the deploy jobs do.")
    elif platform == "azure_devops":
        notes.append("The deploy steps run in the `azure-<environment>` service connections (Azure Resource "
                     "Manager, workload identity federation) of `azure_devops_project`; their tokens carry the "
                     "audience `api://AzureADTokenExchange` whatever the cloud.")
    elif platform == "jenkins":
        for cloud in clouds:
            credential = oidc_credential(cloud, "<environment>")
            notes.append(f"Give the `{credential}` id-token credentials (OpenID Connect Provider plugin) the "
                         f"audience `{_audience_text(platform, cloud)}`.")
    return notes


def trust_summary(platform: str, clouds: list[str]) -> dict[str, Any]:
    """Whose tokens the CI identity trusts, the variables people must fill in, and how the logins match."""
    placeholders = {"gitlab_url": "<gitlab_url>", "org_id": "<organization ID>", "jenkins_url": "<jenkins_url>"}
    return {"label": LABELS[platform], "issuer": oidc.issuer(platform, **placeholders),
            "fill_in": [(variable.name, variable.description) for variable in to_fill_in(platform, clouds)],
            "notes": login_notes(platform, clouds)}
