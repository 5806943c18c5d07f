"""modules/compute.yaml for serverless: the Terraform Lambda module (templates/infra/aws/compute_lambda.tf.j2) as
CloudFormation. A Lambda function per service running its ECR image on arm64 in the private subnets, with its own
role, KMS-encrypted environment and logs, X-Ray, a dead-letter queue and a `live` alias that holds the provisioned
concurrency; for public designs a REST API per service (REST: WAF attaches to REST API stages, not to HTTP APIs)
with access logs, throttling, the web ACL and a custom domain in the network module's hosted zone."""

from __future__ import annotations

import json
from typing import Any

from generators.infra import cfn_parts as p
from generators.infra.cfn_compute import application_statements
from generators.infra.cfn_compute import repositories
from generators.infra.cfn_compute import repository_outputs
from generators.infra.cfn_compute import service_ids
from generators.infra.cfn_compute import wired_parameters
from generators.infra.cfn_waf import web_acl
from generators.infra.model import InfraDesign

TIMEOUT_SECONDS = 28  # API Gateway gives up after 29 seconds
DEAD_LETTER_SECONDS = 1209600  # 14 days, SQS's longest
STAGE = "live"
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "time": "$context.requestTime",
    "method": "$context.httpMethod", "path": "$context.path", "status": "$context.status",
    "latency": "$context.responseLatency", "waf": "$context.waf.status", "error": "$context.integrationErrorMessage"},
    separators=(",", ":"))


def function_name(service: str) -> dict[str, Any]:
    """The function's (and its API's) name: the observability module's alarms name it the same way."""
    return p.sub(f"${{Name}}-{service}")


def _managed(policy: str) -> dict[str, Any]:
    return p.sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{policy}")


def _parameters(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "Name": p.text("Prefix of every resource name."), "Environment": p.text("development, staging or production."),
        "ImageTag": p.text("Tag of the images to run (tags are immutable)."),
        "DeletionProtection": p.flag("Whether the dead-letter queues outlive the stack."),
        "FunctionMemory": p.number("MB of memory per function; Lambda gives CPU in proportion.", 128, 10240),
        "ReservedConcurrency": p.number("Concurrent executions reserved for (and capping) each function.", 1),
        "ProvisionedConcurrency": p.number("Warm instances per function's live alias; 0 for none."),
        "LogRetentionDays": p.number("Days the functions' and APIs' logs are kept.", 1),
        "KmsKeyArn": p.text("Key of the images, logs, environment variables, dead letters and secrets."),
        "SecretArns": p.id_list("Secrets the functions read: the application's first."),
        "PrivateSubnetIds": p.id_list("Subnets of the functions' network interfaces."),
        "SecurityGroupId": p.text("Security group of the services."),
    }
    if design.public:
        parameters.update({
            "ApiRateLimit": p.number("Steady requests per second each API accepts before throttling.", 1),
            "ApiBurstLimit": p.number("Burst of requests each API accepts above the steady rate.", 1),
            "DomainName": p.text("Public domain: the first service answers on it, the others on <service>.<domain>."),
            "PublicZoneId": p.text("The domain's hosted zone (network module)."),
            "CertificateArn": p.text("Certificate of the domain and the services' host names (network module)."),
        })
    return {**parameters, **wired_parameters(design, wiring)}


def _pulled_by_lambda(repository: dict[str, Any], name: str) -> dict[str, Any]:
    """The repository, readable by Lambda for this account's function of the service only."""
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "LambdaPulls", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Condition": {"StringLike": {"aws:sourceArn": p.sub(
            f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:${{Name}}-{name}")}}}]}
    return {**repository, "Properties": {**repository["Properties"], "RepositoryPolicyText": policy}}


