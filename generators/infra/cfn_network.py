"""modules/network.yaml: the VPC across zones, three subnet tiers, NAT, NACLs and security groups per zone,
endpoints, flow logs, and for public designs the hosted zone and certificate, plus the load balancer with its DNS
records and WAF unless the services are serverless (their APIs, records and WAF are in the compute module)."""

from __future__ import annotations

from typing import Any

from generators.infra import cfn_parts as p
from generators.infra.cfn_waf import web_acl
from generators.infra.model import InfraDesign

TIERS = {"Public": 0, "Private": 10, "Database": 20}  # /24 offsets inside the VPC's /16, as in the Terraform
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts", "kms")
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Egress rule that replaces CloudFormation's default allow-all on groups that must not open connections.
NO_EGRESS = {"IpProtocol": "-1", "CidrIp": "127.0.0.1/32", "Description": "No outbound traffic"}


def subnet(tier: str, index: int) -> str:
    """Logical id of the subnet of `tier` in zone `index` (0-based)."""
    return f"{tier}Subnet{index + 1}"


def subnets(tier: str) -> Any:
    """The tier's subnet ids for the environment's zone count."""
    return p.per_zone([p.ref(subnet(tier, index)) for index in range(p.ZONES)])


def target_group(service: str) -> str:
    """Logical id of a service's target group."""
    return f"TargetGroup{p.logical_id(service)}"


def load_balanced(design: InfraDesign) -> bool:
    """Whether the public endpoint is the load balancer; serverless designs answer through API Gateway instead."""
    return design.public and design.orchestrator != "lambda"


def _parameters(design: InfraDesign) -> dict[str, Any]:
    parameters = {
        "Name": p.text("Prefix of every resource name."), "VpcCidr": p.text("The VPC's address range (a /16)."),
        "Zones": p.id_list("Availability zones by name, in order."), "ZoneCount": p.zone_count_parameter(),
        "NatGateways": {"Type": "Number", "AllowedValues": [1, 2, 3], "Description": "NAT gateways (1 or one per zone)."},
        "InterfaceEndpoints": p.flag("Private endpoints for ECR, logs, secrets, STS and KMS instead of NAT."),
        "FlowLogRetentionDays": p.number("Days flow and WAF logs are kept.", 1),
        "KmsKeyArn": p.text("Key that encrypts the logs."),
    }
    domain = {"DomainName": p.text("Public domain of the services (a hosted zone is created for it).")}
    if load_balanced(design):
        parameters.update({
            "DeletionProtection": p.flag("Whether the load balancer refuses deletion."),
            "AccessLogBucket": p.text("Bucket that receives the load balancer's access logs."),
            **domain, "HealthCheckPath": p.text("Path the target groups probe."),
        })
    elif design.public:
        parameters.update(domain)
    return parameters


def _conditions(design: InfraDesign) -> dict[str, Any]:
    conditions = {**p.third_zone_condition(),
                  "HasSecondNat": {"Fn::Not": [{"Fn::Equals": [p.ref("NatGateways"), 1]}]},
                  "HasThirdNat": {"Fn::And": [{"Fn::Equals": [p.ref("NatGateways"), 3]}, {"Condition": p.THIRD_ZONE}]},
                  "UseInterfaceEndpoints": p.is_true("InterfaceEndpoints")}
    return conditions


def _vpc_and_subnets() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
            "CidrBlock": p.ref("VpcCidr"), "EnableDnsSupport": True, "EnableDnsHostnames": True,
            "Tags": [{"Key": "Name", "Value": p.ref("Name")}]}},
        "InternetGateway": {"Type": "AWS::EC2::InternetGateway"},
        "GatewayAttachment": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
            "VpcId": p.ref("Vpc"), "InternetGatewayId": p.ref("InternetGateway")}},
    }
    for tier, offset in TIERS.items():
        for index in range(p.ZONES):
            zone = {"Fn::Select": [index, p.ref("Zones")]}
            resources[subnet(tier, index)] = {"Type": "AWS::EC2::Subnet", **p.zone_condition(index), "Properties": {
                "VpcId": p.ref("Vpc"), "AvailabilityZone": zone,
                "CidrBlock": {"Fn::Select": [offset + index, {"Fn::Cidr": [p.ref("VpcCidr"), 30, 8]}]},
                "Tags": [{"Key": "Name", "Value": {"Fn::Join": ["-", [p.ref("Name"), tier.lower(), zone]]}},
                         {"Key": "zone", "Value": tier.lower()}]}}
    return resources


