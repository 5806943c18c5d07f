"""The CloudFormation package's CI on Jenkins: the Terraform Jenkinsfile's shape (ci_jenkins), CloudFormation's steps.

Pull requests run cfn-lint and checkov, then a change set per environment to review (nothing changes until one is
executed); builds of the default branch that change the package deploy each environment in order, each stage
waiting at an `input` only its submitters may approve. Every AWS call binds an OpenID Connect Provider id token.
"""

from __future__ import annotations

from bot.templating import render
from generators.infra import ci_jenkins
from generators.infra.ci import ISSUERS
from generators.infra.ci_cfn_jobs import ARTIFACT_BUCKET
from generators.infra.ci_cfn_jobs import change_set
from generators.infra.ci_cfn_jobs import check
from generators.infra.ci_cfn_jobs import deploy
from generators.infra.ci_credentials import jenkins_credentials
from generators.infra.ci_credentials import login

PATH = ci_jenkins.PATH
LABEL = "cloudformation"  # agents with the AWS CLI v2, make and python3


def _aws_step(label: str, script: str, region: str, *, plan: bool, environment: str) -> dict[str, object]:
    return ci_jenkins.step(label, script, "aws", plan=plan, environment=environment, region=region, cloud_call=True)


def cloudformation_jenkinsfile(environments: list[str], *, root: str, region: str, default_branch: str) -> dict[str, str]:
    """{PATH: text}: environments deployed in order development -> production."""
    checks = [{"name": "cfn-lint and checkov", **ci_jenkins.step("cfn-lint and checkov", check(), "aws")}]
    change_sets = [{"name": f"change set {env}", **_aws_step(f"change set {env}", change_set(), region, plan=True,
                                                             environment=env)}
                   for env in environments]
    deploys = [ci_jenkins.apply_stage(env, "deploy", "cloudformation",
                                      _aws_step(f"deploy {env}", deploy(env), region, plan=False, environment=env))
               for env in environments]
    lines = ci_jenkins.header(root, "aws", checks="cfn-lint and checkov", plan="change set", apply="deploy")
    text = ci_jenkins.jenkinsfile(lines, label=LABEL, root=root, default_branch=default_branch, checks=checks,
                                  plans=change_sets, applies=deploys, plan_stage="Change sets",
                                  readme=f"{root}/README.md explains each make target")
    return {PATH: text}


def variables(environments: list[str], region: str) -> list[tuple[str, str]]:
    """The (global property, meaning) pairs the Jenkinsfile reads: the logins' roles, then the artifact bucket."""
    def role(plan: bool, environment: str) -> str:
        return login("aws", "jenkins", plan=plan, environment=environment, region=region).variables[0]

    return [(role(True, ""), "the ARN of the change-set role pull requests assume"),
            *((role(False, env), f"the ARN of the IAM role the {env} deploy assumes") for env in environments),
            (ARTIFACT_BUCKET, "the ArtifactBucket output of make bootstrap")]


def setup(environments: list[str], *, root: str, region: str, default_branch: str, others: list[str]) -> str:
    """The pull request's section: what the pipeline runs, and what to configure in Jenkins and AWS."""
    issuer, apply_subject, plan_subject = ISSUERS["jenkins"]
    return render("infra/aws_cfn/ci_setup_jenkins.md.j2", path=PATH, root=root, branch=default_branch,
                  environments=environments, others=others, label=LABEL,
                  credentials=jenkins_credentials("aws", environments), issuer=issuer,
                  apply_subject=apply_subject.format(branch=default_branch), plan_subject=plan_subject,
                  variables=variables(environments, region), region=region).strip()
