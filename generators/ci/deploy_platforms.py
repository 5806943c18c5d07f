"""Per-platform deploy steps (neutral): credentials, record the running version, roll out, promote, roll back.

Every job keeps what it replaced in `.deploy-state/<unit>` so the rollback step restores exactly that version,
and does nothing when the rollout never started. Values reach scripts only through `env`.
"""

from __future__ import annotations

import re
from typing import Any

ROLLOUT_TIMEOUT = "300s"
HEROKU_CLI = "heroku@11.10.0"
VERCEL_CLI = "vercel@64.0.2"
STATE = ".deploy-state"
_AWS_REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")

# Cloud logins by OIDC: the provider, the audience of the token and the variables that name the identity.
OIDC = {
    "aws": {"audience": "sts.amazonaws.com", "variables": ["AWS_ROLE_ARN"],
            # Platforms without a login action hand the job's OIDC token to the AWS CLI through a file.
            "exchange": 'mkdir -p "$HOME/.aws" && printf \'%s\' "$OIDC_TOKEN" > "$HOME/.aws/oidc-token"\n'
                        'export AWS_WEB_IDENTITY_TOKEN_FILE="$HOME/.aws/oidc-token"'},
    "azure": {"audience": "api://AzureADTokenExchange",
              "variables": ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"],
              "exchange": 'az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" '
                          '--federated-token "$OIDC_TOKEN" --output none\n'
                          'az account set --subscription "$AZURE_SUBSCRIPTION_ID"'},
}
STRATEGIES = {
    "kubernetes": "rolling_update", "ecs": "blue_green", "lambda": "canary", "app_service": "blue_green",
    "heroku": "rolling_update", "vercel": "blue_green",
}


def strategy_for(environment: str, platform: str) -> str:
    """SPEC section 1: production by platform, staging direct, development continuous."""
    if environment == "production":
        return STRATEGIES[platform]
    return "direct_deployment" if environment == "staging" else "continuous_deployment"


def var(unit: dict[str, Any], base: str, single: bool) -> str:
    """A variable name, suffixed with the unit's name when several services deploy."""
    return base if single else f"{base}_{re.sub(r'[^A-Z0-9]', '_', unit['name'].upper())}"


