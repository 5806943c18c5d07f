"""Deployment stage (neutral): one job per environment, on the branch the strategy says, bound to its environment.

Each deploy job logs in (OIDC where the platform has it), records what runs now, rolls out, smoke-tests the
health URL with bounded retries and a timeout, promotes (canary / blue-green), and rolls back on failure. Its
`when` names the branch that deploys there; `approval` marks environments a person must approve; `concurrency`
is one group per environment that never cancels a rollout midway.
"""

from __future__ import annotations

from typing import Any

from bot.templating import markdown_code
from generators.ci import deploy_platforms as dp
from generators.ci.oidc_issuers import deploy_trust

SUPPORTED_PLATFORMS = sorted(dp.PLATFORMS)
ORDER = ["development", "staging", "production"]
ROLLOUT_TIMEOUT = dp.ROLLOUT_TIMEOUT
SMOKE = dp.SMOKE
# Which branch deploys to which environment, per branching strategy ("{default}" is the repository's).
BRANCH_FOR = {
    "github_flow": {"development": "{default}", "staging": "{default}", "production": "{default}"},
    "trunk_based": {"development": "{default}", "staging": "{default}", "production": "{default}"},
    "gitflow": {"development": "develop", "staging": "develop", "production": "{default}"},
    "gitlab_flow": {"development": "{default}", "staging": "{default}", "production": "production"},
}
# Environments a person approves before the deploy starts, per strategy.
APPROVALS = {"trunk_based": {"staging", "production"}}
OIDC_NOTES = {
    "github_actions": "the deploy job alone gets `id-token: write` and logs in with the cloud's login action",
    "gitlab_ci": "the deploy job declares `id_tokens` with the cloud's audience and exchanges $OIDC_TOKEN",
    "azure_devops": "use a service connection with workload identity federation (no secret)",
    "circleci": "the deploy job asks `circleci run oidc get` for a token with the cloud's audience (jobs with a "
                "context only)",
    "jenkins": "Jenkins has no built-in OIDC issuer: install the OpenID Connect Provider plugin, or keep short-lived "
               "credentials in the credentials store",
}


def deployment_name(unit: dict[str, Any]) -> str:
    """The Kubernetes Deployment the unit's image is rolled out to."""
    return "app" if unit["name"] == "root" else unit["name"]


def _publish_id(unit: dict[str, Any]) -> str:
    return f"publish{unit['suffix']}"


def deploy_branches(design: dict[str, Any]) -> list[str]:
    """Branches that deploy somewhere, so images are published from them too."""
    strategy = BRANCH_FOR.get(design["branching"], BRANCH_FOR["github_flow"])
    envs = {str(t.get("environment")) for t in design.get("targets") or [] if t.get("platform") != "vercel"}
    branches = {strategy[env].format(default=design["default_branch"]) for env in envs if env in strategy}
    return sorted(branches)


def publish_jobs(design: dict[str, Any]) -> list[dict[str, Any]]:
    """Push each service image from the branches that deploy (the default branch when none), after its checks."""
    branches = deploy_branches(design)
    extra = [b for b in branches if b != design["default_branch"]]
    when_push: dict[str, Any] = {"push_to_branches": branches} if extra else {"push_to_default": True}
    jobs = []
    for unit in design["units"]:
        if not unit["service"]:
            continue
        label = f" ({unit['name']})" if unit["suffix"] else ""
        jobs.append(
            {
                "id": _publish_id(unit),
                "name": f"Publish image{label}",
                "stage": "publish",
                "unit": unit["name"],
                "when": {"changed": unit["name"], **when_push},
                "needs": [],
                "after": ["lint", "test", "build", "package"],
                "timeout_minutes": 20,
                # Pushing to the registry is the only step that needs packages: write.
                "permissions": {"contents": "read", "packages": "write"},
                "working_directory": None,
                "outputs": ["image"],
                "steps": [
                    {"kind": "checkout"},
                    {"kind": "docker_publish", "context": unit["path"] or ".", "dockerfile": unit["dockerfile"],
                     "image_name": unit["name"]},
                ],
            }
        )
    return jobs


def _order(target: dict[str, Any]) -> tuple[int, str]:
    env = target.get("environment")
    return (ORDER.index(env) if env in ORDER else len(ORDER), str(target.get("platform")))


