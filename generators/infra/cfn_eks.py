"""modules/compute.yaml for containers on EKS: the Terraform EKS module (templates/infra/aws/compute_eks.tf.j2) as
CloudFormation. A private cluster with envelope-encrypted secrets and control-plane logs, on-demand and Spot managed
node groups, the add-ons, a Pod Identity role per service, ECR repositories and, for public designs, the role of the
AWS Load Balancer Controller that registers pods in the network module's target groups."""

from __future__ import annotations

import math
from typing import Any

from generators.infra import cfn_parts as p
from generators.infra.cfn_compute import application_statements
from generators.infra.cfn_compute import repositories
from generators.infra.cfn_compute import repository_outputs
from generators.infra.cfn_compute import service_ids
from generators.infra.cfn_compute import wired_parameters
from generators.infra.cfn_network import NO_EGRESS
from generators.infra.cost_eks import ROOT_VOLUME_GB
from generators.infra.cost_eks import node_split
from generators.infra.model import InfraDesign
from generators.infra.model import Sizing
from generators.infra.terraform_aws import KUBERNETES_VERSION

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly",
                 "AmazonSSMManagedInstanceCore")
ADDONS = {"AddonPodIdentityAgent": "eks-pod-identity-agent", "AddonVpcCni": "vpc-cni", "AddonCoreDns": "coredns",
          "AddonKubeProxy": "kube-proxy"}
# The log groups of the Container Insights add-on (its agent's performance events, Fluent Bit's logs).
CONTAINER_INSIGHTS_LOGS = ("application", "dataplane", "host", "performance")
CAPACITIES = {"OnDemand": "ON_DEMAND", "Spot": "SPOT"}  # node group logical id suffix -> capacity type
LOAD_BALANCER_DESCRIBE = ("elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
                          "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
                          "elasticloadbalancing:DescribeTags", "ec2:DescribeInstances",
                          "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
                          "ec2:DescribeVpcs")


def node_values(size: Sizing) -> dict[str, Any]:
    """The node groups' parameters of one environment: the node range split into on-demand and Spot by the Spot
    share, as the Terraform module's locals split it (a group whose maximum is 0 is not created)."""
    on_demand_min, spot_min = node_split(size)
    spot_max = math.ceil(size.max_nodes * size.spot_share / 100)
    return {"NodeInstanceType": size.node_instance_type, "OnDemandMinNodes": on_demand_min,
            "OnDemandMaxNodes": max(size.max_nodes - spot_max, on_demand_min), "SpotMinNodes": spot_min,
            "SpotMaxNodes": spot_max}


def _parameters(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "Name": p.text("Prefix of every resource name."),
        "DeletionProtection": p.flag("Whether the cluster refuses deletion."),
        "NodeInstanceType": p.text("EC2 instance type of the nodes (Graviton)."),
        **{f"{capacity}{bound}Nodes": p.number(f"{bound}imum {label} nodes.")
           for capacity, label in (("OnDemand", "on-demand"), ("Spot", "Spot")) for bound in ("Min", "Max")},
        "LogRetentionDays": p.number("Days the control-plane and Container Insights logs are kept.", 1),
        "KmsKeyArn": p.text("Key of the images, logs and Kubernetes secrets."),
        "SecretArns": p.id_list("Secrets the services' pods may read."),
        "VpcId": p.text("The VPC of the cluster."),
        "PrivateSubnetIds": p.id_list("Subnets of the nodes and the control plane's interfaces."),
        "SecurityGroupId": p.text("Security group of the services zone, given to the nodes."),
    }
    return {**parameters, **wired_parameters(design, wiring)}


def _tagging_trust(service: str) -> dict[str, Any]:
    """A trust policy that also lets the service tag the session (EKS and Pod Identity require it)."""
    document = p.trust(service)
    document["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:TagSession"]
    return document