def _nat_gateway(index: int) -> str:
    """The NAT gateway zone `index` routes through: its own, else the last one there is."""
    if index == 0:
        return "NatGateway1"
    second = {"Fn::If": ["HasSecondNat", p.ref("NatGateway2"), p.ref("NatGateway1")]}
    return second if index == 1 else {"Fn::If": ["HasThirdNat", p.ref("NatGateway3"), second]}


def _routing() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "PublicRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": p.ref("Vpc")}},
        "PublicDefaultRoute": {"Type": "AWS::EC2::Route", "DependsOn": "GatewayAttachment", "Properties": {
            "RouteTableId": p.ref("PublicRouteTable"), "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": p.ref("InternetGateway")}},
        # The database tier has no route to the internet at all.
        "DatabaseRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": p.ref("Vpc")}},
    }
    conditions = {0: {}, 1: {"Condition": "HasSecondNat"}, 2: {"Condition": "HasThirdNat"}}
    for index in range(p.ZONES):
        number, zone = index + 1, p.zone_condition(index)
        resources[f"NatAddress{number}"] = {"Type": "AWS::EC2::EIP", **conditions[index],
                                            "DependsOn": "GatewayAttachment", "Properties": {"Domain": "vpc"}}
        resources[f"NatGateway{number}"] = {"Type": "AWS::EC2::NatGateway", **conditions[index], "Properties": {
            "AllocationId": p.get_att(f"NatAddress{number}", "AllocationId"),
            "SubnetId": p.ref(subnet("Public", index))}}
        # One private route table per zone: with a NAT gateway per zone, a zone outage stays in its zone.
        resources[f"PrivateRouteTable{number}"] = {"Type": "AWS::EC2::RouteTable", **zone,
                                                   "Properties": {"VpcId": p.ref("Vpc")}}
        nat = _nat_gateway(index)
        resources[f"PrivateDefaultRoute{number}"] = {"Type": "AWS::EC2::Route", **zone, "Properties": {
            "RouteTableId": p.ref(f"PrivateRouteTable{number}"), "DestinationCidrBlock": "0.0.0.0/0",
            "NatGatewayId": p.ref(nat) if isinstance(nat, str) else nat}}
        for tier, table in (("Public", "PublicRouteTable"), ("Private", f"PrivateRouteTable{number}"),
                            ("Database", "DatabaseRouteTable")):
            resources[f"{tier}RouteTableAssociation{number}"] = {
                "Type": "AWS::EC2::SubnetRouteTableAssociation", **zone,
                "Properties": {"SubnetId": p.ref(subnet(tier, index)), "RouteTableId": p.ref(table)}}
    return resources


def _acl_entry(acl: str, number: int, egress: bool, protocol: int, cidr: Any, ports: tuple[int, int] | None):
    entry: dict[str, Any] = {"NetworkAclId": p.ref(acl), "RuleNumber": number, "Protocol": protocol,
                             "RuleAction": "allow", "Egress": egress, "CidrBlock": cidr}
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return {"Type": "AWS::EC2::NetworkAclEntry", "Properties": entry}


