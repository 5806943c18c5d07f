"""Containers on EKS in the CloudFormation output: the Terraform EKS module's architecture as stacks, chosen like
the Terraform's (compute.orchestrator or the repository's Kubernetes manifests)."""

from __future__ import annotations

import json
import re

from ruamel.yaml import YAML

from generators.infra import cloudformation_aws as cfn
from generators.infra.package import infrastructure_package
from generators.infra.terraform_aws import module_files
from generators.infra.validate import compute_problems
from infra_support import run_infra
from test_infra_cloudformation import full_design

ROOT = cfn.ROOT
PODS = "pods.eks.amazonaws.com"


def load(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(text)


def eks_files() -> dict[str, str]:
    return infrastructure_package(full_design("eks"))["files"]


def compute() -> dict:
    return load(eks_files()[f"{ROOT}/modules/compute.yaml"])["Resources"]


def of_type(resources: dict, kind: str) -> dict:
    return {name: resource for name, resource in resources.items() if resource["Type"] == kind}


def test_eks_is_generated_for_cloudformation_when_the_request_names_it() -> None:
    assert compute_problems("containers", "aws", "cloudformation", "eks") == []
    package = run_infra("python-pip", iac_tool="cloudformation",
                        application_requirements={"compute": {"orchestrator": "eks"}})["infrastructure_package"]
    template = load(package["files"][f"{ROOT}/modules/compute.yaml"])
    assert "AWS::EKS::Cluster" in {resource["Type"] for resource in template["Resources"].values()}
    assert "| orchestrator | `eks` | `input`: compute.orchestrator |" in package["pull_request"]["body"]


def test_kubernetes_manifests_choose_eks_for_cloudformation_as_for_terraform() -> None:
    outputs = run_infra("monitoring-shop", iac_tool="cloudformation")
    package = outputs["infrastructure_package"]
    assert "| orchestrator | `eks` | `k8s/checkout.yaml`: Kubernetes manifests" in package["pull_request"]["body"]
    assert any("AWS::EKS::Cluster" in text for text in package["files"].values())
    assert not any("AWS::ECS::" in text for text in package["files"].values())
    # The cost is the Terraform EKS package's: the same design, priced the same way.
    assert outputs["cost_analysis"] == run_infra("monitoring-shop")["cost_analysis"]


def test_the_cluster_is_private_encrypted_logged_and_authenticated_by_access_entries() -> None:
    resources = compute()
    cluster = resources["Cluster"]["Properties"]
    assert cluster["ResourcesVpcConfig"]["EndpointPrivateAccess"] is True
    assert cluster["ResourcesVpcConfig"]["EndpointPublicAccess"] is False
    assert cluster["EncryptionConfig"] == [{"Resources": ["secrets"], "Provider": {"KeyArn": {"Ref": "KmsKeyArn"}}}]
    assert [item["Type"] for item in cluster["Logging"]["ClusterLogging"]["EnabledTypes"]] == [
        "api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert cluster["AccessConfig"]["AuthenticationMode"] == "API"
    assert cluster["DeletionProtection"] == {"Ref": "DeletionProtection"}
    # EKS writes its control-plane logs into the group the stack made first, encrypted and with a retention.
    assert resources["Cluster"]["DependsOn"] == "ClusterLogGroup"
    assert resources["ClusterLogGroup"]["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/eks/${Name}/cluster"}
    assert resources["ClusterLogGroup"]["Properties"]["KmsKeyId"] == {"Ref": "KmsKeyArn"}
    key = resources["ClusterRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert key[0]["Resource"] == {"Ref": "KmsKeyArn"} and "kms:CreateGrant" in key[0]["Action"]


def test_node_groups_split_on_demand_and_spot_per_environment_as_the_terraform_does() -> None:
    files = eks_files()
    values = {env: {item["ParameterKey"]: item["ParameterValue"]
                    for item in json.loads(files[f"{ROOT}/parameters/{env}.json"])}
              for env in ("development", "staging", "production")}
    ranges = {env: tuple(int(values[env][f"{kind}{bound}Nodes"]) for kind in ("OnDemand", "Spot")
                         for bound in ("Min", "Max")) for env in values}
    # development 2-3 nodes and staging 2-4 at 50% Spot; production 3-10 on demand, so it has no Spot group.
    assert ranges == {"development": (1, 1, 1, 2), "staging": (1, 2, 1, 2), "production": (3, 10, 0, 0)}
    template = load(files[f"{ROOT}/modules/compute.yaml"])
    groups = of_type(template["Resources"], "AWS::EKS::Nodegroup")
    assert {name: (group["Condition"], group["Properties"]["CapacityType"]) for name, group in groups.items()} == {
        "NodeGroupOnDemand": ("HasOnDemandNodes", "ON_DEMAND"), "NodeGroupSpot": ("HasSpotNodes", "SPOT")}
    assert template["Conditions"]["HasSpotNodes"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "SpotMaxNodes"}, 0]}]}
    assert all(group["Properties"]["AmiType"] == "AL2023_ARM_64_STANDARD" for group in groups.values())
    launch = template["Resources"]["NodeLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert launch["MetadataOptions"] == {"HttpEndpoint": "enabled", "HttpTokens": "required",
                                         "HttpPutResponseHopLimit": 1}
    # Encrypted with the account's EBS key, as the Terraform does: no customer key the Auto Scaling role can't use.
    volume = launch["BlockDeviceMappings"][0]["Ebs"]
    assert volume["Encrypted"] is True and "KmsKeyId" not in volume
    assert {"Fn::GetAtt": ["Cluster", "ClusterSecurityGroupId"]} in launch["SecurityGroupIds"]


