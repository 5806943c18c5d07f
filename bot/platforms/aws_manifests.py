"""The files create_deployment_manifests emits for `ecs` and `lambda`, and what the bot says about running them.

Each platform gets its CloudFormation template and a JSON list of the stages' traffic updates (the
parameter overrides or UpdateAlias requests a stage would make). The bot does not execute them yet:
`manifests_only` is the plain answer a deploy to these platforms gets.
"""

from __future__ import annotations

import json
from typing import Any

from bot.platforms import cloudformation
from bot.platforms import ecs_manifests
from bot.platforms import lambda_manifests
from bot.rollouts.contract import Stage

PLATFORMS = ("ecs", "lambda")
_WHAT = {"ecs": "task definitions, services, blue and green target groups behind a weighted listener rule, "
                "auto scaling and rollback alarms",
         "lambda": "the function, its new version, the `live` alias weighted between the versions, "
                   "and rollback alarms"}


def file_paths(platform: str, app: str, environment: str) -> tuple[str, str]:
    """Where the template and the stage updates go, relative to the output directory."""
    name = cloudformation.resource_name(app, environment)
    return f"{platform}/{name}.cfn.yaml", f"{platform}/{name}.stages.json"


def build_files(platform: str, app: str, artifact: dict[str, Any], environment: str, *, strategy: str,
                stages: list[Stage], config: dict[str, Any], stable_version: str = "") -> dict[str, Any]:
    """{"template": dict, "files": {path: text}} for `platform` (ecs or lambda); UserError for bad config."""
    location, version = str(artifact.get("location", "")), str(artifact.get("version", ""))
    first = stages[0].weight if stages else 0
    if platform == "ecs":
        template = ecs_manifests.build_template(app, location, version, stable_version, environment,
                                                strategy=strategy, stages=stages,
                                                options=ecs_manifests.EcsOptions.from_config(config), canary_weight=first)
        updates = ecs_manifests.stage_updates(stages, strategy)
    elif platform == "lambda":
        template = lambda_manifests.build_template(app, artifact, version, environment, stages=stages,
                                                   options=lambda_manifests.LambdaOptions.from_config(config),
                                                   canary_weight=first)
        updates = lambda_manifests.stage_updates(stages)
    else:
        raise ValueError(f"{platform} has no CloudFormation manifests")
    template_path, stages_path = file_paths(platform, app, environment)
    return {"template": template,
            "files": {template_path: cloudformation.to_yaml(template),
                      stages_path: json.dumps({"strategy": strategy, "stages": updates}, indent=2, sort_keys=True)
                      + "\n"}}


def manifests_only(platform: str, app: str | None = None, environment: str | None = None) -> str:
    """The answer to a deploy on ecs or lambda: what was generated, where to get it, and that nothing ran."""
    app_word = app or "APP"
    template_path, stages_path = file_paths(platform, app or "APP", environment or "ENV")
    where = f" --environment {environment}" if environment else ""
    return (f"executing deployments on {platform} is not available yet, so nothing was deployed. The bot generates "
            f"its CloudFormation: {template_path} ({_WHAT[platform]}) and {stages_path} (each stage's traffic "
            f"update); `devops-bot manifests {app_word}{where} --out DIR` writes them, ready for "
            f"`aws cloudformation deploy`.")


def step_outputs(platform: str, inputs: dict[str, Any], platform_config: dict[str, Any]) -> dict[str, Any]:
    """create_deployment_manifests' outputs for ecs or lambda (pipelines/deployment.yml)."""
    from bot.rollouts.strategies import plan_stages

    plan = inputs.get("plan") or {}
    strategy = str(plan.get("strategy") or "canary")
    app, environment = str(inputs["application"]), str(inputs.get("environment", ""))
    config = dict(platform_config.get(platform) or {})
    built = build_files(platform, app, dict(inputs.get("artifact") or {}), environment, strategy=strategy,
                        stages=plan_stages(strategy, plan.get("settings") or {}), config=config,
                        stable_version=str(inputs.get("stable_version") or ""))
    secrets = sorted(set((config.get("secrets") or {}).values())) if platform == "ecs" else []
    return {"deployment_manifests": {"platform": platform, "application": app, "environment": environment,
                                     "objects": [built["template"]], "files": built["files"]},
            "configuration_maps": {cloudformation.resource_name(app, environment): {"ENVIRONMENT": environment}},
            "secret_references": secrets}
