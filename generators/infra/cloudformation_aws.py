"""InfraDesign -> CloudFormation for AWS (`iac_tool: cloudformation`): the Terraform package's architecture as a
parent stack of nested module stacks, one parameter file per environment, and the bucket for packaged templates.

Every module template is shared by the environments; what differs (zones, sizes, protections, retention) is in
parameters/<env>.json, which the parent passes down. A module's parameter defaults are production's values, so a
module deployed alone is production-safe and checkov reading the files sees production.
"""

from __future__ import annotations

import json
from typing import Any

from bot.platforms.cloudformation import to_yaml
from generators.infra import cfn_parts as p
from generators.infra import terraform_aws
from generators.infra.cfn_compute import compute_template
from generators.infra.cfn_data import data_template
from generators.infra.cfn_eks import node_values
from generators.infra.cfn_eks import parent_outputs
from generators.infra.cfn_network import network_template
from generators.infra.cfn_network import target_group
from generators.infra.cfn_observability import observability_template
from generators.infra.cfn_security import security_template
from generators.infra.model import Environment
from generators.infra.model import InfraDesign

ROOT = "infra/aws-cloudformation"
PARENT = "main.yaml"
BOOTSTRAP = "bootstrap.yaml"
STACKS = {"security": "SecurityStack", "network": "NetworkStack", "data": "DataStack", "compute": "ComputeStack",
          "observability": "ObservabilityStack"}


def module_path(module: str) -> str:
    """Where a module's template goes."""
    return f"{ROOT}/modules/{module}.yaml"


def _wiring(design: InfraDesign) -> dict[str, bool]:
    return {"bucket": design.object_storage, "queues": bool(design.queues), "cache": bool(design.caches)}


def _database(design: InfraDesign) -> dict[str, Any] | None:
    return terraform_aws.ENGINES[design.databases[0]] if design.databases else None


def module_templates(design: InfraDesign) -> dict[str, dict[str, Any]]:
    """{module: template} in dependency order, without environment values."""
    ports = [terraform_aws.ENGINES[engine]["port"] for engine in design.databases[:1]]
    data_ports = sorted(ports + ([terraform_aws.CACHE_PORT] if design.caches else []))
    builders = {
        "security": lambda: security_template(design, terraform_aws.CONFIG_RULES,
                                              terraform_aws.PRODUCTION_RULES if design.databases else []),
        "network": lambda: network_template(design, data_ports,
                                            terraform_aws.TARGET_TYPES.get(design.orchestrator, "")),
        "data": lambda: data_template(design, _database(design)),
        "compute": lambda: compute_template(design, _wiring(design)),
        "observability": lambda: observability_template(design),
    }
    return {module: builders[module]() for module in design.modules}


def _outputs_of(stack: str, name: str) -> dict[str, Any]:
    return p.get_att(stack, f"Outputs.{name}")


def _wired(design: InfraDesign) -> dict[str, dict[str, Any]]:
    """Module parameters that come from another module's outputs, not from the environment's file."""
    security, network, data = STACKS["security"], STACKS["network"], STACKS["data"]
    secrets = [_outputs_of(security, "AppSecretArn")]
    if design.databases:
        secrets.append(_outputs_of(data, "DatabaseSecretArn"))
    wired = {
        "KmsKeyArn": _outputs_of(security, "KmsKeyArn"), "VpcId": _outputs_of(network, "VpcId"),
        "AccessLogBucket": _outputs_of(security, "AuditBucket"),
        "PrivateSubnetIds": {"Fn::Split": [",", _outputs_of(network, "PrivateSubnetIds")]},
        "DatabaseSubnetIds": {"Fn::Split": [",", _outputs_of(network, "DatabaseSubnetIds")]},
        "SecretArns": secrets, "LoadBalancerFullName": _outputs_of(network, "LoadBalancerFullName"),
        "BucketArn": _outputs_of(data, "BucketArn"), "CacheUserGroupArn": _outputs_of(data, "CacheUserGroupArn"),
        "CacheArn": _outputs_of(data, "CacheArn"), "CacheId": _outputs_of(data, "CacheId"),
        "DatabaseIdentifier": _outputs_of(data, "DatabaseIdentifier"),
        "QueueArns": {"Fn::Split": [",", _outputs_of(data, "QueueArns")]},
        "PublicZoneId": _outputs_of(network, "PublicZoneId"), "CertificateArn": _outputs_of(network, "CertificateArn"),
    }
    for service in design.services:
        name = target_group(service.name)
        wired[name] = _outputs_of(network, name)
    return wired


