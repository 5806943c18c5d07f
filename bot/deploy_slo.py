"""A deploy's success criteria from its repository: `.devops.yml`'s `deploy.<env>.slo` on the default branch.

bot/deploy_rules.py reads the file and calls `with_repository_slo` before the deployment pipeline runs. When
the app's repository selects an SLO, every canary stage is judged by the burn of that SLO's error budget instead
of the apps file's fixed error rate; otherwise the apps file's criteria stand. A file that names a service with
no SLO stops the deploy: a canary must never run on criteria the repository did not mean.
"""

from __future__ import annotations

from typing import Any

from bot.config import RepoConfig
from bot.errors import UserError
from bot.rollouts.slo_criteria import slo_success_criteria
from bot.rollouts.strategies import DEFAULT_CANARY_STAGES

SLO_RULES = "prometheus/rules/slo-{service}.yml"  # where the monitoring pull request writes a service's SLO
SLO_PREFIX, SLO_SUFFIX = SLO_RULES.split("{service}")


def with_repository_slo(inputs: dict[str, Any], config: RepoConfig, tree: Any, repository: str,
                        slo_key: str) -> tuple[dict[str, Any], str | None]:
    """(deployment inputs whose rollout_settings judge the SLO `.devops.yml` selects, a sentence saying so).

    Without a selected SLO the inputs come back unchanged, with no sentence. `tree` is the default branch's;
    `slo_key` is where the file selects it. UserError says precisely why the deploy cannot start.
    """
    app, environment = inputs["application_name"], inputs["target_environment"]
    criteria = slo_success_criteria(config, app, environment)
    if criteria is None:
        return inputs, None
    _check_slo_exists(tree, config, criteria["error_budget_burn"]["service"], repository, slo_key)
    settings = slo_rollout_settings(inputs.get("rollout_settings") or {}, criteria)
    return {**inputs, "rollout_settings": settings}, slo_source(criteria, slo_key, repository)


def slo_rollout_settings(settings: dict[str, Any], criteria: dict[str, Any]) -> dict[str, Any]:
    """`settings` with the SLO criterion in every canary stage (the apps file's stages, else the SPEC's)."""
    stages = settings.get("canary_stages") or DEFAULT_CANARY_STAGES
    return {**settings,
            "canary_stages": [{**stage, "success_criteria": {**(stage.get("success_criteria") or {}), **criteria}}
                              for stage in stages]}


def slo_source(criteria: dict[str, Any], key: str, repository: str) -> str:
    """Where the SLO was selected (`key`) and what it is, for the rollout's thread."""
    burn = criteria["error_budget_burn"]
    limit = burn.get("max_burn_rate", 14.4)
    return (f"Success criteria: the error budget burn of `{burn['service']}`'s SLO ({burn['availability']:g} % "
            f"availability; fail above {limit:g}x), from `{key}` in {repository}'s `.devops.yml`.")


def _check_slo_exists(tree: Any, config: RepoConfig, service: str, repository: str, slo_key: str) -> None:
    """The selected service must have an SLO: its generated rules on the default branch, or an inventory entry."""
    with_rules = sorted(path[len(SLO_PREFIX):-len(SLO_SUFFIX)] for path in tree.paths()
                        if path.startswith(SLO_PREFIX) and path.endswith(SLO_SUFFIX))
    inventory = config.monitoring().get("inventory") or {}
    listed = sorted(str(item.get("name")) for kind in ("containers", "serverless")
                    for item in inventory.get(kind) or [] if isinstance(item, dict) and item.get("name"))
    if service in with_rules or service in listed:
        return
    known = sorted(set(with_rules) | set(listed))
    have = f"services with an SLO there: {', '.join(known)}" if known else "no service has an SLO there yet"
    raise UserError(f"`{slo_key}` in {repository}'s `.devops.yml` judges the canary "
                    f"by the SLO of `{service}`, but {repository} has no SLO for `{service}`: "
                    f"{SLO_RULES.format(service=service)} is not on its default branch and `monitoring.inventory` "
                    f"does not list it ({have}). Merge the `/devops setup monitoring` pull request, or name one of "
                    "those services in `slo.service`.")