def _run(name: str, command: str, env: dict[str, Any] | None = None, when: str | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {"kind": "run", "name": name, "command": command}
    if env:
        step["env"] = env
    if when:
        step["when"] = when
    return step


def _image(unit: dict[str, Any]) -> dict[str, Any]:
    return {"needs": [f"publish{unit['suffix']}", "image"]}


def aws_login(region: str | None) -> dict[str, Any]:
    """Assume the deploy role by OIDC; no long-lived AWS keys."""
    # Without a region in the target, the AWS_REGION variable of the environment names it.
    return {"kind": "cloud_login", "provider": "aws", "region": region, **OIDC["aws"]}


def aws_variables(region: str | None) -> list[str]:
    """AWS_ROLE_ARN always; AWS_REGION when the target did not name a region."""
    return ["AWS_ROLE_ARN"] if region else ["AWS_REGION", "AWS_ROLE_ARN"]


def azure_login() -> dict[str, Any]:
    """Log in to Azure with workload identity federation (OIDC)."""
    return {"kind": "cloud_login", "provider": "azure", "region": None, **OIDC["azure"]}


def kubernetes(env: str, region: str | None, services: list[dict[str, Any]], single: bool) -> dict[str, Any]:
    """Rolling update of each Deployment; EKS by OIDC when the region is an AWS one, else a kubeconfig secret."""
    eks = bool(region and _AWS_REGION.fullmatch(region))
    login: list[dict[str, Any]] = [aws_login(region), _run(
        "Get cluster credentials", 'aws eks update-kubeconfig --name "$EKS_CLUSTER" --region "$AWS_REGION"',
        {"EKS_CLUSTER": {"var": "EKS_CLUSTER"}, "AWS_REGION": region})] if eks else [
        {"kind": "k8s_context", "secret": "KUBE_CONFIG"}]
    ns = {"NAMESPACE": {"var": "K8S_NAMESPACE"}}
    steps, undo = list(login), []
    for unit in services:
        name = unit["name"]
        deployment = "app" if name == "root" else name
        unit_env = {**ns, "DEPLOYMENT": deployment}
        steps.append(_run(f"Record the running revision ({name})",
                          f'mkdir -p {STATE}\nkubectl --namespace "$NAMESPACE" get "deployment/$DEPLOYMENT" --output '
                          f"jsonpath='{{.metadata.annotations.deployment\\.kubernetes\\.io/revision}}' > {STATE}/{name}",
                          unit_env))
        # "*" sets every container of the Deployment, so container names need not be known.
        steps.append(_run(f"Deploy {name}",
                          'kubectl --namespace "$NAMESPACE" set image "deployment/$DEPLOYMENT" "*=$IMAGE"\n'
                          f'kubectl --namespace "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" '
                          f"--timeout={ROLLOUT_TIMEOUT}", {**unit_env, "IMAGE": _image(unit)}))
        undo.append((f"if [ -s {STATE}/{name} ]; then\n"
                     f'  kubectl --namespace "$NAMESPACE" rollout undo deployment/{deployment} '
                     f'--to-revision="$(cat {STATE}/{name})"\n'
                     f'  kubectl --namespace "$NAMESPACE" rollout status deployment/{deployment} '
                     f"--timeout={ROLLOUT_TIMEOUT}\nfi"))
    return {"steps": steps, "promote": [], "rollback": [_run("Roll back", "\n".join(undo), ns, "failure")],
            "secrets": [] if eks else ["KUBE_CONFIG"], "oidc": "aws" if eks else None,
            "variables": ["EKS_CLUSTER", *aws_variables(region)] if eks else [], "per_unit_variables": ["K8S_NAMESPACE"],
            "manual_rollback": "kubectl --namespace <namespace> rollout undo deployment/<name>",
            "note": None if eks else "the cluster is reached with a kubeconfig secret: give a region such as "
                                     "eu-west-1 for EKS and OIDC, or use the cloud's own OIDC login"}


def ecs(env: str, region: str | None, services: list[dict[str, Any]], single: bool) -> dict[str, Any]:
    """New task definition revision with the image, then update-service and wait until stable."""
    steps: list[dict[str, Any]] = [aws_login(region)]
    undo = []
    variables = []
    for unit in services:
        name = unit["name"]
        keys = {"CLUSTER": var(unit, "ECS_CLUSTER", single), "SERVICE": var(unit, "ECS_SERVICE", single),
                "CONTAINER": var(unit, "ECS_CONTAINER", single)}
        variables += sorted(keys.values())
        unit_env = {key: {"var": value} for key, value in keys.items()}
        steps.append(_run(f"Record the running task definition ({name})",
                          f'mkdir -p {STATE}\naws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" '
                          f"--query 'services[0].taskDefinition' --output text > {STATE}/{name}", unit_env))
        steps.append(_run(f"Deploy {name}", "\n".join([
            f'aws ecs describe-task-definition --task-definition "$(cat {STATE}/{name})" --query taskDefinition '
            "--output json > task-definition.json",
            # Only the fields register-task-definition accepts are kept; the container gets the new image.
            'jq --arg name "$CONTAINER" --arg image "$IMAGE" \'(.containerDefinitions[] | select(.name == $name) '
            "| .image) = $image' task-definition.json > task-definition.image.json",
            "jq 'del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, "
            ".registeredBy)' task-definition.image.json > task-definition.new.json",
            "arn=$(aws ecs register-task-definition --cli-input-json file://task-definition.new.json "
            "--query 'taskDefinition.taskDefinitionArn' --output text)",
            'aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$arn" '
            "--output none",
            'aws ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE"',
        ]), {**unit_env, "IMAGE": _image(unit)}))
        undo.append(f'if [ -s {STATE}/{name} ]; then\n  aws ecs update-service --cluster "${keys["CLUSTER"]}" '
                    f'--service "${keys["SERVICE"]}" --task-definition "$(cat {STATE}/{name})" --output none\n'
                    f'  aws ecs wait services-stable --cluster "${keys["CLUSTER"]}" --services "${keys["SERVICE"]}"'
                    "\nfi")
    rollback_env = {name: {"var": name} for name in variables if not name.startswith("ECS_CONTAINER")}
    return {"steps": steps, "promote": [], "rollback": [_run("Roll back", "\n".join(undo), rollback_env, "failure")],
            "secrets": [], "oidc": "aws", "variables": [*aws_variables(region), *variables], "per_unit_variables": [],
            "manual_rollback": "aws ecs update-service --cluster <cluster> --service <service> "
                               "--task-definition <previous task definition ARN>",
            "note": "production blue/green needs the service's blue/green deployment strategy (ECS native "
                    "BLUE_GREEN or the CodeDeploy controller); the job registers the task definition and updates "
                    "the service, and ECS shifts traffic. The task must be able to pull the image from ghcr.io "
                    "(public package, or repositoryCredentials)" if env == "production" else
                    "the task must be able to pull the image from ghcr.io (public package, or repositoryCredentials)"}


def lambda_(env: str, region: str | None, services: list[dict[str, Any]], single: bool) -> dict[str, Any]:
    """Image copied to ECR, new version published; production shifts 10% to it, invokes it, then moves the alias."""
    steps: list[dict[str, Any]] = [aws_login(region), {"kind": "registry_login", "registry": "source"}]
    promote, undo, variables = [], [], [*aws_variables(region), "ECR_REPOSITORY"]
    canary = env == "production"
    for unit in services:
        name = unit["name"]
        fn = var(unit, "LAMBDA_FUNCTION", single)
        variables.append(fn)
        unit_env = {"FUNCTION": {"var": fn}, "ALIAS": env, "ECR_REPOSITORY": {"var": "ECR_REPOSITORY"}}
        steps.append(_run(f"Record the live version ({name})",
                          f'mkdir -p {STATE}\naws lambda get-alias --function-name "$FUNCTION" --name "$ALIAS" '
                          f"--query FunctionVersion --output text > {STATE}/{name}", unit_env))
        route = ('aws lambda update-alias --function-name "$FUNCTION" --name "$ALIAS" --routing-config '
                 '"AdditionalVersionWeights={$version=0.1}" --output none' if canary else
                 'aws lambda update-alias --function-name "$FUNCTION" --name "$ALIAS" --function-version "$version" '
                 "--output none")
        steps.append(_run(f"Deploy {name}", "\n".join([
            # Lambda runs images from ECR only, so the published image is copied there first.
            'target="$ECR_REPOSITORY:$(printf \'%s\' "$IMAGE" | sed \'s/.*://\')"',
            'aws ecr get-login-password | docker login --username AWS --password-stdin "${ECR_REPOSITORY%%/*}"',
            'docker pull "$IMAGE" && docker tag "$IMAGE" "$target" && docker push "$target"',
            'aws lambda update-function-code --function-name "$FUNCTION" --image-uri "$target" --output none',
            'aws lambda wait function-updated-v2 --function-name "$FUNCTION"',
            "version=$(aws lambda publish-version --function-name \"$FUNCTION\" --query Version --output text)",
            f'echo "$version" > {STATE}/{name}.new',
            route,
        ]), {**unit_env, "IMAGE": _image(unit)}))
        steps.append(_run(f"Invoke the new version ({name})",
                          f'aws lambda invoke --function-name "$FUNCTION" --qualifier "$(cat {STATE}/{name}.new)" '
                          "--cli-read-timeout 60 --query FunctionError --output text response.json > invoke.txt\n"
                          'if [ "$(cat invoke.txt)" != "None" ]; then cat response.json; exit 1; fi', unit_env))
        if canary:
            promote.append(_run(f"Shift all traffic ({name})",
                                'aws lambda update-alias --function-name "$FUNCTION" --name "$ALIAS" '
                                f'--function-version "$(cat {STATE}/{name}.new)" --routing-config '
                                "'AdditionalVersionWeights={}' --output none", unit_env))
        undo.append(_run(f"Roll back {name}", f"if [ -s {STATE}/{name} ]; then\n"
                         '  aws lambda update-alias --function-name "$FUNCTION" --name "$ALIAS" '
                         f"--function-version \"$(cat {STATE}/{name})\" --routing-config 'AdditionalVersionWeights={{}}' "
                         "--output none\nfi", unit_env, "failure"))
    return {"steps": steps, "promote": promote, "rollback": undo, "secrets": [], "oidc": "aws",
            "variables": variables, "per_unit_variables": [],
            "manual_rollback": "aws lambda update-alias --function-name <function> --name <environment> "
                               "--function-version <previous version>",
            "note": f"each function needs an alias named {env!r}; the HEALTH_URL should reach that alias"}


def app_service(env: str, region: str | None, services: list[dict[str, Any]], single: bool) -> dict[str, Any]:
    """Container set on the app; production goes to the `staging` slot, is checked there, then swapped in."""
    steps: list[dict[str, Any]] = [azure_login()]
    promote, undo, variables = [], [], ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID",
                                        "AZURE_RESOURCE_GROUP"]
    swap = env == "production"
    for unit in services:
        name = unit["name"]
        app = var(unit, "AZURE_WEBAPP_NAME", single)
        variables.append(app)
        unit_env = {"APP": {"var": app}, "GROUP": {"var": "AZURE_RESOURCE_GROUP"}}
        slot = " --slot staging" if swap else ""
        steps.append(_run(f"Record the running image ({name})",
                          f'mkdir -p {STATE}\naz webapp config show --name "$APP" --resource-group "$GROUP"{slot} '
                          f"--query linuxFxVersion --output tsv > {STATE}/{name}", unit_env))
        steps.append(_run(f"Deploy {name}",
                          f'az webapp config container set --name "$APP" --resource-group "$GROUP"{slot} '
                          '--container-image-name "$IMAGE" --output none\n'
                          f'az webapp restart --name "$APP" --resource-group "$GROUP"{slot}',
                          {**unit_env, "IMAGE": _image(unit)}))
        if swap:
            steps.append(_run(f"Smoke test the staging slot ({name})", SMOKE.replace("HEALTH_URL", "SLOT_HEALTH_URL"),
                              {"SLOT_HEALTH_URL": {"var": var(unit, "SLOT_HEALTH_URL", single)}}))
            promote.append(_run(f"Swap into production ({name})",
                                'az webapp deployment slot swap --name "$APP" --resource-group "$GROUP" '
                                f"--slot staging --target-slot production\ntouch {STATE}/{name}.swapped", unit_env))
            undo.append(_run(f"Roll back {name}", f"if [ -f {STATE}/{name}.swapped ]; then\n"
                             '  az webapp deployment slot swap --name "$APP" --resource-group "$GROUP" '
                             "--slot staging --target-slot production\nfi", unit_env, "failure"))
        else:
            undo.append(_run(f"Roll back {name}", f"if [ -s {STATE}/{name} ]; then\n"
                             '  az webapp config set --name "$APP" --resource-group "$GROUP" '
                             f'--linux-fx-version "$(cat {STATE}/{name})" --output none\nfi', unit_env, "failure"))
    return {"steps": steps, "promote": promote, "rollback": undo, "secrets": [], "oidc": "azure",
            "variables": variables + ([var(u, "SLOT_HEALTH_URL", single) for u in services] if swap else []),
            "per_unit_variables": [],
            "manual_rollback": "az webapp deployment slot swap --name <app> --resource-group <group> --slot staging "
                               "--target-slot production" if swap else
                               "az webapp config set --name <app> --resource-group <group> --linux-fx-version "
                               "<previous image>",
            "note": "production needs a deployment slot named `staging` (Standard tier or higher); the app must be "
                    "able to pull from ghcr.io" if swap else "the app must be able to pull the image from ghcr.io"}