def _managed(*names: str) -> list[Any]:
    return [p.sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{name}") for name in names]


def _cluster() -> dict[str, Any]:
    return {
        # Created before the cluster so EKS writes its control-plane logs here, encrypted and kept for the retention.
        "ClusterLogGroup": p.log_group(p.sub("/aws/eks/${Name}/cluster"), p.ref("LogRetentionDays"),
                                       p.ref("KmsKeyArn")),
        # The control plane encrypts Kubernetes secrets with the project's key (envelope encryption).
        "ClusterRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": _tagging_trust("eks.amazonaws.com"),
            "ManagedPolicyArns": _managed("AmazonEKSClusterPolicy"),
            "Policies": [p.policy("secrets-encryption", [p.allow(
                "UseKey", ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
                p.ref("KmsKeyArn"))])]}},
        "ControlPlaneSecurityGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "EKS control plane: the Kubernetes API, reachable from the nodes only",
            "VpcId": p.ref("VpcId"), "SecurityGroupEgress": [NO_EGRESS]}},
        "ControlPlaneFromNodes": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": p.ref("ControlPlaneSecurityGroup"), "Description": "The Kubernetes API from the nodes",
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": p.ref("SecurityGroupId")}},
        # The API endpoint is private: kubectl and CI reach it from inside the VPC (SSM, VPN or a runner in the VPC).
        "Cluster": {"Type": "AWS::EKS::Cluster", "DependsOn": "ClusterLogGroup", "Properties": {
            "Name": p.ref("Name"), "Version": KUBERNETES_VERSION, "RoleArn": p.get_att("ClusterRole", "Arn"),
            "DeletionProtection": p.ref("DeletionProtection"),
            "ResourcesVpcConfig": {"SubnetIds": p.ref("PrivateSubnetIds"),
                                   "SecurityGroupIds": [p.ref("ControlPlaneSecurityGroup")],
                                   "EndpointPrivateAccess": True, "EndpointPublicAccess": False},
            "EncryptionConfig": [{"Resources": ["secrets"], "Provider": {"KeyArn": p.ref("KmsKeyArn")}}],
            "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": kind} for kind in LOG_TYPES]}},
            "AccessConfig": {"AuthenticationMode": "API", "BootstrapClusterCreatorAdminPermissions": True}}},
    }


def _nodes() -> dict[str, Any]:
    resources: dict[str, Any] = {
        # Nodes join the cluster, pull images and run the VPC CNI; applications get their own roles.
        "NodeRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("ec2.amazonaws.com"), "ManagedPolicyArns": _managed(*NODE_POLICIES)}},
        "NodeLaunchTemplate": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "SecurityGroupIds": [p.ref("SecurityGroupId"), p.get_att("Cluster", "ClusterSecurityGroupId")],
            "EbsOptimized": True,
            # IMDSv2 only, one hop: pods get credentials from Pod Identity, never from the node's role.
            "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
            "Monitoring": {"Enabled": True},
            "BlockDeviceMappings": p.root_volume(ROOT_VOLUME_GB),
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [
                {"Key": "Name", "Value": p.sub("${Name}-node")}]}]}}},
    }
    for capacity, capacity_type in CAPACITIES.items():
        # No group name: a new instance type replaces the group, which a fixed name would refuse.
        resources[f"NodeGroup{capacity}"] = {"Type": "AWS::EKS::Nodegroup", "Condition": f"Has{capacity}Nodes",
                                             "Properties": {
            "ClusterName": p.ref("Cluster"), "NodeRole": p.get_att("NodeRole", "Arn"),
            "Subnets": p.ref("PrivateSubnetIds"), "AmiType": "AL2023_ARM_64_STANDARD", "CapacityType": capacity_type,
            "InstanceTypes": [p.ref("NodeInstanceType")],
            "LaunchTemplate": {"Id": p.ref("NodeLaunchTemplate"),
                               "Version": p.get_att("NodeLaunchTemplate", "LatestVersionNumber")},
            "ScalingConfig": {"MinSize": p.ref(f"{capacity}MinNodes"), "DesiredSize": p.ref(f"{capacity}MinNodes"),
                              "MaxSize": p.ref(f"{capacity}MaxNodes")},
            "UpdateConfig": {"MaxUnavailable": 1}, "Labels": {"capacity": capacity_type.lower()}}}
    # The add-ons wait for whichever node groups this environment has (DependsOn cannot name a conditional one).
    resources["NodeGroupsReady"] = {"Type": "AWS::CloudFormation::WaitConditionHandle", "Metadata": {
        capacity: {"Fn::If": [f"Has{capacity}Nodes", p.ref(f"NodeGroup{capacity}"), ""]}
        for capacity in CAPACITIES}}
    return resources


def _addon(name: str, depends_on: list[str] | str, service_account: str | None = None,
           role: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"ClusterName": p.ref("Cluster"), "AddonName": name, "ResolveConflicts": "OVERWRITE"}
    if service_account and role:
        properties["PodIdentityAssociations"] = [{"RoleArn": p.get_att(role, "Arn"),
                                                  "ServiceAccount": service_account}]
    return {"Type": "AWS::EKS::Addon", "DependsOn": depends_on, "Properties": properties}


def _addons() -> dict[str, Any]:
    pods = _tagging_trust("pods.eks.amazonaws.com")
    resources: dict[str, Any] = {ident: _addon(name, "NodeGroupsReady") for ident, name in ADDONS.items()}
    main = list(ADDONS)
    resources.update({
        # The EBS CSI driver creates encrypted volumes for persistent volume claims through its own role.
        "EbsCsiRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": pods, "ManagedPolicyArns": _managed("service-role/AmazonEBSCSIDriverPolicy")}},
        "AddonEbsCsiDriver": _addon("aws-ebs-csi-driver", main, "ebs-csi-controller-sa", "EbsCsiRole"),
        # Container Insights: the pod CPU and memory metrics the observability module alarms on.
        "CloudWatchAgentRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": pods, "ManagedPolicyArns": _managed("CloudWatchAgentServerPolicy")}},
    })
    groups = _container_insights_log_groups()
    resources.update(groups)
    resources["AddonCloudWatchObservability"] = _addon("amazon-cloudwatch-observability", [*main, *groups],
                                                       "cloudwatch-agent", "CloudWatchAgentRole")
    return resources