def _network_acls() -> dict[str, Any]:
    """NACLs per tier; return traffic skips 3389 so RDP is never reachable."""
    anywhere, vpc = "0.0.0.0/0", p.ref("VpcCidr")
    returns = [(110, (1024, 3388)), (120, (3390, 65535))]
    rules: dict[str, list[tuple[str, int, bool, int, Any, Any]]] = {
        "Public": [("Https", 100, False, 6, anywhere, (443, 443)),
                   *[(f"Return{n}", n, False, 6, anywhere, ports) for n, ports in returns],
                   ("Outbound", 100, True, -1, anywhere, None)],
        "Private": [("FromVpc", 100, False, -1, vpc, None),
                    *[(f"Return{n}", n, False, 6, anywhere, ports) for n, ports in returns],
                    ("Outbound", 100, True, -1, anywhere, None)],
        "Database": [*[(f"FromPrivate{i + 1}", 100 + i, False, 6,
                        {"Fn::Select": [10 + i, {"Fn::Cidr": [vpc, 30, 8]}]}, (1024, 65535)) for i in range(p.ZONES)],
                     ("ToVpc", 100, True, 6, vpc, (1024, 65535))],
    }
    resources: dict[str, Any] = {}
    for tier, entries in rules.items():
        acl = f"{tier}NetworkAcl"
        resources[acl] = {"Type": "AWS::EC2::NetworkAcl", "Properties": {
            "VpcId": p.ref("Vpc"), "Tags": [{"Key": "Name", "Value": p.sub(f"${{Name}}-{tier.lower()}")}]}}
        for name, number, egress, protocol, cidr, ports in entries:
            resources[f"{acl}{name}"] = _acl_entry(acl, number, egress, protocol, cidr, ports)
        for index in range(p.ZONES):
            resources[f"{acl}Association{index + 1}"] = {
                "Type": "AWS::EC2::SubnetNetworkAclAssociation", **p.zone_condition(index),
                "Properties": {"SubnetId": p.ref(subnet(tier, index)), "NetworkAclId": p.ref(acl)}}
    return resources


def _flow_logs() -> dict[str, Any]:
    group = p.sub("/vpc/${Name}/flow-logs")
    return {
        "FlowLogGroup": p.log_group(group, p.ref("FlowLogRetentionDays"), p.ref("KmsKeyArn")),
        "FlowLogRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("vpc-flow-logs.amazonaws.com"),
            "Policies": [p.policy("flow-logs", [p.allow(
                "WriteFlowLogs", ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                p.sub("${FlowLogGroup.Arn}:*"))])]}},
        "FlowLog": {"Type": "AWS::EC2::FlowLog", "Properties": {
            "ResourceId": p.ref("Vpc"), "ResourceType": "VPC", "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs", "LogDestination": p.get_att("FlowLogGroup", "Arn"),
            "DeliverLogsPermissionArn": p.get_att("FlowLogRole", "Arn")}},
    }


def _rule(kind: str, group: str, description: str, port: int, peer: dict[str, Any]) -> dict[str, Any]:
    return {"Type": f"AWS::EC2::SecurityGroup{kind}", "Properties": {
        "GroupId": p.ref(group), "Description": description, "IpProtocol": "tcp", "FromPort": port,
        "ToPort": port, **peer}}


def _security_groups(design: InfraDesign, data_ports: list[int]) -> dict[str, Any]:
    def group(description: str, egress: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": description, "VpcId": p.ref("Vpc"), "SecurityGroupEgress": egress}}

    resources: dict[str, Any] = {
        "ServicesSecurityGroup": group("Private zone: application services", [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
             "Description": "HTTPS to AWS APIs and third parties"}]),
        "DataSecurityGroup": group("Database zone: databases and caches, reachable from the services only",
                                   [NO_EGRESS]),
        "EndpointsSecurityGroup": group("Interface VPC endpoints, reachable from inside the VPC", [NO_EGRESS]),
        "EndpointsHttpsIngress": _rule("Ingress", "EndpointsSecurityGroup", "HTTPS from the VPC", 443,
                                       {"CidrIp": p.ref("VpcCidr")}),
    }
    for port in data_ports:
        resources[f"ServicesToData{port}"] = _rule("Egress", "ServicesSecurityGroup", f"To the data tier on {port}",
                                                   port, {"DestinationSecurityGroupId": p.ref("DataSecurityGroup")})
        resources[f"DataFromServices{port}"] = _rule("Ingress", "DataSecurityGroup", f"From the services on {port}",
                                                     port, {"SourceSecurityGroupId": p.ref("ServicesSecurityGroup")})
    if load_balanced(design):
        resources["LoadBalancerSecurityGroup"] = group("Public zone: the load balancer, reachable on HTTPS only", [
            {"IpProtocol": "tcp", "FromPort": service.port, "ToPort": service.port, "CidrIp": p.ref("VpcCidr"),
             "Description": f"To the {service.name} service"} for service in design.services])
        resources["LoadBalancerHttpsIngress"] = _rule("Ingress", "LoadBalancerSecurityGroup", "HTTPS from the internet",
                                                      443, {"CidrIp": "0.0.0.0/0"})
        for service in design.services:
            resources[f"ServicesFromLoadBalancer{p.logical_id(service.name)}"] = _rule(
                "Ingress", "ServicesSecurityGroup", f"The {service.name} service from the load balancer",
                service.port, {"SourceSecurityGroupId": p.ref("LoadBalancerSecurityGroup")})
    return resources