# The TemplateURLs are local paths that `make package` (aws cloudformation package) uploads and rewrites.
PACKAGED = {"cfn-lint": {"config": {"ignore_checks": ["W3002"]}}}
# A module stack goes with the parent; what it holds follows the module's own policies (keys and data are kept).
NESTED_POLICY = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
SECURITY_GROUPS = {"network": None, "data": "DataSecurityGroupId", "compute": "ServicesSecurityGroupId"}


def environment_values(design: InfraDesign, env: Environment, budget: float) -> dict[str, Any]:
    """Every environment parameter of the parent stack, by name."""
    size = env.sizing
    short = terraform_aws.SHORT[env.name]
    on_demand_share = 100 - size.spot_share
    values: dict[str, Any] = {
        "Name": f"{design.name}-{short}", "Project": design.name, "Environment": env.name, "VpcCidr": env.cidr,
        "Zones": ",".join(f"{design.region}{letter}" for letter in "abc"[:size.availability_zones]),
        "ZoneCount": size.availability_zones, "NatGateways": size.nat_gateways,
        "InterfaceEndpoints": size.interface_endpoints, "FlowLogRetentionDays": size.flow_log_retention_days,
        "LogRetentionDays": size.log_retention_days, "AuditRetentionDays": terraform_aws.AUDIT_RETENTION[env.name],
        "ProductionRules": env.name == "production", "ImageTag": "latest",
        "TaskCpu": size.task_cpu, "TaskMemory": size.task_memory, "OnDemandWeight": on_demand_share,
        "SpotWeight": size.spot_share, "InstanceType": size.instance_type, "OnDemandPercentage": on_demand_share,
        "MinTasks": size.min_tasks, "MaxTasks": size.max_tasks,
        "OnDemandBase": min(size.on_demand_base, size.min_tasks), **node_values(size),
        "FunctionMemory": size.function_memory, "ReservedConcurrency": size.reserved_concurrency,
        "ProvisionedConcurrency": size.provisioned_concurrency, "ApiRateLimit": size.api_rate_limit,
        "ApiBurstLimit": size.api_burst_limit,
        "BackupRetentionDays": size.backup_retention_days, "DeletionProtection": size.deletion_protection,
        "MultiAZ": size.multi_az, "DatabaseClass": size.database_class, "DatabaseStorageGb": size.database_storage_gb,
        "DatabaseMaxStorageGb": size.database_storage_gb * 4, "CacheNodeType": size.cache_node_type,
        "CacheNodes": size.cache_nodes, "NoncurrentVersionDays": size.backup_retention_days,
        "DomainName": (f"{short}.{design.name}.example.com" if env.name != "production"
                       else f"{design.name}.example.com"),
        "HealthCheckPath": terraform_aws.HEALTH_CHECK_PATH, "AlarmEmail": "", "MonthlyBudget": round(budget, 2),
    }
    return {key: _parameter_text(value) for key, value in values.items()}


def _parameter_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _stack_parameters(design: InfraDesign, module: str, template: dict[str, Any],
                      values: dict[str, str]) -> dict[str, Any]:
    wired = _wired(design)
    group = SECURITY_GROUPS.get(module)
    passed: dict[str, Any] = {}
    for name in template["Parameters"]:
        if name == "SecurityGroupId" and group:
            passed[name] = _outputs_of(STACKS["network"], group)
        elif name in wired:
            passed[name] = wired[name]
        elif name in values:
            passed[name] = p.ref(name)
    return passed