def _functions(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    images = repositories(design)
    resources: dict[str, Any] = {}
    for ident, name, port in service_ids(design):
        resources[f"Repository{ident}"] = _pulled_by_lambda(images[f"Repository{ident}"], name)
        resources[f"LogGroup{ident}"] = p.log_group(p.sub(f"/aws/lambda/${{Name}}-{name}"), p.ref("LogRetentionDays"),
                                                    p.ref("KmsKeyArn"))
        # Failed asynchronous invocations land here instead of disappearing; production keeps them with the stack.
        resources[f"DeadLetterQueue{ident}"] = {"Type": "AWS::SQS::Queue", **p.protected(), "Properties": {
            "QueueName": p.sub(f"${{Name}}-{name}-dlq"), "KmsMasterKeyId": p.ref("KmsKeyArn"),
            "MessageRetentionPeriod": DEAD_LETTER_SECONDS}}
        # One role per function: its own log group and dead-letter queue, the secrets, and the application's data;
        # AWS's managed policies for exactly the network interfaces and the X-Ray segments.
        resources[f"FunctionRole{ident}"] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("lambda.amazonaws.com"),
            "ManagedPolicyArns": [_managed("service-role/AWSLambdaVPCAccessExecutionRole"),
                                  _managed("AWSXRayDaemonWriteAccess")],
            "Policies": [p.policy("application", [
                p.allow("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                        p.sub(f"${{LogGroup{ident}.Arn}}:*")),
                p.allow("DeadLetters", ["sqs:SendMessage"], p.get_att(f"DeadLetterQueue{ident}", "Arn")),
                p.allow("ReadSecrets", ["secretsmanager:GetSecretValue"], p.ref("SecretArns")),
                *application_statements(design, wiring)])]}}
        resources[f"Function{ident}"] = {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": function_name(name), "Role": p.get_att(f"FunctionRole{ident}", "Arn"),
            "PackageType": "Image",
            "Code": {"ImageUri": p.sub(f"${{Repository{ident}.RepositoryUri}}:${{ImageTag}}")},
            "Architectures": ["arm64"], "MemorySize": p.ref("FunctionMemory"), "Timeout": TIMEOUT_SECONDS,
            "ReservedConcurrentExecutions": p.ref("ReservedConcurrency"), "KmsKeyArn": p.ref("KmsKeyArn"),
            "Environment": {"Variables": {"APP_ENV": p.ref("Environment"), "PORT": str(port),
                                          "APP_SECRET_ARN": {"Fn::Select": [0, p.ref("SecretArns")]}}},
            "VpcConfig": {"SubnetIds": p.ref("PrivateSubnetIds"), "SecurityGroupIds": [p.ref("SecurityGroupId")]},
            "TracingConfig": {"Mode": "Active"},
            "DeadLetterConfig": {"TargetArn": p.get_att(f"DeadLetterQueue{ident}", "Arn")},
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": p.ref(f"LogGroup{ident}")}}}
        # A version is immutable: a new image tag or memory size publishes a new one (its description changes).
        resources[f"Version{ident}"] = {"Type": "AWS::Lambda::Version", "Properties": {
            "FunctionName": p.ref(f"Function{ident}"), "Description": p.sub("${ImageTag}, ${FunctionMemory} MB")}}
        # Callers use the alias, so provisioned concurrency (warm instances) follows each published version.
        resources[f"Alias{ident}"] = {"Type": "AWS::Lambda::Alias", "Properties": {
            "Name": STAGE, "FunctionName": p.ref(f"Function{ident}"),
            "FunctionVersion": p.get_att(f"Version{ident}", "Version"),
            "ProvisionedConcurrencyConfig": {"Fn::If": [
                "HasProvisionedConcurrency", {"ProvisionedConcurrentExecutions": p.ref("ProvisionedConcurrency")},
                p.ref("AWS::NoValue")]}}}
    return resources


def _api_account() -> dict[str, Any]:
    """API Gateway writes its logs through one CloudWatch role per account and region."""
    return {
        "ApiLogsRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("apigateway.amazonaws.com"),
            "ManagedPolicyArns": [_managed("service-role/AmazonAPIGatewayPushToCloudWatchLogs")]}},
        "ApiAccount": {"Type": "AWS::ApiGateway::Account",
                       "Properties": {"CloudWatchRoleArn": p.get_att("ApiLogsRole", "Arn")}},
    }


