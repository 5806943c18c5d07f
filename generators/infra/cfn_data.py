"""modules/data.yaml: what the requirements name: a managed database, a cache, an object store, queues.

Data stores follow the DeletionProtection parameter: production keeps them (or a final snapshot) when the stack
deletes or replaces them, other environments let them go (AWS::LanguageExtensions resolves the policy).
"""

from __future__ import annotations

from typing import Any

from generators.infra import cfn_parts as p
from generators.infra.model import InfraDesign
from generators.infra.terraform_aws import CACHE_ENGINE_VERSION

QUEUE_RETENTION_SECONDS = 1209600  # 14 days, the SQS maximum


def _parameters(design: InfraDesign, database: dict[str, Any] | None) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "Name": p.text("Prefix of every resource name."), "KmsKeyArn": p.text("Key of every data store."),
        "DeletionProtection": p.flag("Whether data stores refuse deletion and outlive the stack."),
    }
    if database or design.caches:
        parameters.update({
            "SecurityGroupId": p.text("Security group of the data tier."),
            "DatabaseSubnetIds": p.id_list("Subnets of the data tier."),
            "BackupRetentionDays": p.number("Days of automated backups and cache snapshots.", 1, 35),
            "MultiAZ": p.flag("A standby in a second zone (database) and automatic failover (cache)."),
        })
    if database:
        parameters.update({"DatabaseClass": p.text("RDS instance class."),
                           "DatabaseStorageGb": p.number("Allocated storage in GB.", 20),
                           "DatabaseMaxStorageGb": p.number("Storage autoscaling ceiling in GB.", 20)})
    if design.caches:
        parameters.update({"CacheNodeType": p.text("ElastiCache node type."),
                           "CacheNodes": p.number("Cache nodes (primary and replicas).", 1, 6),
                           "LogRetentionDays": p.number("Days the cache's slow log is kept.", 1)})
    if design.object_storage:
        parameters.update({"AccessLogBucket": p.text("Bucket that receives the app bucket's access logs."),
                           "NoncurrentVersionDays": p.number("Days old object versions are kept.", 1)})
    return parameters


def _database(database: dict[str, Any]) -> dict[str, Any]:
    tls = {database["tls_parameter"]: database["tls_value"]}
    if database["engine"] == "postgres":
        tls["log_connections"] = "1"
    return {
        "DatabaseSubnetGroup": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {
            "DBSubnetGroupDescription": p.sub("${Name} database subnets"), "SubnetIds": p.ref("DatabaseSubnetIds")}},
        # Clients must use TLS: the parameter group refuses unencrypted connections.
        "DatabaseParameters": {"Type": "AWS::RDS::DBParameterGroup", "Properties": {
            "Description": p.sub("${Name}: TLS only"), "Family": database["family"], "Parameters": tls}},
        "DatabaseMonitoringRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": p.trust("monitoring.rds.amazonaws.com"),
            "ManagedPolicyArns": [p.sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")]}},
        "Database": {"Type": "AWS::RDS::DBInstance", **p.protected("Snapshot"), "Properties": {
            "Engine": database["engine_name"], "EngineVersion": database["version"],
            "DBInstanceClass": p.ref("DatabaseClass"), "AllocatedStorage": p.ref("DatabaseStorageGb"),
            "MaxAllocatedStorage": p.ref("DatabaseMaxStorageGb"), "StorageType": "gp3", "StorageEncrypted": True,
            "KmsKeyId": p.ref("KmsKeyArn"), "DBName": "app", "MasterUsername": "app_admin",
            "ManageMasterUserPassword": True, "MasterUserSecret": {"KmsKeyId": p.ref("KmsKeyArn")},
            "EnableIAMDatabaseAuthentication": True, "DBSubnetGroupName": p.ref("DatabaseSubnetGroup"),
            "DBParameterGroupName": p.ref("DatabaseParameters"), "VPCSecurityGroups": [p.ref("SecurityGroupId")],
            "PubliclyAccessible": False, "MultiAZ": p.ref("MultiAZ"), "DeletionProtection": p.ref("DeletionProtection"),
            "BackupRetentionPeriod": p.ref("BackupRetentionDays"), "CopyTagsToSnapshot": True,
            "AutoMinorVersionUpgrade": True, "MonitoringInterval": 60,
            "MonitoringRoleArn": p.get_att("DatabaseMonitoringRole", "Arn"), "EnablePerformanceInsights": True,
            "PerformanceInsightsKMSKeyId": p.ref("KmsKeyArn"), "PerformanceInsightsRetentionPeriod": 7,
            "EnableCloudwatchLogsExports": list(database["log_exports"])}},
    }