def _endpoints() -> dict[str, Any]:
    private_tables = p.per_zone([p.ref(f"PrivateRouteTable{index + 1}") for index in range(p.ZONES)])
    resources: dict[str, Any] = {}
    for service in ("s3", "dynamodb"):
        resources[f"{p.logical_id(service)}GatewayEndpoint"] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": p.ref("Vpc"), "VpcEndpointType": "Gateway", "RouteTableIds": private_tables,
            "ServiceName": p.sub(f"com.amazonaws.${{AWS::Region}}.{service}")}}
    # AWS API traffic of the services stays inside the VPC instead of crossing the NAT gateways.
    for service in INTERFACE_ENDPOINTS:
        resources[f"{p.logical_id(service.replace('.', '-').title())}Endpoint"] = {
            "Type": "AWS::EC2::VPCEndpoint", "Condition": "UseInterfaceEndpoints", "Properties": {
                "VpcId": p.ref("Vpc"), "VpcEndpointType": "Interface", "PrivateDnsEnabled": True,
                "SubnetIds": subnets("Private"), "SecurityGroupIds": [p.ref("EndpointsSecurityGroup")],
                "ServiceName": p.sub(f"com.amazonaws.${{AWS::Region}}.{service}")}}
    resources["PrivateHostedZone"] = {"Type": "AWS::Route53::HostedZone", "Properties": {
        "Name": p.sub("${Name}.internal"),
        "VPCs": [{"VPCId": p.ref("Vpc"), "VPCRegion": p.ref("AWS::Region")}]}}
    return resources


def _public_domain(design: InfraDesign) -> dict[str, Any]:
    """The public hosted zone and the certificate of the domain and of each other service's host name."""
    others = [p.sub(f"{service.name}.${{DomainName}}") for service in design.services[1:]]
    return {
        "PublicHostedZone": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": p.ref("DomainName")}},
        # DNS validation: CloudFormation writes the validation records into the zone and waits for the certificate.
        "Certificate": {"Type": "AWS::CertificateManager::Certificate", "Properties": {
            "DomainName": p.ref("DomainName"), **({"SubjectAlternativeNames": others} if others else {}),
            "ValidationMethod": "DNS", "DomainValidationOptions": [
                {"DomainName": domain, "HostedZoneId": p.ref("PublicHostedZone")} for domain in [p.ref("DomainName"),
                                                                                                 *others]]}},
    }