def heroku(env: str, region: str | None, services: list[dict[str, Any]], single: bool) -> dict[str, Any]:
    """Image pushed to Heroku's registry and released; Heroku has no OIDC, so an API key is a secret."""
    steps: list[dict[str, Any]] = [{"kind": "registry_login", "registry": "source"},
                                   _run("Install the Heroku CLI", f"npm install --global {HEROKU_CLI}")]
    undo, variables = [], []
    for unit in services:
        name = unit["name"]
        app = var(unit, "HEROKU_APP", single)
        variables.append(app)
        unit_env = {"HEROKU_APP": {"var": app}, "HEROKU_API_KEY": {"secret": "HEROKU_API_KEY"}}
        steps.append(_run(f"Record the current release ({name})",
                          f"mkdir -p {STATE}\nheroku releases --app \"$HEROKU_APP\" --json "
                          f"| jq -r '.[0].version' > {STATE}/{name}", unit_env))
        steps.append(_run(f"Deploy {name}", "\n".join([
            'printf \'%s\' "$HEROKU_API_KEY" | docker login --username _ --password-stdin registry.heroku.com',
            'docker pull "$IMAGE" && docker tag "$IMAGE" "registry.heroku.com/$HEROKU_APP/web"',
            'docker push "registry.heroku.com/$HEROKU_APP/web"',
            'heroku container:release web --app "$HEROKU_APP"',
        ]), {**unit_env, "IMAGE": _image(unit)}))
        undo.append(_run(f"Roll back {name}", f"if [ -s {STATE}/{name} ]; then\n"
                         f'  heroku releases:rollback "v$(cat {STATE}/{name})" --app "$HEROKU_APP"\nfi',
                         unit_env, "failure"))
    return {"steps": steps, "promote": [], "rollback": undo, "secrets": ["HEROKU_API_KEY"], "oidc": None,
            "variables": variables, "per_unit_variables": [],
            "manual_rollback": "heroku releases:rollback --app <app>",
            "note": "Heroku has no OIDC federation, so HEROKU_API_KEY (an authorization of a deploy-only user, "
                    "`heroku authorizations:create`) is a secret; enable preboot for zero-downtime releases"}


