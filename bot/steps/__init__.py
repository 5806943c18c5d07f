"""Step implementations: thin adapters from pipeline inputs to generators/."""

from bot.steps import ci  # noqa: F401
from bot.steps import deploy  # noqa: F401
from bot.steps import infra  # noqa: F401
from bot.steps import monitoring  # noqa: F401
