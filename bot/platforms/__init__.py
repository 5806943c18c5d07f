"""Where rollouts run: `local` (HAProxy + Prometheus + processes), `kubernetes`, and the platforms still to come."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.errors import UserError
from bot.rollouts.contract import Platform
from bot.rollouts.contract import Rollout

PLATFORMS = ("local", "kubernetes", "ecs", "lambda", "vm_based")
# Platforms a process adds for itself by code (the rollout benchmark's synthetic one); no config reaches them.
_REGISTERED: dict[str, Callable[[dict[str, Any]], Platform]] = {}


def register_platform(name: str, factory: Callable[[dict[str, Any]], Platform]) -> None:
    """Make `name` resolvable in this process: factory(platform_config) builds it."""
    if name in PLATFORMS:
        raise ValueError(f"{name} is a built-in platform")
    _REGISTERED[name] = factory


def platform_for(rollout: Rollout) -> Platform:
    """The platform a rollout names, built from its platform_config; UserError for one not available yet."""
    if rollout.platform in _REGISTERED:
        return _REGISTERED[rollout.platform](rollout.platform_config)
    if rollout.platform == "local":
        from bot.platforms.local import LocalPlatform

        return LocalPlatform.from_config(rollout.platform_config)
    if rollout.platform == "kubernetes":
        from bot.platforms.kubernetes import KubernetesPlatform

        return KubernetesPlatform.from_config(rollout.platform_config)
    if rollout.platform in PLATFORMS:
        raise UserError(not_available(rollout.platform, rollout.app, rollout.environment))
    raise UserError(f"unknown platform {rollout.platform!r}; use one of: {', '.join(PLATFORMS)}")


def not_available(platform: str, app: str | None = None, environment: str | None = None) -> str:
    """Said plainly when a rollout asks for a platform the bot cannot drive yet."""
    if platform in ("ecs", "lambda"):  # their CloudFormation is generated; say where to get it
        from bot.platforms.aws_manifests import manifests_only

        return manifests_only(platform, app, environment)
    return (f"executing deployments on {platform} is not available yet: "
            f"rollouts run on the local and kubernetes platforms today")
