"""Run the external validators from .venv/bin on generated files and return their findings (empty = clean)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
YAMLLINT_CONFIG = """extends: default
rules:
  document-start: disable
  line-length: {max: 160}
  truthy: {check-keys: false}
"""


def _run(args: list[str]) -> tuple[int, str]:
    # actionlint finds shellcheck only through PATH, so the venv's bin directory goes first.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    done = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, (done.stdout + done.stderr).strip()


def write_files(files: dict[str, str], root: Path) -> list[Path]:
    """Generated files ({repository path: text}) written below `root`, for the validators that read paths."""
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def check_github_workflow(path: Path | str) -> list[str]:
    """Schema, actionlint (with shellcheck) and zizmor at medium severity or higher."""
    findings = []
    code, out = _run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)])
    if code:
        findings.append(f"check-jsonschema: {out}")
    code, out = _run(["actionlint", "-no-color", "-oneline", str(path)])
    if code or out:
        findings.append(f"actionlint: {out}")
    code, out = _run(["zizmor", "--offline", "--min-severity", "medium", str(path)])
    if code:
        findings.append(f"zizmor: {out}")
    return findings


def check_yaml(paths: list[Path | str]) -> list[str]:
    """yamllint with the project's relaxed config (no document start, 160 columns, `on:` allowed)."""
    if not paths:
        return []
    config = Path(os.environ.get("TMPDIR", "/tmp")) / f"devops-bot-yamllint-{os.getpid()}.yaml"
    config.write_text(YAMLLINT_CONFIG, encoding="utf-8")
    code, out = _run(["yamllint", "-s", "-c", str(config), *map(str, paths)])
    return [f"yamllint: {out}"] if code or out else []


def check_dockerfile(path: Path | str) -> list[str]:
    """hadolint at the warning threshold."""
    code, out = _run(["hadolint", "--no-color", "--failure-threshold", "warning", str(path)])
    return [f"hadolint: {out}"] if code else []


def check_dependabot(path: Path | str) -> list[str]:
    """dependabot.yml against the schema check-jsonschema ships."""
    code, out = _run(["check-jsonschema", "--builtin-schema", "vendor.dependabot", str(path)])
    return [f"check-jsonschema: {out}"] if code else []


def check_azure_pipelines(path: Path | str) -> list[str]:
    """azure-pipelines.yml against the schema check-jsonschema ships (nonunicode regexes, or it crashes)."""
    code, out = _run(["check-jsonschema", "--builtin-schema", "vendor.azure-pipelines", "--regex-variant", "nonunicode",
                      str(path)])
    return [f"check-jsonschema: {out}"] if code else []


TOOLS = Path(__file__).resolve().parent.parent / "tools"


def groovy_lint(paths: list[Path | str]) -> list[str]:
    """npm-groovy-lint (Groovy parse and CodeNarc errors) from tools/, in one JVM run for all files."""
    if not paths:
        return []
    lint = TOOLS / "node_modules" / ".bin" / "npm-groovy-lint"
    if not lint.exists():
        return [f"npm-groovy-lint is not installed: run `npm ci --prefix {TOOLS}` (scripts/setup does)"]
    # The timeout only guards against a hung JVM: on a loaded 2-core machine one run over 30 files took 325 s.
    done = subprocess.run([str(lint), "--noserver", "--failon", "error", "--output", "txt", *map(str, paths)],
                          capture_output=True, text=True, timeout=900, cwd=str(Path(paths[0]).parent))
    return [f"npm-groovy-lint: {(done.stdout + done.stderr).strip()}"] if done.returncode else []


def check_jenkinsfiles(paths: list[Path | str]) -> list[str]:
    """Groovy lint for every file plus the declarative-shape check, which no offline tool provides."""
    from tests.jenkins_shape import declarative_shape

    findings = groovy_lint(paths)
    for path in paths:
        findings += [f"{path}: {problem}" for problem in declarative_shape(Path(path).read_text(encoding="utf-8"))]
    return findings


def check_jenkinsfile(path: Path | str) -> list[str]:
    """One Jenkinsfile: Groovy lint and the declarative pipeline shape."""
    return check_jenkinsfiles([path])


def check_gitlab_ci(path: Path | str) -> list[str]:
    """.gitlab-ci.yml against the schema check-jsonschema ships."""
    code, out = _run(["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(path)])
    return [f"check-jsonschema: {out}"] if code else []


def check_circleci(path: Path | str) -> list[str]:
    """.circleci/config.yml against the schema check-jsonschema ships."""
    code, out = _run(["check-jsonschema", "--builtin-schema", "vendor.circle-ci", str(path)])
    return [f"check-jsonschema: {out}"] if code else []


CFN_LINT = Path(__file__).resolve().parent.parent / ".venv-cfnlint" / "bin" / "cfn-lint"


def check_cloudformation(paths: list[Path | str]) -> list[str]:
    """cfn-lint (offline; its own venv, see scripts/setup): every error, warning and informational finding."""
    if not paths:
        return []
    if not CFN_LINT.exists():
        return [f"cfn-lint is not installed at {CFN_LINT}: run scripts/setup"]
    done = subprocess.run([str(CFN_LINT), "--format", "parseable", "--include-checks", "I", "--", *map(str, paths)],
                          capture_output=True, text=True, timeout=300)
    out = (done.stdout + done.stderr).strip()
    return [f"cfn-lint: {out}"] if done.returncode or out else []