def deployment_stage(design: dict[str, Any], targets: list[dict[str, Any]]) -> dict[str, Any]:
    """Deploy jobs for the targets; targets that cannot be generated are listed as skipped with the reason."""
    services = [unit for unit in design["units"] if unit["service"]]
    web_units = [unit for unit in design["units"] if unit["language"] == "node" and (unit["service"] or
                                                                                       not unit["library"])]
    result: dict[str, Any] = {"jobs": [], "environments": [], "rollback_procedures": [], "skipped": [],
                              "supported_platforms": SUPPORTED_PLATFORMS, "oidc": OIDC_NOTES,
                              "branching": design.get("branching", "github_flow")}
    strategy = BRANCH_FOR.get(result["branching"], BRANCH_FOR["github_flow"])
    previous_on: dict[str, str] = {}
    seen: set[str] = set()
    for target in sorted(targets or [], key=_order):
        env = str(target.get("environment") or "production")
        platform = str(target.get("platform") or "")
        region = target.get("region") or None
        units = web_units if platform == "vercel" else services
        reason = _skip_reason(env, platform, units, seen)
        if reason:
            result["skipped"].append({"environment": env, "platform": platform, "reason": reason})
            continue
        seen.add(env)
        branch = strategy[env].format(default=design["default_branch"])
        plan = dp.PLATFORMS[platform](env, region, units, len(units) == 1)
        job = _job(env, platform, region, branch, plan, previous_on.get(branch), design)
        result["jobs"].append(job)
        previous_on[branch] = job["id"]
        result["environments"].append({
            "environment": env, "platform": platform, "region": region, "branch": branch,
            "strategy": job["strategy"], "approval": job["approval"],
            "secrets": plan["secrets"], "variables": sorted({*plan["variables"], *plan["per_unit_variables"],
                                                             "HEALTH_URL"}),
            "oidc": plan["oidc"], "note": plan["note"],
            "protection": "required reviewers" if job["approval"] else "optional",
        })
        result["rollback_procedures"].append({
            "environment": env, "platform": platform,
            "automatic": "on a failed rollout or smoke test the job restores the version it recorded before deploying",
            "manual": plan["manual_rollback"],
        })
    return result


def _skip_reason(env: str, platform: str, units: list[dict[str, Any]], seen: set[str]) -> str | None:
    if env not in ORDER:
        return f"{env} is not an environment the pipeline knows ({', '.join(ORDER)})"
    if platform not in dp.PLATFORMS:
        return f"{platform or 'no platform'} is not a supported deploy platform ({', '.join(SUPPORTED_PLATFORMS)})"
    if not units:
        return ("no Node.js web unit to deploy to Vercel" if platform == "vercel" else
                "no unit runs as a service, so there is no image to deploy")
    if env in seen:
        return "one deploy job per environment; the first target was kept"
    return None


def _job(env: str, platform: str, region: str | None, branch: str, plan: dict[str, Any], previous: str | None,
         design: dict[str, Any]) -> dict[str, Any]:
    approval = env == "production" or env in APPROVALS.get(design.get("branching", ""), set())
    smoke = {"kind": "run", "name": "Smoke test", "command": SMOKE, "env": {"HEALTH_URL": {"var": "HEALTH_URL"}}}
    # Canary and blue-green plans check the new version before promoting it; the smoke test runs after promotion.
    steps = [*plan["steps"], *plan["promote"], smoke, *plan["rollback"]]
    permissions = {"contents": "read"}
    if plan["oidc"]:
        permissions["id-token"] = "write"  # OIDC token for the cloud login; no other job gets it
    if any(step["kind"] == "registry_login" for step in steps):
        permissions["packages"] = "read"  # pull the published image to copy it to the platform's registry
    when: dict[str, Any] = ({"push_to_default": True} if branch == design["default_branch"]
                            else {"push_to_branch": branch})
    return {
        "id": f"deploy-{env}",
        "name": f"Deploy to {env} ({platform})",
        "stage": "deploy",
        "unit": None,
        "when": when,
        "needs": [previous] if previous else [],
        "after": [] if platform == "vercel" else ["publish"],
        "timeout_minutes": 30,
        "permissions": permissions,
        "working_directory": None,
        "environment": env,
        "platform": platform,
        "region": region,
        "branch": branch,
        "strategy": dp.strategy_for(env, platform),
        "approval": approval,
        "health_check": {"variable": "HEALTH_URL", "retries": 10, "retry_delay_seconds": 6, "timeout_seconds": 10},
        "concurrency": {"group": f"deploy-{env}", "cancel": False},
        "steps": steps,
    }