def test_the_add_ons_are_the_terraform_modules_and_wait_for_the_nodes() -> None:
    design = full_design("eks")
    terraform = module_files(design, only="compute")["infra/aws/modules/compute/main.tf"]
    listed = re.search(r'toset\(\[("eks-pod-identity-agent"[^\]]*)\]\)', terraform)
    assert listed is not None
    expected = set(re.findall(r'"([^"]+)"', listed.group(1))) | set(re.findall(r'addon_name\s+= "([^"]+)"', terraform))
    resources = compute()
    addons = of_type(resources, "AWS::EKS::Addon")
    assert {addon["Properties"]["AddonName"] for addon in addons.values()} == expected
    assert len(expected) == 6
    # The node groups are conditional, so the first add-ons wait on a handle that references whichever exist.
    ready = resources["NodeGroupsReady"]["Metadata"]
    assert ready == {capacity: {"Fn::If": [f"Has{capacity}Nodes", {"Ref": f"NodeGroup{capacity}"}, ""]}
                     for capacity in ("OnDemand", "Spot")}
    assert addons["AddonCoreDns"]["DependsOn"] == "NodeGroupsReady"


def test_each_service_gets_a_least_privilege_pod_identity_role_and_the_controller_only_registers_pods() -> None:
    resources = compute()
    for ident, name in (("Api", "api"), ("Web", "web")):
        role = resources[f"PodRole{ident}"]["Properties"]
        assert role["AssumeRolePolicyDocument"]["Statement"][0] == {
            "Effect": "Allow", "Principal": {"Service": PODS}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
        statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        assert [statement["Sid"] for statement in statements] == ["ReadSecrets", "UseKey", "AppBucket", "AppQueues",
                                                                  "CacheIamAuth"]
        assert all(statement["Resource"] != "*" for statement in statements)
        association = resources[f"PodIdentity{ident}"]["Properties"]
        assert (association["Namespace"], association["ServiceAccount"], association["RoleArn"]) == (
            "shop", name, {"Fn::GetAtt": [f"PodRole{ident}", "Arn"]})
    controller = resources["LoadBalancerControllerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    register = next(statement for statement in controller if statement["Sid"] == "RegisterPods")
    assert register["Resource"] == [{"Ref": "TargetGroupApi"}, {"Ref": "TargetGroupWeb"}]
    describe = next(statement for statement in controller if statement["Sid"] == "Describe")
    assert all(":Describe" in action for action in describe["Action"])
    assert resources["LoadBalancerControllerIdentity"]["Properties"]["Namespace"] == "kube-system"


def test_the_pods_target_groups_the_cluster_and_the_container_insights_alarms_are_wired() -> None:
    files = eks_files()
    network = load(files[f"{ROOT}/modules/network.yaml"])["Resources"]
    assert network["TargetGroupApi"]["Properties"]["TargetType"] == "ip"
    parent = load(files[f"{ROOT}/main.yaml"])
    assert {"ClusterName", "ClusterEndpoint", "TargetGroupApi", "RepositoryUriApi"} <= set(parent["Outputs"])
    passed = parent["Resources"]["ComputeStack"]["Properties"]["Parameters"]
    assert passed["VpcId"] == {"Fn::GetAtt": ["NetworkStack", "Outputs.VpcId"]}
    alarms = load(files[f"{ROOT}/modules/observability.yaml"])["Resources"]
    for alarm, metric in (("CpuAlarmApi", "pod_cpu_utilization"), ("MemoryAlarmApi", "pod_memory_utilization")):
        properties = alarms[alarm]["Properties"]
        assert (properties["Namespace"], properties["MetricName"]) == ("ContainerInsights", metric)
        assert properties["Dimensions"] == [{"Name": "ClusterName", "Value": {"Ref": "Name"}},
                                            {"Name": "Namespace", "Value": "shop"},
                                            {"Name": "Service", "Value": "api"}]


def test_the_container_insights_log_groups_are_made_encrypted_and_kept_for_the_retention_before_the_add_on() -> None:
    """The add-on creates the groups it misses unencrypted and kept forever; made first, it writes into these."""
    kinds = ("application", "dataplane", "host", "performance")
    resources = compute()
    groups = {name: resource["Properties"] for name, resource in of_type(resources, "AWS::Logs::LogGroup").items()
              if "containerinsights" in str(resource["Properties"]["LogGroupName"])}
    assert sorted(properties["LogGroupName"]["Fn::Sub"] for properties in groups.values()) == [
        f"/aws/containerinsights/${{Name}}/{kind}" for kind in kinds]
    assert all((properties["KmsKeyId"], properties["RetentionInDays"]) == ({"Ref": "KmsKeyArn"},
                                                                          {"Ref": "LogRetentionDays"})
               for properties in groups.values())
    assert set(groups) <= set(resources["AddonCloudWatchObservability"]["DependsOn"])
    terraform = module_files(full_design("eks"), only="compute")["infra/aws/modules/compute/main.tf"]
    block = re.search(r'resource "aws_cloudwatch_log_group" "container_insights" \{\n(.*?)\n\}', terraform, re.S)
    assert block is not None
    for setting in ('for_each          = toset(["application", "dataplane", "host", "performance"])',
                    'name              = "/aws/containerinsights/${var.name}/${each.value}"',
                    "retention_in_days = var.log_retention_days", "kms_key_id        = var.kms_key_arn"):
        assert setting in block.group(1), setting
    addon = re.search(r'resource "aws_eks_addon" "observability" \{\n(.*?)\n\}', terraform, re.S)
    assert addon is not None and "aws_cloudwatch_log_group.container_insights" in addon.group(1)