def _cache() -> dict[str, Any]:
    def user(name: str, user_name: Any, access: str) -> dict[str, Any]:
        return {"Type": "AWS::ElastiCache::User", "Properties": {
            "UserId": p.sub(f"${{Name}}-{name}"), "UserName": user_name, "Engine": "redis",
            "AccessString": access, "AuthenticationMode": {"Type": "iam"}}}

    return {
        "CacheSubnetGroup": {"Type": "AWS::ElastiCache::SubnetGroup", "Properties": {
            "CacheSubnetGroupName": p.sub("${Name}-cache"), "Description": p.sub("${Name} cache subnets"),
            "SubnetIds": p.ref("DatabaseSubnetIds")}},
        # The application authenticates with IAM (elasticache:Connect); no static password exists to leak.
        "CacheAppUser": user("app", p.sub("${Name}-app"), "on ~* +@all -@dangerous"),
        # ElastiCache requires a user named "default" in every user group; this one can do nothing.
        "CacheDefaultUser": user("default", "default", "off -@all"),
        "CacheUserGroup": {"Type": "AWS::ElastiCache::UserGroup", "Properties": {
            "UserGroupId": p.sub("${Name}-users"), "Engine": "redis",
            "UserIds": [p.ref("CacheDefaultUser"), p.ref("CacheAppUser")]}},
        "CacheLogGroup": p.log_group(p.sub("/elasticache/${Name}"), p.ref("LogRetentionDays"), p.ref("KmsKeyArn")),
        "Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", **p.protected("Snapshot"), "Properties": {
            "ReplicationGroupId": p.sub("${Name}-cache"), "ReplicationGroupDescription": p.sub("${Name} cache"),
            "Engine": "redis", "EngineVersion": CACHE_ENGINE_VERSION, "CacheNodeType": p.ref("CacheNodeType"),
            "NumCacheClusters": p.ref("CacheNodes"), "AutomaticFailoverEnabled": p.ref("MultiAZ"),
            "MultiAZEnabled": p.ref("MultiAZ"), "CacheSubnetGroupName": p.ref("CacheSubnetGroup"),
            "SecurityGroupIds": [p.ref("SecurityGroupId")], "AtRestEncryptionEnabled": True,
            "KmsKeyId": p.ref("KmsKeyArn"), "TransitEncryptionEnabled": True,
            "UserGroupIds": [p.ref("CacheUserGroup")], "SnapshotRetentionLimit": p.ref("BackupRetentionDays"),
            "AutoMinorVersionUpgrade": True, "LogDeliveryConfigurations": [{
                "DestinationType": "cloudwatch-logs", "LogFormat": "json", "LogType": "slow-log",
                "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": p.ref("CacheLogGroup")}}}]}},
    }


def _bucket() -> dict[str, Any]:
    return {
        "AppBucket": {"Type": "AWS::S3::Bucket", **p.protected(), "Properties": {
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": p.ref("KmsKeyArn")},
                "BucketKeyEnabled": True}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "LoggingConfiguration": {"DestinationBucketName": p.ref("AccessLogBucket"),
                                     "LogFilePrefix": p.sub("s3/${Name}-app/")},
            # Storage tiering: objects move to cheaper classes as they age; old versions expire.
            "LifecycleConfiguration": {"Rules": [{
                "Id": "tiering", "Status": "Enabled",
                "Transitions": [{"TransitionInDays": 30, "StorageClass": "STANDARD_IA"},
                                {"TransitionInDays": 90, "StorageClass": "GLACIER_IR"}],
                "NoncurrentVersionExpiration": {"NoncurrentDays": p.ref("NoncurrentVersionDays")},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}}},
        "AppBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": p.ref("AppBucket"),
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [p.deny_insecure_transport("AppBucket")]}}},
    }


def queue_id(queue: str) -> str:
    """Logical id of a queue."""
    return f"Queue{p.logical_id(queue)}"


def _queues(queues: list[str]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for queue in queues:
        ident = queue_id(queue)
        resources[f"{ident}DeadLetter"] = {"Type": "AWS::SQS::Queue", **p.protected(), "Properties": {
            "QueueName": p.sub(f"${{Name}}-{queue}-dead-letter"), "KmsMasterKeyId": p.ref("KmsKeyArn"),
            "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS}}
        resources[ident] = {"Type": "AWS::SQS::Queue", **p.protected(), "Properties": {
            "QueueName": p.sub(f"${{Name}}-{queue}"), "KmsMasterKeyId": p.ref("KmsKeyArn"),
            "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
            "RedrivePolicy": {"deadLetterTargetArn": p.get_att(f"{ident}DeadLetter", "Arn"), "maxReceiveCount": 5}}}
    return resources


def data_template(design: InfraDesign, database: dict[str, Any] | None) -> dict[str, Any]:
    """The data module's template (`database` is the engine's settings, None without a database)."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    if database:
        resources.update(_database(database))
        outputs["DatabaseSecretArn"] = p.output(p.get_att("Database", "MasterUserSecret.SecretArn"),
                                                "Secret with the database's master credentials.")
        outputs["DatabaseIdentifier"] = p.output(p.ref("Database"), "RDS instance identifier.")
    if design.caches:
        resources.update(_cache())
        outputs["CacheId"] = p.output(p.ref("Cache"), "ElastiCache replication group id.")
        outputs["CacheUserGroupArn"] = p.output(p.get_att("CacheUserGroup", "Arn"), "The cache's user group.")
        outputs["CacheArn"] = p.output(p.sub(
            "arn:${AWS::Partition}:elasticache:${AWS::Region}:${AWS::AccountId}:replicationgroup:${Cache}"),
            "The cache's replication group.")
    if design.object_storage:
        resources.update(_bucket())
        outputs["BucketArn"] = p.output(p.get_att("AppBucket", "Arn"), "The application's bucket.")
    if design.queues:
        resources.update(_queues(design.queues))
        outputs["QueueArns"] = p.output({"Fn::Join": [",", [p.get_att(queue_id(q), "Arn") for q in design.queues]]},
                                        "The application's queues.")
    return p.template(f"{design.name} data: the database, cache, bucket and queues the application uses",
                      _parameters(design, database), resources,
                      conditions={p.PROTECTED: p.is_true("DeletionProtection")}, outputs=outputs,
                      language_extensions=True)