def _load_balancer(design: InfraDesign, target_type: str) -> dict[str, Any]:
    default = design.services[0].name
    attributes = {"deletion_protection.enabled": p.ref("DeletionProtection"),
                  "routing.http.drop_invalid_header_fields.enabled": "true", "access_logs.s3.enabled": "true",
                  "access_logs.s3.bucket": p.ref("AccessLogBucket"), "access_logs.s3.prefix": "alb"}
    resources: dict[str, Any] = {
        "LoadBalancer": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Type": "application", "Scheme": "internet-facing", "Subnets": subnets("Public"),
            "SecurityGroups": [p.ref("LoadBalancerSecurityGroup")],
            "LoadBalancerAttributes": [{"Key": key, "Value": value} for key, value in attributes.items()]}},
        **_public_domain(design),
        "HttpsListener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": p.ref("LoadBalancer"), "Port": 443, "Protocol": "HTTPS", "SslPolicy": TLS_POLICY,
            "Certificates": [{"CertificateArn": p.ref("Certificate")}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": p.ref(target_group(default))}]}},
    }
    for priority, service in enumerate(design.services, start=1):
        resources[target_group(service.name)] = {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Port": service.port, "Protocol": "HTTP", "TargetType": target_type, "VpcId": p.ref("Vpc"),
            "HealthCheckPath": p.ref("HealthCheckPath"), "Matcher": {"HttpCode": "200-399"},
            "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 3}}
        host = p.ref("DomainName") if service.name == default else p.sub(f"{service.name}.${{DomainName}}")
        resources[f"Record{p.logical_id(service.name)}"] = {"Type": "AWS::Route53::RecordSet", "Properties": {
            "HostedZoneId": p.ref("PublicHostedZone"), "Name": host, "Type": "A", "AliasTarget": {
                "DNSName": p.get_att("LoadBalancer", "DNSName"), "EvaluateTargetHealth": True,
                "HostedZoneId": p.get_att("LoadBalancer", "CanonicalHostedZoneID")}}}
        if service.name != default:
            resources[f"ListenerRule{p.logical_id(service.name)}"] = {
                "Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {
                    "ListenerArn": p.ref("HttpsListener"), "Priority": priority,
                    "Actions": [{"Type": "forward", "TargetGroupArn": p.ref(target_group(service.name))}],
                    "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}]}}
    return {**resources, **web_acl({"WebAclAssociation": p.ref("LoadBalancer")}, p.ref("FlowLogRetentionDays"))}


def _outputs(design: InfraDesign) -> dict[str, Any]:
    def joined(tier: str) -> dict[str, Any]:
        return {"Fn::Join": [",", subnets(tier)]}

    outputs = {"VpcId": p.output(p.ref("Vpc"), "The VPC."),
               "PrivateSubnetIds": p.output(joined("Private"), "Subnets of the services."),
               "DatabaseSubnetIds": p.output(joined("Database"), "Subnets of the data stores."),
               "ServicesSecurityGroupId": p.output(p.ref("ServicesSecurityGroup"), "Security group of the services."),
               "DataSecurityGroupId": p.output(p.ref("DataSecurityGroup"), "Security group of the data stores.")}
    if load_balanced(design):
        outputs["LoadBalancerFullName"] = p.output(p.get_att("LoadBalancer", "LoadBalancerFullName"),
                                                   "The load balancer's CloudWatch dimension.")
    if design.public:
        outputs["NameServers"] = p.output({"Fn::Join": [",", p.get_att("PublicHostedZone", "NameServers")]},
                                          "Delegate the domain to these name servers.")
    if design.public and not load_balanced(design):  # the serverless compute module's domains and records
        outputs["PublicZoneId"] = p.output(p.ref("PublicHostedZone"), "The domain's hosted zone.")
        outputs["CertificateArn"] = p.output(p.ref("Certificate"), "Certificate of the domain and service hosts.")
    if load_balanced(design):
        for service in design.services:
            outputs[target_group(service.name)] = p.output(p.ref(target_group(service.name)),
                                                           f"Target group of {service.name}.")
    return outputs


def network_template(design: InfraDesign, data_ports: list[int], target_type: str) -> dict[str, Any]:
    """The network module's template."""
    resources = {**_vpc_and_subnets(), **_routing(), **_network_acls(), **_flow_logs(),
                 **_security_groups(design, data_ports), **_endpoints()}
    if load_balanced(design):
        resources.update(_load_balancer(design, target_type))
    elif design.public:
        resources.update(_public_domain(design))
    public = (", load balancer, certificate, DNS and WAF" if load_balanced(design)
              else ", public hosted zone and certificate" if design.public else "")
    return p.template(f"{design.name} network: VPC, subnets per tier and zone, NAT, NACLs, security groups, "
                      "endpoints, flow logs" + public,
                      _parameters(design), resources, conditions=_conditions(design), outputs=_outputs(design))
