"""The pinned EKS Kubernetes version is in standard support (not billed extended support) when this was checked."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

from generators.infra.terraform_aws import EKS_STANDARD_SUPPORT_ENDS
from generators.infra.terraform_aws import KUBERNETES_VERSION

# The day the pin was last reviewed against the EKS release calendar. When the pinned version's standard support
# ends within the margin of this day, move KUBERNETES_VERSION (and this date) to a newer EKS version.
REVIEWED_ON = date(2026, 11, 26)
MARGIN = timedelta(days=90)  # a generated PR is applied days or weeks later; the cluster should live a while


def test_the_pinned_eks_version_is_in_standard_support_with_a_margin_on_the_review_day() -> None:
    ends = date.fromisoformat(EKS_STANDARD_SUPPORT_ENDS[KUBERNETES_VERSION])
    assert ends >= REVIEWED_ON + MARGIN, f"EKS {KUBERNETES_VERSION} leaves standard support on {ends}"


def test_the_superseded_pin_would_have_failed_the_review() -> None:
    assert date.fromisoformat(EKS_STANDARD_SUPPORT_ENDS["1.31"]) < REVIEWED_ON + MARGIN
