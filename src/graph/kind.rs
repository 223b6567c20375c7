//! The resource kinds wl-infra manages and the static facts the planner needs about each.

use std::fmt;

/// A kind of AWS resource. Adding one means: a variant here, its facts below, a driver, graph entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    EcrRepository,
    S3Bucket,
    DbSubnetGroup,
    Secret,
    DbInstance,
    CacheSubnetGroup,
    CacheReplicationGroup,
    IamRole,
    LogGroup,
    EcsCluster,
    TaskDefinition,
    LoadBalancer,
    TargetGroup,
    Listener,
    ListenerRule,
    EcsService,
    MetricAlarm,
    OriginAccessControl,
    Distribution,
    BucketPolicy,
    FrontendObject,
    CacheInvalidation,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::RouteTable,
        Kind::SecurityGroup,
        Kind::EcrRepository,
        Kind::S3Bucket,
        Kind::DbSubnetGroup,
        Kind::Secret,
        Kind::DbInstance,
        Kind::CacheSubnetGroup,
        Kind::CacheReplicationGroup,
        Kind::IamRole,
        Kind::LogGroup,
        Kind::EcsCluster,
        Kind::TaskDefinition,
        Kind::LoadBalancer,
        Kind::TargetGroup,
        Kind::Listener,
        Kind::ListenerRule,
        Kind::EcsService,
        Kind::MetricAlarm,
        Kind::OriginAccessControl,
        Kind::Distribution,
        Kind::BucketPolicy,
        Kind::FrontendObject,
        Kind::CacheInvalidation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vpc => "vpc",
            Kind::Subnet => "subnet",
            Kind::InternetGateway => "internet_gateway",
            Kind::ElasticIp => "elastic_ip",
            Kind::NatGateway => "nat_gateway",
            Kind::RouteTable => "route_table",
            Kind::SecurityGroup => "security_group",
            Kind::EcrRepository => "ecr_repository",
            Kind::S3Bucket => "s3_bucket",
            Kind::DbSubnetGroup => "db_subnet_group",
            Kind::Secret => "secret",
            Kind::DbInstance => "db_instance",
            Kind::CacheSubnetGroup => "cache_subnet_group",
            Kind::CacheReplicationGroup => "cache_replication_group",
            Kind::IamRole => "iam_role",
            Kind::LogGroup => "log_group",
            Kind::EcsCluster => "ecs_cluster",
            Kind::TaskDefinition => "task_definition",
            Kind::LoadBalancer => "load_balancer",
            Kind::TargetGroup => "target_group",
            Kind::Listener => "listener",
            Kind::ListenerRule => "listener_rule",
            Kind::EcsService => "ecs_service",
            Kind::MetricAlarm => "metric_alarm",
            Kind::OriginAccessControl => "origin_access_control",
            Kind::Distribution => "distribution",
            Kind::BucketPolicy => "bucket_policy",
            Kind::FrontendObject => "frontend_object",
            Kind::CacheInvalidation => "cache_invalidation",
        }
    }

    /// Fields AWS cannot change in place: a change to any of them replaces the resource.
    pub fn replace_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Vpc => &["cidr_block"],
            Kind::Subnet => &["vpc_id", "cidr_block", "availability_zone"],
            Kind::InternetGateway => &[],
            Kind::ElasticIp => &["domain"],
            Kind::NatGateway => &["subnet_id", "allocation_id"],
            Kind::RouteTable => &["vpc_id"],
            Kind::SecurityGroup => &["name", "description", "vpc_id"],
            Kind::EcrRepository => &["name"],
            Kind::S3Bucket => &["name"],
            Kind::DbSubnetGroup => &["name"],
            Kind::Secret => &["name"],
            // A new major version is an in-place upgrade (ModifyDBInstance with
            // AllowMajorVersionUpgrade), never a new, empty database.
            Kind::DbInstance => {
                &["identifier", "engine", "db_name", "master_username", "storage_encrypted", "subnet_group"]
            }
            Kind::CacheSubnetGroup => &["name"],
            Kind::CacheReplicationGroup => {
                &["id", "engine", "at_rest_encryption", "transit_encryption", "subnet_group", "security_group_ids"]
            }
            Kind::IamRole => &["name", "path"],
            Kind::LogGroup | Kind::EcsCluster | Kind::MetricAlarm => &["name"],
            // Every change registers a new revision: an update, see `attributes_renewed_by_update`.
            Kind::TaskDefinition => &[],
            Kind::LoadBalancer => &["name", "scheme", "type"],
            Kind::TargetGroup => &["name", "port", "protocol", "vpc_id", "target_type"],
            Kind::Listener => &["load_balancer_arn"],
            Kind::ListenerRule => &["listener_arn"],
            // UpdateService changes the load balancer (target group, container and port) of a service
            // with the rolling deployment controller in place.
            Kind::EcsService => &["name", "cluster", "launch_type"],
            Kind::OriginAccessControl | Kind::Distribution | Kind::CacheInvalidation => &[],
            Kind::BucketPolicy => &["bucket"],
            Kind::FrontendObject => &["bucket", "key"],
        }
    }

    /// Fields that name the resource: when a replacement changes one of them, the new resource can
    /// exist beside the old one, so it is created first, what refers to the old one moves over,
    /// and the old one is deleted last (a target group whose port changed, a role renamed).
    pub fn coexisting_identity_fields(self) -> &'static [&'static str] {
        match self {
            Kind::TargetGroup | Kind::IamRole | Kind::S3Bucket => &["name"],
            Kind::FrontendObject | Kind::BucketPolicy => &["bucket"],
            _ => &[],
        }
    }

    /// Kinds whose creates and updates must all be done before a delete of this kind: removed
    /// frontend files go after every upload, so no page is ever left naming a missing file.
    pub fn deleted_after_applies_of(self) -> &'static [Kind] {
        match self {
            Kind::FrontendObject => &[Kind::FrontendObject],
            _ => &[],
        }
    }

    /// Whether the wait for the resource to be ready is a step of its own after its create or update,
    /// which nothing else waits for: a distribution takes 15 minutes or more to deploy to the edge,
    /// while its bucket policy and invalidation need only its ARN and id.
    pub fn waits_in_own_step(self) -> bool {
        matches!(self, Kind::Distribution)
    }

    /// Attributes an update gives new values (a task definition's update registers a new revision):
    /// references to them are not known until the update has run.
    pub fn attributes_renewed_by_update(self) -> &'static [&'static str] {
        match self {
            Kind::TaskDefinition => &["id", "arn"],
            _ => &[],
        }
    }

    /// Fields a create call needs but the kind's one discovery read does not return; they are not
    /// compared (a cache's subnet group and security groups live on its member clusters).
    pub fn create_only_fields(self) -> &'static [&'static str] {
        match self {
            Kind::CacheReplicationGroup => &["subnet_group", "security_group_ids"],
            // A listing gives an object's key and content hash; how it is served is set on upload.
            Kind::FrontendObject => &["content_type", "cache_control", "source"],
            _ => &[],
        }
    }

    /// List fields whose order carries no meaning; the planner compares them sorted.
    pub fn unordered_fields(self) -> &'static [&'static str] {
        match self {
            Kind::RouteTable => &["routes", "subnet_ids"],
            Kind::SecurityGroup => &["ingress"],
            Kind::DbSubnetGroup | Kind::CacheSubnetGroup => &["subnet_ids"],
            Kind::DbInstance => &["security_group_ids", "log_exports"],
            Kind::IamRole => &["managed_policy_arns"],
            Kind::LoadBalancer | Kind::EcsService => &["subnet_ids", "security_group_ids"],
            Kind::ListenerRule => &["paths"],
            _ => &[],
        }
    }

    /// Kinds whose resources must be gone before one of this kind can be deleted, beyond the
    /// references visible in properties (AWS blockers such as mapped public addresses).
    pub fn deleted_after(self) -> &'static [Kind] {
        match self {
            Kind::Vpc => &[
                Kind::Subnet,
                Kind::InternetGateway,
                Kind::RouteTable,
                Kind::SecurityGroup,
                Kind::NatGateway,
                Kind::LoadBalancer,
                Kind::TargetGroup,
            ],
            // An internet-facing load balancer's public addresses block detaching the gateway.
            Kind::InternetGateway => &[Kind::NatGateway, Kind::ElasticIp, Kind::LoadBalancer],
            Kind::ElasticIp => &[Kind::NatGateway],
            // Network interfaces of databases, caches, tasks and the load balancer hold their subnets
            // and security groups until those are gone.
            Kind::Subnet | Kind::SecurityGroup => {
                &[Kind::NatGateway, Kind::DbInstance, Kind::CacheReplicationGroup, Kind::EcsService, Kind::LoadBalancer]
            }
            // Destroy removes the databases and services first, then their subnet group and secrets.
            Kind::DbSubnetGroup => &[Kind::DbInstance],
            Kind::Secret => &[Kind::DbInstance, Kind::EcsService],
            // A target group in use by a rule or a service cannot be deleted.
            Kind::TargetGroup => &[Kind::ListenerRule, Kind::Listener, Kind::EcsService],
            // The bucket is emptied first; the distribution goes after the policy that names it, and
            // its origin access control after the distribution.
            Kind::S3Bucket => &[Kind::FrontendObject, Kind::BucketPolicy],
            Kind::Distribution => &[Kind::BucketPolicy, Kind::CacheInvalidation],
            Kind::OriginAccessControl => &[Kind::Distribution],
            // Tasks write their last lines while they stop.
            Kind::LogGroup | Kind::TaskDefinition | Kind::IamRole => &[Kind::EcsService],
            Kind::CacheSubnetGroup => &[Kind::CacheReplicationGroup],
            // A cluster with services (even draining ones) cannot be deleted.
            Kind::EcsCluster => &[Kind::EcsService],
            _ => &[],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}