_HELP = {
    "AWS_ROLE_ARN": "IAM role the deploy job assumes by OIDC (trust {issuer}, sub {subject})",
    "EKS_CLUSTER": "EKS cluster name",
    "AWS_REGION": "AWS region of the deploy target (the target named none)",
    "K8S_NAMESPACE": "namespace of the Deployments",
    "ECS_CLUSTER": "ECS cluster name", "ECS_SERVICE": "ECS service name",
    "ECS_CONTAINER": "container name in the task definition that runs the image",
    "LAMBDA_FUNCTION": "Lambda function name (image package type) with an alias named after the environment",
    "ECR_REPOSITORY": "ECR repository URI the image is copied to (Lambda runs images from ECR only)",
    "AZURE_CLIENT_ID": "client id of the Entra app or managed identity with a federated credential for this "
                       "environment (issuer {issuer}, subject {subject})",
    "AZURE_TENANT_ID": "Entra tenant id", "AZURE_SUBSCRIPTION_ID": "subscription of the web app",
    "AZURE_RESOURCE_GROUP": "resource group of the web app", "AZURE_WEBAPP_NAME": "App Service web app name",
    "SLOT_HEALTH_URL": "health URL of the web app's `staging` slot, checked before the swap",
    "HEROKU_APP": "Heroku app name", "HEROKU_API_KEY": "API key of a deploy-only Heroku user (no OIDC on Heroku)",
    "VERCEL_TOKEN": "Vercel access token scoped to the team (no OIDC for Vercel deploys)",
    "VERCEL_ORG_ID": "Vercel team (org) id", "VERCEL_PROJECT_ID": "Vercel project id",
    "KUBE_CONFIG": "kubeconfig of a service account allowed to update the Deployments",
    "HEALTH_URL": "URL the smoke test calls after the deploy (retries 10 times, 10 s timeout each)",
}


def describe(name: str, platform: str = "github_actions") -> str:
    """What a deploy secret or variable holds; per-unit names share their base name's text.

    A cloud identity's text names the issuer and subject the platform's deploy tokens carry.
    """
    issuer, subject = deploy_trust(platform)
    for base in sorted(_HELP, key=len, reverse=True):
        if name == base or name.startswith(base + "_"):
            suffix = name[len(base) + 1:]
            text = _HELP[base].format(issuer=issuer.removeprefix("https://"), subject=subject)
            return text + (f" (unit {suffix.lower()})" if suffix else "")
    return name


def deploy_requirements(deployment: dict[str, Any], scope_word: str = "environment",
                        platform: str = "github_actions") -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Secrets and variables each deploy environment reads: [{name, scope, description}] twice."""
    secrets: list[dict[str, str]] = []
    variables: list[dict[str, str]] = []
    for env in deployment.get("environments", []):
        scope = f"{scope_word} {env['environment']}"
        secrets += [{"name": n, "scope": scope, "description": describe(n, platform)} for n in env["secrets"]]
        variables += [{"name": n, "scope": scope, "description": describe(n, platform)} for n in env["variables"]]
    return secrets, variables


def deploy_settings(deployment: dict[str, Any]) -> list[str]:
    """Manual settings for GitHub environments (Markdown): reviewers, deployment branches, cloud trust."""
    settings = []
    for env in deployment.get("environments", []):
        name = markdown_code(env["environment"])
        line = (f"Create the {name} environment (Settings → Environments) and limit deployment branches to "
                f"{markdown_code(env['branch'])}")
        if env["approval"]:
            line += "; add required reviewers: they approve every deploy to it"
        settings.append(line + ".")
        if env["oidc"] == "aws":
            settings.append(f"AWS: create an IAM role for {name} trusting GitHub's OIDC provider "
                            f"(`token.actions.githubusercontent.com`, audience `sts.amazonaws.com`) and set "
                            f"`AWS_ROLE_ARN` on the environment.")
        elif env["oidc"] == "azure":
            settings.append(f"Azure: add a federated credential for {name} to the deploy identity (subject "
                            f"`repo:<owner>/<repo>:environment:{env['environment']}`).")
        if env.get("note"):
            settings.append(f"{env['platform']} ({name}): {env['note']}.")
    return settings


def rollback_runbook(deployment: dict[str, Any]) -> str:
    """The rollback runbook as plain text: what happens on its own, and the command per environment."""
    procedures = deployment.get("rollback_procedures") or []
    if not procedures:
        return "No deployments are generated, so there is nothing to roll back."
    lines = ["A failed rollout or smoke test restores, in the same job, the version recorded before the deploy.",
             "To roll back by hand, then re-run the last good workflow run:"]
    lines += [f"- {item['environment']} ({item['platform']}): {item['manual']}" for item in procedures]
    return "\n".join(lines)
