"""The CloudFormation CI for Jenkins: the Terraform infra Jenkinsfile's shape (ci_jenkins) with the package's Make
targets (ci_cfn_jobs).

Pull requests run cfn-lint and checkov, then a change set per environment to review (nothing changes until one is
executed); builds of the default branch that change the package deploy each environment in order, each stage
waiting at an `input` only its submitters may approve. Every AWS call binds an OpenID Connect Provider id token.
"""

from __future__ import annotations

from typing import Any

from generators.infra import ci_cfn_jobs
from generators.infra import ci_jenkins

PATH = ci_jenkins.PATH
LABEL = "cloudformation"
AGENT_TOOLS = "the AWS CLI v2, make and python3"


def _aws_step(label: str, script: str, region: str, *, plan: bool, environment: str) -> dict[str, Any]:
    return ci_jenkins.step(label, script, "aws", plan=plan, environment=environment, region=region, cloud_call=True)


def cloudformation_ci(environments: list[str], *, root: str, region: str, default_branch: str) -> dict[str, str]:
    """{PATH: text} for the environments, deployed in order development -> production."""
    checks = [{"name": "cfn-lint and checkov", **ci_jenkins.step("cfn-lint and checkov", ci_cfn_jobs.check(), "aws")}]
    change_sets = [{"name": f"change set {env}", **_aws_step(f"change set {env}", ci_cfn_jobs.change_set(), region,
                                                             plan=True, environment=env)}
                   for env in environments]
    deploys = [ci_jenkins.apply_stage(env, "deploy", ci_cfn_jobs.LOCK.format(environment=env),
                                      _aws_step(f"deploy {env}", ci_cfn_jobs.deploy(env), region, plan=False,
                                                environment=env))
               for env in environments]
    lines = ci_jenkins.header(root, "aws", checks="cfn-lint and checkov", plan="change set", apply="deploy")
    text = ci_jenkins.jenkinsfile(lines, label=LABEL, root=root, default_branch=default_branch, checks=checks,
                                  plans=change_sets, applies=deploys, plan_stage="Change sets",
                                  readme=f"{root}/README.md explains each make target")
    return {PATH: text}
