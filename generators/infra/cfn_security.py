"""modules/security.yaml: one KMS key, the audit bucket and trail, AWS Config and its rules, GuardDuty,
Security Hub, IAM Access Analyzer and the application's secret."""

from __future__ import annotations

from typing import Any

from generators.infra import cfn_parts as p
from generators.infra.model import InfraDesign

# Regions older than August 2022 take load balancer access logs from an AWS account of theirs; newer regions from
# the log-delivery service principal (Elastic Load Balancing user guide, "Enable access logs").
ELB_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "ca-central-1": "985666609251", "eu-west-1": "156460612806",
    "eu-west-2": "652711504416", "eu-west-3": "009996457667", "eu-central-1": "054676820928",
    "eu-north-1": "897822967062", "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266", "ap-south-1": "718504428378",
    "sa-east-1": "507241528517",
}
LOG_SERVICES = ["cloudtrail.amazonaws.com", "sns.amazonaws.com", "cloudwatch.amazonaws.com",
                "budgets.amazonaws.com"]


def _key() -> dict[str, Any]:
    account = p.sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    # In a key policy "*" means this key; services may use it only on behalf of this account.
    statements = [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": account}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "ServicesEncrypt", "Effect": "Allow",
         "Principal": {"Service": [p.sub("logs.${AWS::Region}.amazonaws.com"), *LOG_SERVICES]},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": p.ref("AWS::AccountId")}}}]
    return {
        "Key": {"Type": "AWS::KMS::Key", **p.RETAIN, "Properties": {
            "Description": p.sub("${Name}: encrypts data, logs, secrets and the audit trail"),
            "EnableKeyRotation": True, "PendingWindowInDays": 30,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": statements}}},
        "KeyAlias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": p.sub("alias/${Name}"),
                                                                 "TargetKeyId": p.ref("Key")}},
    }


def _load_balancer_writer(region: str) -> dict[str, Any]:
    if region in ELB_ACCOUNTS:
        return {"AWS": p.sub(f"arn:${{AWS::Partition}}:iam::{ELB_ACCOUNTS[region]}:root")}
    return {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def _audit_bucket(design: InfraDesign) -> dict[str, Any]:
    bucket_arn = p.get_att("AuditBucket", "Arn")
    services = {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]}
    statements = [
        p.deny_insecure_transport("AuditBucket"),
        {"Sid": "ServicesCheckAcl", "Effect": "Allow", "Principal": services,
         "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": bucket_arn},
        {"Sid": "ServicesWrite", "Effect": "Allow", "Principal": services, "Action": "s3:PutObject",
         "Resource": p.sub("${AuditBucket.Arn}/*/AWSLogs/${AWS::AccountId}/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
        {"Sid": "LoadBalancerWrites", "Effect": "Allow", "Principal": _load_balancer_writer(design.region),
         "Action": "s3:PutObject", "Resource": p.sub("${AuditBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*")},
    ]
    return {
        # Audit bucket: CloudTrail, AWS Config and load balancer access logs. Load balancers deliver only to SSE-S3.
        "AuditBucket": {"Type": "AWS::S3::Bucket", **p.RETAIN, "Properties": {
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
            "LifecycleConfiguration": {"Rules": [{
                "Id": "archive-audit-logs", "Status": "Enabled",
                "Transitions": [{"TransitionInDays": 90, "StorageClass": "GLACIER_IR"}],
                "ExpirationInDays": p.ref("AuditRetentionDays"),
                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}}},
        "AuditBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": p.ref("AuditBucket"), "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}},
    }


def _trail() -> dict[str, Any]:
    return {
        "SecurityTopic": {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": p.sub("${Name}-security"), "KmsMasterKeyId": p.ref("Key")}},
        "SecurityTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [p.ref("SecurityTopic")], "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "CloudTrailPublishes", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sns:Publish", "Resource": p.ref("SecurityTopic"),
                "Condition": {"StringEquals": {"aws:SourceAccount": p.ref("AWS::AccountId")}}}]}}},
        "TrailLogGroup": p.log_group(p.sub("/aws/cloudtrail/${Name}"), p.ref("AuditRetentionDays"),
                                     p.get_att("Key", "Arn")),
        "TrailRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("cloudtrail.amazonaws.com"),
            "Policies": [p.policy("cloudtrail-to-logs", [p.allow(
                "WriteTrailLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                p.sub("${TrailLogGroup.Arn}:*"))])]}},
        "Trail": {"Type": "AWS::CloudTrail::Trail", "DependsOn": "AuditBucketPolicy", "Properties": {
            "TrailName": p.ref("Name"), "S3BucketName": p.ref("AuditBucket"), "S3KeyPrefix": "cloudtrail",
            "IsLogging": True, "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True,
            "EnableLogFileValidation": True, "KMSKeyId": p.get_att("Key", "Arn"),
            "CloudWatchLogsLogGroupArn": p.get_att("TrailLogGroup", "Arn"),
            "CloudWatchLogsRoleArn": p.get_att("TrailRole", "Arn"), "SnsTopicName": p.get_att("SecurityTopic",
                                                                                              "TopicName"),
            "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
                {"Type": "AWS::S3::Object", "Values": [p.sub("arn:${AWS::Partition}:s3")]}]}]}},
    }


def _config(rules: list[str], production_rules: list[str]) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "ConfigRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("config.amazonaws.com"),
            "ManagedPolicyArns": [p.sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWS_ConfigRole")]}},
        "ConfigRecorder": {"Type": "AWS::Config::ConfigurationRecorder", "Properties": {
            "Name": p.ref("Name"), "RoleARN": p.get_att("ConfigRole", "Arn"),
            "RecordingGroup": {"AllSupported": True, "IncludeGlobalResourceTypes": True}}},
        "ConfigDeliveryChannel": {"Type": "AWS::Config::DeliveryChannel",
                                  "DependsOn": ["ConfigRecorder", "AuditBucketPolicy"], "Properties": {
            "Name": p.ref("Name"), "S3BucketName": p.ref("AuditBucket"), "S3KeyPrefix": "config"}},
    }
    # AWS managed Config rules: continuous evidence for the compliance mapping in docs/compliance.md.
    for rule in [*rules, *production_rules]:
        resources[config_rule_id(rule)] = {
            "Type": "AWS::Config::ConfigRule", "DependsOn": "ConfigDeliveryChannel",
            **({"Condition": "ProductionRules"} if rule in production_rules else {}), "Properties": {
                "ConfigRuleName": p.sub(f"${{Name}}-{rule.lower().replace('_', '-')}"),
                "Source": {"Owner": "AWS", "SourceIdentifier": rule}}}
    return resources


def config_rule_id(rule: str) -> str:
    """Logical id of a managed Config rule: CLOUD_TRAIL_ENABLED -> ConfigRuleCloudTrailEnabled."""
    return "ConfigRule" + "".join(word.title() for word in rule.split("_"))


def _detection() -> dict[str, Any]:
    partition_region = "arn:${AWS::Partition}:securityhub:${AWS::Region}::"
    return {
        "GuardDuty": {"Type": "AWS::GuardDuty::Detector", "Properties": {"Enable": True}},
        "SecurityHub": {"Type": "AWS::SecurityHub::Hub"},
        "SecurityHubFoundational": {"Type": "AWS::SecurityHub::Standard", "DependsOn": "SecurityHub", "Properties": {
            "StandardsArn": p.sub(partition_region + "standards/aws-foundational-security-best-practices/v/1.0.0")}},
        "AccessAnalyzer": {"Type": "AWS::AccessAnalyzer::Analyzer", "Properties": {
            "AnalyzerName": p.ref("Name"), "Type": "ACCOUNT"}},
        # Third-party keys the application needs; the team puts the values in, the stack never sees them.
        "AppSecret": {"Type": "AWS::SecretsManager::Secret", **p.RETAIN, "Properties": {
            "Name": p.sub("${Name}/app"), "Description": "Third-party keys of the application",
            "KmsKeyId": p.get_att("Key", "Arn")}},
    }


def security_template(design: InfraDesign, rules: list[str], production_rules: list[str]) -> dict[str, Any]:
    """The security module's template; `production_rules` are created only where ProductionRules is true."""
    parameters = {"Name": p.text("Prefix of every resource name."),
                  "AuditRetentionDays": p.number("Days the audit trail, Config history and access logs are kept.", 1)}
    # Without production-only rules (no database) the flag would be an unused parameter and condition.
    conditions = {"ProductionRules": p.is_true("ProductionRules")} if production_rules else {}
    if production_rules:
        parameters["ProductionRules"] = p.flag("Whether the production-only Config rules are evaluated.")
    resources = {**_key(), **_audit_bucket(design), **_trail(), **_config(rules, production_rules), **_detection()}
    outputs = {"KmsKeyArn": p.output(p.get_att("Key", "Arn"), "The key of every encrypted resource."),
               "AuditBucket": p.output(p.ref("AuditBucket"), "The audit and access-log bucket."),
               "AppSecretArn": p.output(p.ref("AppSecret"), "The application's secret."),
               "SecurityTopicArn": p.output(p.ref("SecurityTopic"), "Security notifications.")}
    return p.template(f"{design.name} security: KMS, CloudTrail, AWS Config rules, GuardDuty, Security Hub, "
                      "Access Analyzer, the application's secret", parameters, resources,
                      conditions=conditions, outputs=outputs)