def _api(ident: str, name: str, default: str) -> dict[str, Any]:
    """The service's REST API: every path (the root and {proxy+}) to the function's live alias, a logged and
    throttled stage, and the service's host name on the domain."""
    api = p.ref(f"Api{ident}")
    invoke = p.sub(f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/"
                   f"${{Alias{ident}}}/invocations")

    def method(resource: Any) -> dict[str, Any]:
        # The application routes and authenticates its users.
        return {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": api, "ResourceId": resource, "HttpMethod": "ANY", "AuthorizationType": "NONE",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": invoke}}}

    host = p.ref("DomainName") if name == default else p.sub(f"{name}.${{DomainName}}")
    return {
        f"Api{ident}": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
            "Name": function_name(name), "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "DisableExecuteApiEndpoint": True}},  # only the custom domain, behind the certificate and WAF
        f"ProxyResource{ident}": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": api, "ParentId": p.get_att(f"Api{ident}", "RootResourceId"), "PathPart": "{proxy+}"}},
        f"RootMethod{ident}": method(p.get_att(f"Api{ident}", "RootResourceId")),
        f"ProxyMethod{ident}": method(p.ref(f"ProxyResource{ident}")),
        f"ApiInvokes{ident}": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": p.ref(f"Alias{ident}"), "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": p.sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:"
                               f"${{Api{ident}}}/*/*")}},
        f"Deployment{ident}": {"Type": "AWS::ApiGateway::Deployment",
                               "DependsOn": [f"RootMethod{ident}", f"ProxyMethod{ident}"],
                               "Properties": {"RestApiId": api}},
        f"ApiLogGroup{ident}": p.log_group(p.sub(f"/aws/apigateway/${{Name}}-{name}"), p.ref("LogRetentionDays"),
                                           p.ref("KmsKeyArn")),
        # Throttling per environment; caching stays off because the responses are the application's dynamic pages.
        f"Stage{ident}": {"Type": "AWS::ApiGateway::Stage", "DependsOn": "ApiAccount", "Properties": {
            "RestApiId": api, "DeploymentId": p.ref(f"Deployment{ident}"), "StageName": STAGE,
            "TracingEnabled": True, "AccessLogSetting": {
                "DestinationArn": p.get_att(f"ApiLogGroup{ident}", "Arn"), "Format": ACCESS_LOG_FORMAT},
            "MethodSettings": [{
                "ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True, "LoggingLevel": "ERROR",
                "DataTraceEnabled": False, "CachingEnabled": False, "CacheDataEncrypted": True,
                "ThrottlingRateLimit": p.ref("ApiRateLimit"), "ThrottlingBurstLimit": p.ref("ApiBurstLimit")}]}},
        f"DomainName{ident}": {"Type": "AWS::ApiGateway::DomainName", "Properties": {
            "DomainName": host, "RegionalCertificateArn": p.ref("CertificateArn"), "SecurityPolicy": "TLS_1_2",
            "EndpointConfiguration": {"Types": ["REGIONAL"]}}},
        f"BasePathMapping{ident}": {"Type": "AWS::ApiGateway::BasePathMapping", "Properties": {
            "DomainName": p.ref(f"DomainName{ident}"), "RestApiId": api, "Stage": p.ref(f"Stage{ident}")}},
        f"Record{ident}": {"Type": "AWS::Route53::RecordSet", "Properties": {
            "HostedZoneId": p.ref("PublicZoneId"), "Name": host, "Type": "A", "AliasTarget": {
                "DNSName": p.get_att(f"DomainName{ident}", "RegionalDomainName"), "EvaluateTargetHealth": False,
                "HostedZoneId": p.get_att(f"DomainName{ident}", "RegionalHostedZoneId")}}},
    }


def _apis(design: InfraDesign) -> dict[str, Any]:
    resources = _api_account()
    default = design.services[0].name
    for ident, name, _ in service_ids(design):
        resources.update(_api(ident, name, default))
    stages = {f"WebAclAssociation{ident}": p.sub(
        f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{Api{ident}}}/stages/${{Stage{ident}}}")
        for ident, _, _ in service_ids(design)}
    return {**resources, **web_acl(stages, p.ref("LogRetentionDays"))}


def _outputs(design: InfraDesign) -> dict[str, Any]:
    outputs = repository_outputs(design)
    for ident, name, _ in service_ids(design):
        outputs[f"FunctionRoleArn{ident}"] = p.output(p.get_att(f"FunctionRole{ident}", "Arn"),
                                                      f"Role of {name}'s function.")
        outputs[f"DeadLetterQueueArn{ident}"] = p.output(p.get_att(f"DeadLetterQueue{ident}", "Arn"),
                                                         f"Failed asynchronous invocations of {name}.")
    return outputs


def serverless_template(design: InfraDesign, wiring: dict[str, bool]) -> dict[str, Any]:
    """The compute module's template for serverless; `wiring` says which data stores the functions may reach."""
    resources = _functions(design, wiring)
    if design.public:
        resources.update(_apis(design))
    conditions = {"HasProvisionedConcurrency": {"Fn::Not": [{"Fn::Equals": [p.ref("ProvisionedConcurrency"), 0]}]},
                  p.PROTECTED: p.is_true("DeletionProtection")}
    what = ", REST APIs with WAF, throttling and a custom domain" if design.public else ""
    return p.template(f"{design.name} compute: Lambda container images (arm64) with dead-letter queues and X-Ray"
                      f"{what}, ECR, least-privilege roles", _parameters(design, wiring), resources,
                      conditions=conditions, outputs=_outputs(design), language_extensions=True)
