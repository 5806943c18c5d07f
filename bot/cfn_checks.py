"""Validators for generated CloudFormation: cfn-lint at every level, checkov per environment.

The module templates' parameter defaults are production's values; development and staging are checked as they
run, with the defaults replaced by their parameters/<env>.json, and only they may use the non-production skips.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from bot.iac_checks import CheckResult
from bot.iac_checks import checkov
from bot.iac_checks import checkov_binary
from bot.iac_checks import tool_binary
from bot.iac_checks import write_tree

TOOLS = ("cfn_lint", "checkov")
FRAMEWORKS = ("cloudformation", "secrets")


def cfn_lint_binary() -> Path | None:
    """cfn-lint from the project's .venv-cfnlint, else from PATH."""
    return tool_binary(".venv-cfnlint", "cfn-lint")


def cfn_lint(paths: list[Path], label: str = "") -> CheckResult:
    """cfn-lint with informational checks on; any finding (error, warning or info) fails."""
    name = f"cfn-lint {label}".strip()
    binary = cfn_lint_binary()
    if binary is None:
        return CheckResult(name, "not run", "cfn-lint is not installed where the bot runs")
    done = subprocess.run([str(binary), "--format", "parseable", "--include-checks", "I", "--",
                           *map(str, paths)], capture_output=True, text=True, timeout=600)
    findings = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode or findings:
        return CheckResult(name, "failed", f"exit {done.returncode}", findings)
    return CheckResult(name, "passed", f"{len(paths)} templates, no findings")


def environment_variants(files: dict[str, str], root: str) -> dict[str, dict[str, str]]:
    """{environment: {module path: template}} with each environment's parameter values as the defaults."""
    from ruamel.yaml import YAML

    from bot.platforms.cloudformation import to_yaml
    from generators.infra.cloudformation_aws import with_defaults

    modules = {path: YAML(typ="safe", pure=True).load(text) for path, text in files.items()
               if path.startswith(f"{root}/modules/") and path.endswith(".yaml")}
    variants: dict[str, dict[str, str]] = {}
    for path, text in sorted(files.items()):
        if path.startswith(f"{root}/parameters/") and path.endswith(".json"):
            values = {item["ParameterKey"]: item["ParameterValue"] for item in json.loads(text)}
            environment = path.rsplit("/", 1)[1].removesuffix(".json")
            variants[environment] = {module: to_yaml(with_defaults(template, values))
                                     for module, template in modules.items()}
    return variants


def check_cloudformation(files: dict[str, str], root: str, skips: dict[str, list[str]],
                         tools: list[str] | tuple[str, ...] = TOOLS) -> list[CheckResult]:
    """cfn-lint every template and environment variant; checkov development and staging with the non-production
    skips, production (the files as committed), the parent and the bootstrap without them."""
    results: list[CheckResult] = []
    wanted = [tool for tool in tools if tool in TOOLS]
    if not wanted:
        return results
    variants = environment_variants(files, root)
    relaxed = [env for env in variants if env != "production"]
    with tempfile.TemporaryDirectory(prefix="devops-bot-cfn-") as temp:
        folder = Path(temp)
        write_tree(files, folder / "committed")
        for environment in relaxed:
            write_tree(variants[environment], folder / environment)
        if "cfn_lint" in wanted:
            templates = sorted(path for path in files if path.startswith(f"{root}/") and path.endswith(".yaml")
                               and not path.rsplit("/", 1)[1].startswith("."))
            variant_paths = [folder / env / path for env in relaxed for path in variants[env]]
            results.append(cfn_lint([folder / "committed" / path for path in templates] + variant_paths,
                                    ", ".join(["templates", *relaxed])))
        if "checkov" in wanted and checkov_binary() is not None and relaxed:
            results.append(checkov([folder / env / root for env in relaxed],
                                   skips["everywhere"] + skips["non_production"], ", ".join(relaxed), FRAMEWORKS))
        if "checkov" in wanted:
            results.append(checkov(folder / "committed" / root, skips["everywhere"],
                                   "production, parent, bootstrap", FRAMEWORKS))
    return results
