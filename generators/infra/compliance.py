"""Compliance frameworks -> the generated resources that implement each control, and what is left for people."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from generators.infra.clouds import cloud
from generators.infra.clouds import for_design
from generators.infra.clouds import load_yaml
from generators.infra.model import InfraDesign

# Which part of the design a resource type depends on; a design without that part does not create the resource.
NEEDS = (
    ("data/aws_db_", "database"), ("data/aws_elasticache_", "cache"), ("data/aws_s3_", "object_storage"),
    ("data/aws_sqs_", "queues"), ("network/aws_lb", "public"), ("network/aws_wafv2_", "public"),
    ("network/aws_acm_", "public"), ("network/aws_route53_record.", "public"),
    ("compute/aws_api_gateway_", "public"), ("compute/aws_wafv2_", "public"),
)


@lru_cache(maxsize=None)
def mapping(cloud_name: str = "aws") -> dict[str, Any]:
    """The shipped control mapping of a cloud."""
    return load_yaml(cloud(cloud_name).compliance_file)


# The VM compute module implements the same controls with other resources; None: nothing corresponds.
ON_VMS = {"compute/aws_iam_role_policy.task": "compute/aws_iam_role_policy.instances",
          "compute/aws_iam_role_policy.execution": None,
          "compute/aws_appautoscaling_policy.cpu": "compute/aws_autoscaling_policy.cpu"}
# Serverless: per-function roles, Lambda's own scaling, and the REST APIs in front instead of the load balancer.
ON_LAMBDA = {"compute/aws_iam_role_policy.task": "compute/aws_iam_role_policy.function",
             "compute/aws_iam_role_policy.execution": None,
             "compute/aws_appautoscaling_policy.cpu": "compute/aws_lambda_function.service",
             "network/aws_lb.main": "compute/aws_api_gateway_stage.live",
             "network/aws_lb_listener.https": "compute/aws_api_gateway_domain_name.service",
             "network/aws_wafv2_web_acl.main": "compute/aws_wafv2_web_acl.main",
             "network/aws_wafv2_web_acl_association.main": "compute/aws_wafv2_web_acl_association.api",
             "network/aws_wafv2_web_acl_logging_configuration.main":
                 "compute/aws_wafv2_web_acl_logging_configuration.main",
             "observability/aws_cloudwatch_metric_alarm.service_cpu":
                 "observability/aws_cloudwatch_metric_alarm.function_errors"}
# EKS: a Pod Identity role per service, the node groups' scaling range; image pulls are the nodes' managed policy.
ON_EKS = {"compute/aws_iam_role_policy.task": "compute/aws_iam_role_policy.service",
          "compute/aws_iam_role_policy.execution": None,
          "compute/aws_appautoscaling_policy.cpu": "compute/aws_eks_node_group.main"}
SUBSTITUTES = {"asg": ON_VMS, "eks": ON_EKS, "lambda": ON_LAMBDA}


def aws_resource(design: InfraDesign, address: str) -> str | None:
    """The address in this AWS design's code, or None when the design creates nothing for it."""
    substitutes = SUBSTITUTES.get(design.orchestrator, {})
    if address in substitutes:
        found = substitutes[address]
        return found if found is None else (found if _present(design, found) else None)
    return address if _present(design, address) else None


def _present(design: InfraDesign, address: str) -> bool:
    parts = {"database": bool(design.databases), "cache": bool(design.caches), "object_storage": design.object_storage,
             "queues": bool(design.queues), "public": design.public}
    return all(parts[need] for prefix, need in NEEDS if address.startswith(prefix))


def terraform_address(address: str) -> str:
    """`security/aws_kms_key.main` -> `module.security.aws_kms_key.main`, as terraform plan names it."""
    module, _, resource = address.partition("/")
    return f"module.{module}.{resource}"


def _names(found: str | list[str] | None) -> list[str]:
    """A cloud names one resource for an address, several (CloudFormation: one per service), or none."""
    return [] if found is None else [found] if isinstance(found, str) else found


def _settings(design: InfraDesign, settings: str | dict[str, str]) -> str:
    """A control's settings; worded per orchestrator where each compute type has other resources (its roles)."""
    return settings if isinstance(settings, str) else settings[design.orchestrator]


def compliance_controls(design: InfraDesign) -> dict[str, Any]:
    """Per requested framework: controls with the resources of this design, and the remaining gaps."""
    result: dict[str, Any] = {}
    where = for_design(design)
    for framework in design.compliance:
        spec = mapping(design.cloud)[framework]
        controls, gaps = [], list(spec["gaps"])
        for control in spec["controls"]:
            resources = list(dict.fromkeys(name for address in control["resources"]
                                           for name in _names(where.compliance_resource(design, address))))
            if resources:
                controls.append({"id": control["id"], "title": control["title"],
                                 "settings": _settings(design, control["settings"]),
                                 "resources": resources})
            else:
                gaps.insert(0, f"{control['id']} {control['title']}: this design creates nothing that implements it.")
        result[framework] = {"title": spec["title"], "controls": controls, "gaps": gaps}
    return result
