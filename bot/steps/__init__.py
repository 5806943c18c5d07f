"""Step implementations: thin adapters from pipeline inputs to generators/."""

from bot.steps import ci  # noqa: F401