def vercel(env: str, region: str | None, units: list[dict[str, Any]], single: bool) -> dict[str, Any]:
    """Build with the Vercel CLI and deploy the prebuilt output; production promotes atomically."""
    prod = env == "production"
    steps: list[dict[str, Any]] = [{"kind": "checkout"}]
    undo, variables = [], ["VERCEL_ORG_ID"]
    flag = " --prod" if prod else ""
    for unit in units:
        name = unit["name"]
        project = var(unit, "VERCEL_PROJECT_ID", single)
        variables.append(project)
        cwd = unit["path"] or "."
        unit_env = {"VERCEL_TOKEN": {"secret": "VERCEL_TOKEN"}, "VERCEL_ORG_ID": {"var": "VERCEL_ORG_ID"},
                    "VERCEL_PROJECT_ID": {"var": project}, "UNIT_DIR": cwd}
        steps.append(_run(f"Deploy {name}", "\n".join([
            f'npx --yes {VERCEL_CLI} pull --yes --environment={"production" if prod else "preview"} '
            '--cwd "$UNIT_DIR" --token "$VERCEL_TOKEN"',
            f'npx --yes {VERCEL_CLI} build{flag} --cwd "$UNIT_DIR" --token "$VERCEL_TOKEN"',
            f'npx --yes {VERCEL_CLI} deploy --prebuilt{flag} --cwd "$UNIT_DIR" --token "$VERCEL_TOKEN"',
            f"mkdir -p {STATE} && touch {STATE}/{name}.deployed",
        ]), unit_env))
        if prod:
            undo.append(_run(f"Roll back {name}", f"if [ -f {STATE}/{name}.deployed ]; then\n"
                             f'  npx --yes {VERCEL_CLI} rollback --yes --cwd "$UNIT_DIR" --token "$VERCEL_TOKEN"\nfi',
                             unit_env, "failure"))
    return {"steps": steps, "promote": [], "rollback": undo, "secrets": ["VERCEL_TOKEN"], "oidc": None,
            "variables": variables, "per_unit_variables": [], "needs_image": False,
            "manual_rollback": "vercel rollback --token <token> (or promote an earlier deployment in the dashboard)"
                               if prod else "preview deployments replace nothing, so there is nothing to roll back",
            "note": "Vercel has no OIDC login for deploys, so VERCEL_TOKEN is a secret (a team-scoped token)"}


SMOKE = ('curl --fail --silent --show-error --location --retry 10 --retry-delay 6 --retry-all-errors --max-time 10 '
         '"$HEALTH_URL"')
PLATFORMS = {"kubernetes": kubernetes, "ecs": ecs, "lambda": lambda_, "app_service": app_service, "heroku": heroku,
             "vercel": vercel}