def parent_template(design: InfraDesign, modules: dict[str, dict[str, Any]], values: dict[str, str]) -> dict[str, Any]:
    """main.yaml: the module stacks, each given the environment's parameters and the other stacks' outputs."""
    parameters: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    for module, template in modules.items():
        passed = _stack_parameters(design, module, template, values)
        for name, value in passed.items():
            if value == p.ref(name):
                parameters[name] = {key: item for key, item in template["Parameters"][name].items()
                                    if key != "Default" or name == "AlarmEmail"}
        resources[STACKS[module]] = {"Type": "AWS::CloudFormation::Stack", **NESTED_POLICY, "Metadata": PACKAGED, "Properties": {
            "TemplateURL": f"modules/{module}.yaml", "Parameters": passed}}
    outputs = {"NameServers": p.output(_outputs_of(STACKS["network"], "NameServers"),
                                       "Delegate the domain to these name servers.")} if design.public else {}
    outputs.update({f"RepositoryUri{p.logical_id(s.name)}": p.output(
        _outputs_of(STACKS["compute"], f"RepositoryUri{p.logical_id(s.name)}"), f"Push {s.name}'s images here.")
        for s in design.services})
    if design.orchestrator == "eks":
        outputs.update(parent_outputs(design, STACKS["compute"], STACKS["network"]))
    return p.template(f"{design.name}: the environment's stacks (run `make package` first: it uploads the modules)",
                      dict(sorted(parameters.items())), resources, outputs=outputs)


def with_defaults(template: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The template with its parameters' defaults set to `values` (what one environment passes it)."""
    parameters = {}
    for name, spec in template["Parameters"].items():
        spec = dict(spec)
        if name in values and name != "AlarmEmail":
            spec["Default"] = _typed(values[name], spec)
        parameters[name] = spec
    return {**template, "Parameters": parameters}


def _typed(value: str, spec: dict[str, Any]) -> Any:
    if spec["Type"] == "Number":
        return float(value) if "." in value else int(value)
    return value


def parameter_file(values: dict[str, str], parent: dict[str, Any]) -> str:
    """parameters/<env>.json in the format `aws cloudformation deploy --parameter-overrides file://` reads."""
    return json.dumps([{"ParameterKey": name, "ParameterValue": values[name]} for name in parent["Parameters"]],
                      indent=2) + "\n"


def bootstrap_template(design: InfraDesign) -> dict[str, Any]:
    """bootstrap.yaml: the encrypted bucket `aws cloudformation package` uploads the module templates to."""
    key_policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AccountAdministers", "Effect": "Allow",
        "Principal": {"AWS": p.sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")}, "Action": "kms:*",
        "Resource": "*"}]}
    resources = {
        "ArtifactKey": {"Type": "AWS::KMS::Key", **p.RETAIN, "Properties": {
            "Description": "Encrypts the packaged CloudFormation templates", "EnableKeyRotation": True,
            "PendingWindowInDays": 30, "KeyPolicy": key_policy}},
        "ArtifactBucket": {"Type": "AWS::S3::Bucket", **p.RETAIN, "Properties": {
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                  "KMSMasterKeyID": p.get_att("ArtifactKey", "Arn")},
                "BucketKeyEnabled": True}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "LifecycleConfiguration": {"Rules": [{
                "Id": "drop-old-packages", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}}},
        "ArtifactBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": p.ref("ArtifactBucket"),
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [p.deny_insecure_transport("ArtifactBucket")]}}},
    }
    return p.template(f"{design.name}: the bucket for packaged CloudFormation templates (once per account)", {},
                      resources, outputs={"ArtifactBucket": p.output(p.ref("ArtifactBucket"),
                                                                     "Pass to make as ARTIFACT_BUCKET.")})


def template_files(design: InfraDesign, budgets: dict[str, float]) -> dict[str, str]:
    """The parent, module and bootstrap templates and one parameter file per environment."""
    modules = module_templates(design)
    production = environment_values(design, design.environment("production"), budgets["production"])
    files = {module_path(module): to_yaml(with_defaults(template, production)) for module, template in modules.items()}
    parent = parent_template(design, modules, production)
    files[f"{ROOT}/{PARENT}"] = to_yaml(parent)
    files[f"{ROOT}/{BOOTSTRAP}"] = to_yaml(bootstrap_template(design))
    for env in design.environments:
        files[f"{ROOT}/parameters/{env.name}.json"] = parameter_file(
            environment_values(design, env, budgets[env.name]), parent)
    return files


def environment_module_files(design: InfraDesign, budgets: dict[str, float], environment: str) -> dict[str, str]:
    """The module templates as `environment` runs them (its values as defaults): what checkov scans per environment."""
    values = environment_values(design, design.environment(environment), budgets[environment])
    return {module_path(module): to_yaml(with_defaults(template, values))
            for module, template in module_templates(design).items()}
