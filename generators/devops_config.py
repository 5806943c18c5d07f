"""A commented `.devops.yml` for a repository, filled with what the analysis found (pure)."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.comments import CommentedSeq

from generators.analysis.model import Analysis
from generators.ci.design import infer_project_type

PLATFORMS = "github_actions, gitlab_ci, jenkins, circleci, azure_devops"
STRATEGIES = "gitflow, github_flow, gitlab_flow, trunk_based"
TYPES = "web_app, api, library, mobile, microservices, monorepo"
_GATE_NOTES = {
    "test_coverage_threshold": "Minimum test coverage in percent (0-100); the test job fails below it.",
    "security_scan_required": "Run the security stage (code, dependency, secret and container scans).",
    "performance_benchmarks": "Run performance benchmarks in CI.",
}
_EXAMPLES = """
Sections you can add (see the schema for every key):
deploy:
  environments:
    production:
      approvers: ["@my-org/ops"]      # GitHub logins, @org/teams, Slack user ids or @groups
      allow_self_approval: false
      strategy: canary                # blue_green, canary, rolling, recreate
      manual_approval_points: ["25%", "50%"]
      gate: {timeout_minutes: 60, on_timeout: rollback}   # rollback, pause, proceed
monitoring:
  stack: prometheus_grafana           # prometheus_grafana, elk, datadog, new_relic, custom
  alert_channels:
    - {type: slack, target: "#alerts"}   # email, slack, pagerduty, webhook, sms
infrastructure:
  cloud_provider: aws                 # aws, gcp, azure
  iac_tool: terraform                 # terraform, cloudformation
  compliance: [gdpr]                  # hipaa, pci_dss, sox, gdpr, fedramp
  budget: 500                         # US dollars a month
onboarding:
  include_forks: false"""


def devops_yml(analysis: Analysis, ci_inputs: dict[str, Any], *, schema_url: str | None = None) -> str:
    """The .devops.yml text: detected settings, each key with a comment, the schema for editors."""
    root = CommentedMap()
    root.yaml_set_start_comment("\n".join([
        f"yaml-language-server: $schema={schema_url}" if schema_url else
        "Schema: schemas/devops.schema.json of devops-bot (the bot serves it at /schemas/devops.schema.json).",
        "devops-bot settings for this repository. Every key is optional: delete what you do not need.",
        "An option written in a /devops command wins over this file, and this file wins over what",
        "devops-bot detects. What it detected:",
        *[f"  {line}" for line in _detected(analysis)],
    ]))
    root["enabled"] = True
    root.yaml_set_comment_before_after_key("enabled", before="\nfalse turns devops-bot off for this repository "
                                                             "(no pull requests, no commands).")
    root["ci"] = _ci(analysis, ci_inputs)
    root.yaml_set_comment_before_after_key("ci", before="\nDefaults for `/devops setup ci`.")
    root["permissions"] = CommentedMap([("default", "write"), ("help", "read")])
    root["permissions"].yaml_set_comment_before_after_key(
        "default", before="A level (read, triage, write, maintain, admin) means that access or above;\n"
                          "a list names GitHub logins and @org/teams. Admins may always run every command.", indent=2)
    root.yaml_set_comment_before_after_key("permissions", before="\nWho may run which command "
                                                                 "(keys: default, setup ci, deploy, status, ...).")
    out = io.StringIO()
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # keep each comment and value on its line
    yaml.dump(root, out)
    return out.getvalue() + "".join(f"#{' ' if line else ''}{line}\n" for line in _EXAMPLES.split("\n"))


def _ci(analysis: Analysis, inputs: dict[str, Any]) -> CommentedMap:
    ci = CommentedMap()
    ci["platform"] = str(inputs.get("ci_platform") or "github_actions")
    ci.yaml_set_comment_before_after_key("platform", before=f"The CI system: {PLATFORMS}.", indent=2)
    inferred, reason = infer_project_type(analysis)
    chosen = str(inputs.get("project_type") or inferred)
    ci["project_type"] = chosen
    why = _one_line(f"detected: {reason}") if chosen == inferred else "chosen by hand"
    ci.yaml_set_comment_before_after_key("project_type", before=f"What this repository is ({why}): {TYPES}.",
                                         indent=2)
    gates = CommentedMap()
    for key in _GATE_NOTES:  # a fixed order, the pipeline's
        if key in (inputs.get("quality_gates") or {}):
            gates[key] = inputs["quality_gates"][key]
            gates.yaml_set_comment_before_after_key(key, before=_GATE_NOTES[key], indent=4)
    if gates:
        ci["quality_gates"] = gates
        ci.yaml_set_comment_before_after_key("quality_gates", before="What a change must pass.", indent=2)
    if inputs.get("branching_strategy"):
        ci["branching_strategy"] = str(inputs["branching_strategy"])
        ci.yaml_set_comment_before_after_key("branching_strategy",
                                             before=f"How branches become releases: {STRATEGIES}.", indent=2)
    targets = inputs.get("deployment_targets") or []
    if targets:
        ci["deployment_targets"] = CommentedSeq(
            CommentedMap(sorted((k, v) for k, v in target.items() if k in ("environment", "platform", "region")))
            for target in targets)
        ci.yaml_set_comment_before_after_key("deployment_targets",
                                             before="Where the pipeline deploys (environment, platform, region).",
                                             indent=2)
    return ci


def _detected(analysis: Analysis) -> list[str]:
    """One line per unit: its directory, language, package manager and test framework."""
    lines = []
    for unit in sorted(analysis.units, key=lambda unit: (unit.path, unit.name)):
        stack = ", ".join(value for value in (unit.language, unit.package_manager, unit.test_framework) if value)
        lines.append(_one_line(f"{unit.path or '.'}: {stack}"))
    return lines or ["nothing to build or test yet"]


def _one_line(text: str) -> str:
    """Repository paths go into comments: no control character may end the comment early."""
    return "".join(char if char.isprintable() else "?" for char in text)[:200]
