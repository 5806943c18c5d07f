"""The public endpoint's AWS WAF web ACL, shared by the network module (the load balancer's) and the serverless
compute module (the REST API stages'), as the Terraform shares templates/infra/aws/waf.tf.j2."""

from __future__ import annotations

from typing import Any

from generators.infra import cfn_parts as p

WAF_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                   "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesSQLiRuleSet",
                   "AWSManagedRulesAnonymousIpList")


def web_acl(associations: dict[str, Any], retention: Any) -> dict[str, Any]:
    """The public endpoint's web ACL with AWS's managed rule groups, its logs, and `associations` ({logical id:
    protected resource's ARN}): the load balancer, or each REST API's stage."""
    def visibility(metric: Any) -> dict[str, Any]:
        return {"CloudWatchMetricsEnabled": True, "MetricName": metric, "SampledRequestsEnabled": True}

    rules = [{"Name": name, "Priority": priority, "OverrideAction": {"None": {}}, "VisibilityConfig": visibility(name),
              "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}}}
             for priority, name in enumerate(WAF_RULE_GROUPS)]
    return {
        "WebAcl": {"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Name": p.sub("${Name}-public"), "Scope": "REGIONAL", "DefaultAction": {"Allow": {}}, "Rules": rules,
            "VisibilityConfig": visibility(p.sub("${Name}-public"))}},
        **{logical: {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {
            "ResourceArn": arn, "WebACLArn": p.get_att("WebAcl", "Arn")}} for logical, arn in associations.items()},
        # WAF requires the aws-waf-logs- prefix on its log group.
        "WafLogGroup": p.log_group(p.sub("aws-waf-logs-${Name}"), retention, p.ref("KmsKeyArn")),
        "WafLogging": {"Type": "AWS::WAFv2::LoggingConfiguration", "Properties": {
            "ResourceArn": p.get_att("WebAcl", "Arn"), "LogDestinationConfigs": [p.get_att("WafLogGroup", "Arn")]}},
    }