def _container_insights_log_groups() -> dict[str, Any]:
    """The add-on's agent and Fluent Bit write into these; made first, they are encrypted and kept for the retention
    (the add-on would create missing groups unencrypted and kept forever). AL2023 nodes send no dataplane or host
    logs unless the add-on's configuration turns them on."""
    return {f"ContainerInsightsLogGroup{kind.title()}": p.log_group(
        p.sub(f"/aws/containerinsights/${{Name}}/{kind}"), p.ref("LogRetentionDays"), p.ref("KmsKeyArn"))
        for kind in CONTAINER_INSIGHTS_LOGS}


def _association(namespace: str, service_account: str, role: str) -> dict[str, Any]:
    return {"Type": "AWS::EKS::PodIdentityAssociation", "DependsOn": list(ADDONS), "Properties": {
        "ClusterName": p.ref("Cluster"), "Namespace": namespace, "ServiceAccount": service_account,
        "RoleArn": p.get_att(role, "Arn")}}


def _service_roles(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    """One role per service, for the pods of its Kubernetes service account in the application namespace."""
    resources: dict[str, Any] = {}
    for ident, name, _ in service_ids(design):
        resources[f"PodRole{ident}"] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": _tagging_trust("pods.eks.amazonaws.com"),
            "Policies": [p.policy("application", [
                p.allow("ReadSecrets", ["secretsmanager:GetSecretValue"], p.ref("SecretArns")),
                *application_statements(design, wiring)])]}}
        resources[f"PodIdentity{ident}"] = _association(design.name, name, f"PodRole{ident}")
    return resources


def _load_balancer_controller(design: InfraDesign) -> dict[str, Any]:
    """The load balancer, listener and WAF stay in the network module; the controller only registers pod IPs in
    their existing target groups (TargetGroupBinding), so it may not create load balancers."""
    target_groups = [p.ref(f"TargetGroup{ident}") for ident, _, _ in service_ids(design)]
    return {
        "LoadBalancerControllerRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": _tagging_trust("pods.eks.amazonaws.com"),
            "Policies": [p.policy("target-group-binding", [
                p.allow("Describe", list(LOAD_BALANCER_DESCRIBE), "*"),
                p.allow("RegisterPods", ["elasticloadbalancing:RegisterTargets",
                                         "elasticloadbalancing:DeregisterTargets"], target_groups)])]}},
        "LoadBalancerControllerIdentity": _association("kube-system", "aws-load-balancer-controller",
                                                       "LoadBalancerControllerRole"),
    }


def _outputs(design: InfraDesign) -> dict[str, Any]:
    outputs = {**repository_outputs(design),
               "ClusterName": p.output(p.ref("Cluster"), "The cluster (aws eks update-kubeconfig --name ...)."),
               "ClusterEndpoint": p.output(p.get_att("Cluster", "Endpoint"), "The private Kubernetes API.")}
    for ident, name, _ in service_ids(design):
        outputs[f"PodRoleArn{ident}"] = p.output(p.get_att(f"PodRole{ident}", "Arn"),
                                                 f"Role of {name}'s pods (service account {name}).")
    return outputs


def eks_template(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    """The compute module's template for EKS; `wiring` says which data stores the pods' roles may reach."""
    resources = {**repositories(design), **_cluster(), **_nodes(), **_addons(), **_service_roles(design, wiring)}
    if design.public:
        resources.update(_load_balancer_controller(design))
    conditions = {f"Has{capacity}Nodes": {"Fn::Not": [{"Fn::Equals": [p.ref(f"{capacity}MaxNodes"), 0]}]}
                  for capacity in CAPACITIES}
    return p.template(f"{design.name} compute: a private EKS cluster, on-demand and Spot managed node groups, "
                      "add-ons, Pod Identity roles, ECR", _parameters(design, wiring), resources,
                      conditions=conditions, outputs=_outputs(design))


def parent_outputs(design: InfraDesign, compute_stack: str, network_stack: str) -> dict[str, Any]:
    """What the parent stack passes on for kubectl and the TargetGroupBindings."""
    outputs = {name: p.output(p.get_att(compute_stack, f"Outputs.{name}"), description) for name, description in (
        ("ClusterName", "The cluster (aws eks update-kubeconfig --name ...)."),
        ("ClusterEndpoint", "The private Kubernetes API."))}
    if design.public:
        for ident, name, _ in service_ids(design):
            outputs[f"TargetGroup{ident}"] = p.output(p.get_att(network_stack, f"Outputs.TargetGroup{ident}"),
                                                      f"The TargetGroupBinding of {name} registers its pods here.")
    return outputs
