"""`.devops.yml` `permissions` for a Slack user running `/devops setup monitoring|infra OWNER/REPO`.

A Slack user has no GitHub login or repository role, so the rule for the command applies like this,
the way `/deploy` approvers are checked (Slack member ids, and user group ids resolved through
usergroups.users.list):
- a list admits the Slack members it names (`slack:U…`, `slack:W…`) and the members of the Slack user
  groups it names (`slack:S…`); its GitHub logins and @org/teams admit nobody in Slack;
- a level the file writes (`write`, `maintain`, …, for the command or as `default`) refuses every Slack
  user: a level is a GitHub role, which no Slack user can be shown to have;
- no rule written: anyone in the workspace may run it, as before: the job only opens a pull request,
  which people with write access on GitHub review and merge.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import RepoConfig
from bot.slack_blocks import mention

PREFIX = "slack:"


def slack_refusal(config: RepoConfig, command: str, repository: str, user: str,
                  members_of: Callable[[str], set[str]]) -> str | None:
    """Why Slack user `user` may not run `command` on `repository` (None: they may)."""
    written = config.data.get("permissions", {})
    key = command if command in written else "default" if "default" in written else None
    if key is None:
        return None
    rule = written[key]
    where = f"`permissions.{key}` in {repository}'s `.devops.yml`"
    if isinstance(rule, str):
        return (f"you can't run `/devops {command}` on {repository} from Slack: {where} is `{rule}`, a GitHub role "
                f"that Slack users do not have. To let Slack users run it, list them there as `slack:U…` (member "
                "ids) or `slack:S…` (user group ids).")
    slack_ids = [entry[len(PREFIX):] for entry in rule if entry.startswith(PREFIX)]
    if user in slack_ids or any(i.startswith("S") and user in members_of(i) for i in slack_ids):
        return None
    admitted = ", ".join(mention(i) for i in slack_ids) if slack_ids else "no Slack member or user group"
    return (f"you can't run `/devops {command}` on {repository}: {where} lets only "
            f"{', '.join(f'`{entry}`' for entry in rule)} run it, and of those it admits {admitted} in Slack; "
            f"you ({mention(user)}) are not among them.")
