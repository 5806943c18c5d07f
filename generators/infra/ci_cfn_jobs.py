"""What the CloudFormation CI runs, whatever the platform: the shell of its checks, change sets and deploys.

Every command runs in the package's root and goes through its Makefile (lint, checkov, change-set, deploy), so the
stack names, parameter files and capabilities live in one place; the platform renderers only decide where, when
and with which identity they run. Credentials are the Terraform CI's (ci_credentials.login): the AWS CLI reads the
same AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE as Terraform's AWS SDK.
"""

from __future__ import annotations

from generators.infra.ci_jobs import CHECKOV_VERSION
from generators.infra.ci_jobs import ENVIRONMENT
from generators.infra.ci_jobs import venv_script

CFN_LINT_VERSION = "1.51.0"  # the version the bot's own check runs (.venv-cfnlint)
CHECK_PACKAGES = [f"cfn-lint=={CFN_LINT_VERSION}", f"checkov=={CHECKOV_VERSION}"]
AWS_CLI_IMAGE = "amazon/aws-cli:2.27.63"  # Amazon Linux 2 with AWS CLI v2; add make with yum
ADD_MAKE = "yum install --assumeyes --quiet make"
ARTIFACT_BUCKET = "CFN_ARTIFACT_BUCKET"  # the CI variable holding the bootstrap stack's ArtifactBucket output
ARTIFACT_BUCKET_MEANING = "the bucket for packaged templates, output ArtifactBucket of the bootstrap"
CHANGE_SET_ROLE_MEANING = "the ARN of the change-set role pull requests assume"
DEPLOY_ROLE_MEANING = "the ARN of the IAM role the environment's deploy assumes"
LOCK = "cloudformation-{environment}"  # one deploy per environment at a time


def check() -> str:
    """cfn-lint (informational findings included) and checkov through the Makefile, from a venv."""
    return venv_script("tools", CHECK_PACKAGES, ["make lint", "make checkov"])


def change_set() -> str:
    """A change set of $ENVIRONMENT to review: packaged and created, never executed."""
    return f'make change-set ENV="${ENVIRONMENT}" ARTIFACT_BUCKET="${ARTIFACT_BUCKET}"'


def deploy(environment: str) -> str:
    """Package, create and execute the environment's change set, then wait for the stacks."""
    return f'make deploy ENV={environment} ARTIFACT_BUCKET="${ARTIFACT_BUCKET}"'
