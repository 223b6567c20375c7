//! The resource kinds wl-infra manages, and every static fact about each in one row: its
//! [`KindSpec`]. Adding a kind means a variant in `kinds!`, its row in `Kind::spec` (a struct
//! literal, so no fact can be forgotten), a driver (`aws::driver`) and graph entries.

use std::fmt;

use super::properties::compute::{
    EcsClusterProps, EcsServiceProps, IamRoleProps, ListenerProps, ListenerRuleProps, LoadBalancerProps, LogGroupProps,
    ServiceNamespaceProps, TargetGroupProps, TaskDefinitionProps,
};
use super::properties::data::{
    CacheReplicationGroupProps, DbInstanceProps, EcrRepositoryProps, SecretProps, SubnetGroupProps,
};
use super::properties::edge::{
    BucketPolicyProps, DistributionProps, FrontendObjectProps, OriginAccessControlProps, S3BucketProps,
};
use super::properties::monitoring::{
    AlertSubscriptionProps, AlertTopicProps, DashboardProps, KmsKeyProps, MetricAlarmProps, ScalableTargetProps,
    ScalingPolicyProps,
};
use super::properties::network::{
    ElasticIpProps, NatGatewayProps, RouteTableProps, SecurityGroupProps, SubnetProps, VpcProps,
};

/// Declares the kinds: the enum, `Kind::ALL` (every variant, so discovery cannot miss one) and
/// the name each has in plans, `--timeout` and messages.
macro_rules! kinds {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A kind of AWS resource.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $($variant),*
        }

        impl Kind {
            /// Every kind, in the order discovery and the plan list them.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => $name),*
                }
            }
        }
    };
}

kinds! {
    Vpc => "vpc",
    Subnet => "subnet",
    InternetGateway => "internet_gateway",
    ElasticIp => "elastic_ip",
    NatGateway => "nat_gateway",
    RouteTable => "route_table",
    SecurityGroup => "security_group",
    EcrRepository => "ecr_repository",
    S3Bucket => "s3_bucket",
    DbSubnetGroup => "db_subnet_group",
    Secret => "secret",
    DbInstance => "db_instance",
    CacheSubnetGroup => "cache_subnet_group",
    CacheReplicationGroup => "cache_replication_group",
    IamRole => "iam_role",
    LogGroup => "log_group",
    EcsCluster => "ecs_cluster",
    ServiceNamespace => "service_namespace",
    TaskDefinition => "task_definition",
    LoadBalancer => "load_balancer",
    TargetGroup => "target_group",
    Listener => "listener",
    ListenerRule => "listener_rule",
    EcsService => "ecs_service",
    KmsKey => "kms_key",
    AlertTopic => "alert_topic",
    AlertSubscription => "alert_subscription",
    MetricAlarm => "metric_alarm",
    Dashboard => "dashboard",
    ScalableTarget => "scalable_target",
    ScalingPolicy => "scaling_policy",
    OriginAccessControl => "origin_access_control",
    Distribution => "distribution",
    BucketPolicy => "bucket_policy",
    FrontendObject => "frontend_object",
    CacheInvalidation => "cache_invalidation",
}

/// How a create is made safe to repeat after a failed attempt whose answer may have been lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// The resource is put whole (a policy, an object) or carries its own caller reference (an
    /// invalidation): repeating the call is harmless.
    PutWhole,
    /// The driver makes its create safe to repeat itself (a database fills its secret in, which an
    /// update could not redo).
    InDriver,
    /// The executor's retry first looks for what the failed attempt made (tag-on-create makes it
    /// findable) and adopts it; a name conflict on create is adopted the same way.
    FindFirst,
}

/// The data-safety checks the planner runs on a kind's changes (`plan::safety`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafetyRule {
    None,
    /// Deletion protection, final snapshots, storage growth, major versions.
    Database,
    /// A deletion without a recovery window loses the secret.
    Secret,
    /// A subnet that still holds a database or cache node cannot go.
    Subnet,
}

/// Every static fact the planner and the executor need about one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    /// Fields AWS cannot change in place: a change to any of them replaces the resource.
    pub replace_fields: &'static [&'static str],
    /// List fields whose order carries no meaning; the planner compares them sorted.
    pub unordered_fields: &'static [&'static str],
    /// Fields a create call needs but discovery cannot read back; they are not compared.
    pub create_only_fields: &'static [&'static str],
    /// Attributes an update gives new values (a task definition's update registers a new
    /// revision): references to them are not known until the update has run.
    pub renewed_attributes: &'static [&'static str],
    /// Fields that name the resource: when a replacement changes one of them, the new resource
    /// can exist beside the old one, so it is created first, what refers to the old one moves
    /// over, and the old one is deleted last.
    pub coexisting_identity_fields: &'static [&'static str],
    /// Kinds whose deletes must be done before one of this kind is deleted, beyond the references
    /// visible in properties (AWS blockers such as mapped public addresses).
    pub deleted_after: &'static [Kind],
    /// Kinds whose creates and updates must all be done before a delete of this kind.
    pub deleted_after_applies_of: &'static [Kind],
    /// Whether the wait for readiness is a step of its own after a create or update, which
    /// nothing else waits for.
    pub waits_in_own_step: bool,
    /// How long a wait for the kind to be ready or gone may take by default, in minutes.
    pub wait_minutes: u64,
    /// AWS error codes that say a create's name is taken already (possibly by the stack's own
    /// resource, made by an attempt whose answer was lost).
    pub conflict_codes: &'static [&'static str],
    /// AWS error codes that refuse an update because the resource is busy with a change: one
    /// made elsewhere, or this update's own when its answer was lost and the SDK sent it again.
    /// The update then waits for the resource, reads it again, and changes what still differs.
    pub busy_codes: &'static [&'static str],
    pub repeat: Repeat,
    pub safety: SafetyRule,
    /// Attributes whose values are secrets: references to them show as `(sensitive)`.
    pub sensitive_attributes: &'static [&'static str],
    /// The kind whose discovery also finds this one (listeners through their load balancer), or
    /// `None` when this kind is discovered on its own.
    pub discovered_with: Option<Kind>,
    /// Fields whose update supersedes the state a live resource is pending in: the update runs
    /// without waiting for it (a new task definition replaces an ECS deployment in progress,
    /// which may never finish on its own: the update carrying the fix must not wait for it).
    pub pending_superseded_by: &'static [&'static str],
    /// Fields an update can change while the resource is pending: an update that changes only
    /// these does not wait for it (RDS tags an instance that is backing up; the driver neither
    /// modifies nor waits for a change of tags alone).
    pub updatable_while_pending: &'static [&'static str],
    /// Whether the kind's listing lags behind creates (ListSecrets "might not reflect changes from
    /// the last five minutes"; IAM is eventually consistent): discovery also reads the desired
    /// resources it did not list by their names (`Driver::find_by_name`).
    pub listing_lags: bool,
    /// A field that routes traffic to another resource, and the field that adds a second target
    /// beside it with no traffic. When an update moves the field and a resource depending on this
    /// one moves to the same new target, the plan first adds the new target beside the old one
    /// (enough for the dependent to use it); then the dependent moves, and the field moves once
    /// the new target serves (the driver waits for that): traffic never reaches a target nothing
    /// serves yet, nor stays with one whose servers are gone.
    pub associate_before_move: Option<AssociateBeforeMove>,
    /// A list field of grants (a security group's ingress rules): an update that both adds and
    /// removes grants is two steps. The first adds (the list becomes the live grants and the
    /// desired ones together) and is what the resources depending on this one wait for; the second
    /// removes, once those resources are applied. A service moving to a new port is then reachable
    /// on the old port until its rollout is done and on the new one before its first new task
    /// starts, with no window in which the load balancer reaches neither.
    pub widened_before_narrowed: Option<&'static str>,
    /// Optional fields whose absence from the desired properties is a change when the live
    /// resource has them: the stack dropped what they held (the API origin of a distribution whose
    /// stack has no services any more). Other optional fields left out are not managed (a service's
    /// desired count under auto scaling) or only read.
    pub clearable_fields: &'static [&'static str],
    /// The field holding the resource's name in AWS: the name a create conflicts on, a by-name
    /// read finds it by, and a refusal to touch someone else's resource shows. `None` for kinds
    /// AWS identifies by an id it makes.
    pub name_field: Option<&'static str>,
}

/// See [`KindSpec::associate_before_move`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssociateBeforeMove {
    pub field: &'static str,
    pub standby_field: &'static str,
}

/// The facts most kinds share; a row names what differs.
const BASE: KindSpec = KindSpec {
    replace_fields: &[],
    unordered_fields: &[],
    create_only_fields: &[],
    renewed_attributes: &[],
    coexisting_identity_fields: &[],
    deleted_after: &[],
    deleted_after_applies_of: &[],
    waits_in_own_step: false,
    wait_minutes: 10,
    conflict_codes: &[],
    busy_codes: &[],
    repeat: Repeat::FindFirst,
    safety: SafetyRule::None,
    sensitive_attributes: &[],
    discovered_with: None,
    pending_superseded_by: &[],
    updatable_while_pending: &[],
    listing_lags: false,
    associate_before_move: None,
    widened_before_narrowed: None,
    clearable_fields: &[],
    name_field: None,
};

/// Network interfaces of databases, caches, tasks and the load balancer hold their subnets and
/// security groups until those are gone.
const HOLD_NETWORK_INTERFACES: &[Kind] =
    &[Kind::NatGateway, Kind::DbInstance, Kind::CacheReplicationGroup, Kind::EcsService, Kind::LoadBalancer];

impl Kind {
    /// The kind's facts. One row per kind, no fallback: a new kind does not compile without one.
    pub fn spec(self) -> &'static KindSpec {
        match self {
            Kind::Vpc => &KindSpec {
                replace_fields: &[VpcProps::NAMES.cidr_block],
                deleted_after: &[
                    Kind::Subnet,
                    Kind::InternetGateway,
                    Kind::RouteTable,
                    Kind::SecurityGroup,
                    Kind::NatGateway,
                    Kind::LoadBalancer,
                    Kind::TargetGroup,
                ],
                ..BASE
            },
            Kind::Subnet => &KindSpec {
                replace_fields: &[
                    SubnetProps::NAMES.vpc_id,
                    SubnetProps::NAMES.cidr_block,
                    SubnetProps::NAMES.availability_zone,
                ],
                deleted_after: HOLD_NETWORK_INTERFACES,
                // AWS takes minutes to release the network interfaces of what is deleted.
                wait_minutes: 20,
                conflict_codes: &["InvalidSubnet.Conflict"],
                safety: SafetyRule::Subnet,
                ..BASE
            },
            // An internet-facing load balancer's public addresses block detaching the gateway.
            Kind::InternetGateway => &KindSpec {
                deleted_after: &[Kind::NatGateway, Kind::ElasticIp, Kind::LoadBalancer],
                wait_minutes: 20,
                ..BASE
            },
            // An address is released once its NAT gateway is fully deleted.
            Kind::ElasticIp => &KindSpec {
                replace_fields: &[ElasticIpProps::NAMES.domain],
                deleted_after: &[Kind::NatGateway],
                wait_minutes: 20,
                ..BASE
            },
            Kind::NatGateway => &KindSpec {
                replace_fields: &[NatGatewayProps::NAMES.subnet_id, NatGatewayProps::NAMES.allocation_id],
                wait_minutes: 15,
                ..BASE
            },
            Kind::RouteTable => &KindSpec {
                replace_fields: &[RouteTableProps::NAMES.vpc_id],
                unordered_fields: &[RouteTableProps::NAMES.routes, RouteTableProps::NAMES.subnet_ids],
                ..BASE
            },
            Kind::SecurityGroup => &KindSpec {
                name_field: Some(SecurityGroupProps::NAMES.name),
                replace_fields: &[
                    SecurityGroupProps::NAMES.name,
                    SecurityGroupProps::NAMES.description,
                    SecurityGroupProps::NAMES.vpc_id,
                ],
                unordered_fields: &[SecurityGroupProps::NAMES.ingress],
                deleted_after: HOLD_NETWORK_INTERFACES,
                wait_minutes: 20,
                conflict_codes: &["InvalidGroup.Duplicate"],
                widened_before_narrowed: Some(SecurityGroupProps::NAMES.ingress),
                ..BASE
            },
            Kind::EcrRepository => &KindSpec {
                name_field: Some(EcrRepositoryProps::NAMES.name),
                replace_fields: &[EcrRepositoryProps::NAMES.name],
                conflict_codes: &["RepositoryAlreadyExistsException"],
                ..BASE
            },
            // The bucket is emptied first, and goes after the distribution moved away from it.
            Kind::S3Bucket => &KindSpec {
                name_field: Some(S3BucketProps::NAMES.name),
                replace_fields: &[S3BucketProps::NAMES.name],
                coexisting_identity_fields: &[S3BucketProps::NAMES.name],
                deleted_after: &[Kind::FrontendObject, Kind::BucketPolicy],
                conflict_codes: &["BucketAlreadyOwnedByYou"],
                ..BASE
            },
            Kind::DbSubnetGroup => &KindSpec {
                name_field: Some(SubnetGroupProps::NAMES.name),
                replace_fields: &[SubnetGroupProps::NAMES.name],
                unordered_fields: &[SubnetGroupProps::NAMES.subnet_ids],
                deleted_after: &[Kind::DbInstance],
                conflict_codes: &["DBSubnetGroupAlreadyExists", "DBSubnetGroupAlreadyExistsFault"],
                ..BASE
            },
            Kind::Secret => &KindSpec {
                name_field: Some(SecretProps::NAMES.name),
                replace_fields: &[SecretProps::NAMES.name],
                deleted_after: &[Kind::DbInstance, Kind::EcsService],
                conflict_codes: &["ResourceExistsException"],
                safety: SafetyRule::Secret,
                listing_lags: true,
                ..BASE
            },
            // A new major version is an in-place upgrade (ModifyDBInstance with
            // AllowMajorVersionUpgrade), never a new, empty database.
            Kind::DbInstance => &KindSpec {
                name_field: Some(DbInstanceProps::NAMES.identifier),
                replace_fields: &[
                    DbInstanceProps::NAMES.identifier,
                    DbInstanceProps::NAMES.engine,
                    DbInstanceProps::NAMES.db_name,
                    DbInstanceProps::NAMES.master_username,
                    DbInstanceProps::NAMES.storage_encrypted,
                    DbInstanceProps::NAMES.subnet_group,
                ],
                unordered_fields: &[DbInstanceProps::NAMES.security_group_ids, DbInstanceProps::NAMES.log_exports],
                // Multi-AZ creation and storage changes can take most of an hour.
                wait_minutes: 90,
                conflict_codes: &["DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault"],
                // ModifyDBInstance while modifying or backing up: "Database instance is not in
                // available state." (terraform-provider-aws#16170, #31594).
                busy_codes: &["InvalidDBInstanceState", "InvalidDBInstanceStateFault"],
                repeat: Repeat::InDriver,
                safety: SafetyRule::Database,
                updatable_while_pending: &["tags"],
                ..BASE
            },
            Kind::CacheSubnetGroup => &KindSpec {
                name_field: Some(SubnetGroupProps::NAMES.name),
                replace_fields: &[SubnetGroupProps::NAMES.name],
                unordered_fields: &[SubnetGroupProps::NAMES.subnet_ids],
                deleted_after: &[Kind::CacheReplicationGroup],
                conflict_codes: &["CacheSubnetGroupAlreadyExists", "CacheSubnetGroupAlreadyExistsFault"],
                ..BASE
            },
            // A cache's subnet group and security groups live on its member clusters, which the
            // one discovery read does not return: they are set on create and not compared.
            Kind::CacheReplicationGroup => &KindSpec {
                name_field: Some(CacheReplicationGroupProps::NAMES.id),
                replace_fields: &[
                    CacheReplicationGroupProps::NAMES.id,
                    CacheReplicationGroupProps::NAMES.engine,
                    CacheReplicationGroupProps::NAMES.at_rest_encryption,
                    CacheReplicationGroupProps::NAMES.transit_encryption,
                    CacheReplicationGroupProps::NAMES.subnet_group,
                    CacheReplicationGroupProps::NAMES.security_group_ids,
                ],
                create_only_fields: &[
                    CacheReplicationGroupProps::NAMES.subnet_group,
                    CacheReplicationGroupProps::NAMES.security_group_ids,
                ],
                wait_minutes: 60,
                conflict_codes: &["ReplicationGroupAlreadyExists", "ReplicationGroupAlreadyExistsFault"],
                // ElastiCache takes one change at a time: "The requested replication group is
                // not in the available state." (API_ModifyReplicationGroup, Errors).
                busy_codes: &["InvalidReplicationGroupState", "InvalidReplicationGroupStateFault"],
                ..BASE
            },
            // Tasks write their last lines, and use their roles, while they stop.
            Kind::IamRole => &KindSpec {
                name_field: Some(IamRoleProps::NAMES.name),
                replace_fields: &[IamRoleProps::NAMES.name, IamRoleProps::NAMES.path],
                unordered_fields: &[IamRoleProps::NAMES.managed_policy_arns],
                coexisting_identity_fields: &[IamRoleProps::NAMES.name],
                deleted_after: &[Kind::EcsService],
                conflict_codes: &["EntityAlreadyExists"],
                listing_lags: true,
                ..BASE
            },
            Kind::LogGroup => &KindSpec {
                name_field: Some(LogGroupProps::NAMES.name),
                replace_fields: &[LogGroupProps::NAMES.name],
                deleted_after: &[Kind::EcsService],
                conflict_codes: &["ResourceAlreadyExistsException"],
                ..BASE
            },
            // A cluster with services (even draining ones) cannot be deleted.
            Kind::EcsCluster => &KindSpec {
                name_field: Some(EcsClusterProps::NAMES.name),
                replace_fields: &[EcsClusterProps::NAMES.name],
                deleted_after: &[Kind::EcsService],
                ..BASE
            },
            // ECS removes the Cloud Map services Service Connect made in the namespace minutes
            // after the ECS services are gone; the delete waits for that.
            Kind::ServiceNamespace => &KindSpec {
                name_field: Some(ServiceNamespaceProps::NAMES.name),
                replace_fields: &[ServiceNamespaceProps::NAMES.name],
                deleted_after: &[Kind::EcsService],
                wait_minutes: 15,
                conflict_codes: &["NamespaceAlreadyExists"],
                // UpdateHttpNamespace while an operation on it runs: DuplicateRequest "The
                // operation is already in progress." (API_UpdateHttpNamespace, Errors).
                busy_codes: &["DuplicateRequest"],
                ..BASE
            },
            // Every change registers a new revision: an update that renews the ARN.
            Kind::TaskDefinition => &KindSpec {
                name_field: Some(TaskDefinitionProps::NAMES.family),
                renewed_attributes: &["id", "arn"],
                deleted_after: &[Kind::EcsService],
                ..BASE
            },
            Kind::LoadBalancer => &KindSpec {
                name_field: Some(LoadBalancerProps::NAMES.name),
                replace_fields: &[
                    LoadBalancerProps::NAMES.name,
                    LoadBalancerProps::NAMES.scheme,
                    LoadBalancerProps::NAMES.r#type,
                ],
                unordered_fields: &[LoadBalancerProps::NAMES.subnet_ids, LoadBalancerProps::NAMES.security_group_ids],
                wait_minutes: 15,
                conflict_codes: &["DuplicateLoadBalancerName"],
                ..BASE
            },
            // A target group in use by a rule or a service cannot be deleted; its name carries
            // its port, so a new port makes a new group beside the old one.
            Kind::TargetGroup => &KindSpec {
                name_field: Some(TargetGroupProps::NAMES.name),
                replace_fields: &[
                    TargetGroupProps::NAMES.name,
                    TargetGroupProps::NAMES.port,
                    TargetGroupProps::NAMES.protocol,
                    TargetGroupProps::NAMES.vpc_id,
                    TargetGroupProps::NAMES.target_type,
                ],
                coexisting_identity_fields: &[TargetGroupProps::NAMES.name],
                deleted_after: &[Kind::ListenerRule, Kind::Listener, Kind::EcsService],
                conflict_codes: &["DuplicateTargetGroupName"],
                ..BASE
            },
            Kind::Listener => &KindSpec {
                replace_fields: &[ListenerProps::NAMES.load_balancer_arn],
                conflict_codes: &["DuplicateListener"],
                discovered_with: Some(Kind::LoadBalancer),
                ..BASE
            },
            // A service moving to a new target group (a new port): the rule forwards to both
            // groups first (weights 1 and 0, which associates the new group with the load
            // balancer, all ECS needs), the service moves, and the rule forwards to the new group
            // alone once that has a healthy target (a wait as long as a service's rollout).
            Kind::ListenerRule => &KindSpec {
                replace_fields: &[ListenerRuleProps::NAMES.listener_arn],
                unordered_fields: &[ListenerRuleProps::NAMES.paths],
                wait_minutes: 30,
                conflict_codes: &["PriorityInUse"],
                discovered_with: Some(Kind::LoadBalancer),
                associate_before_move: Some(AssociateBeforeMove {
                    field: "target_group_arn",
                    standby_field: "standby_target_group_arn",
                }),
                // A standby an interrupted move left, and the origin check of a stack whose
                // frontend is gone.
                clearable_fields: &[
                    ListenerRuleProps::NAMES.standby_target_group_arn,
                    ListenerRuleProps::NAMES.origin_verify_secret,
                ],
                ..BASE
            },
            // UpdateService changes a rolling service's load balancer (target group, container and
            // port) in place. A rollout waits for new tasks to pass health checks and old ones to
            // drain.
            Kind::EcsService => &KindSpec {
                name_field: Some(EcsServiceProps::NAMES.name),
                replace_fields: &[
                    EcsServiceProps::NAMES.name,
                    EcsServiceProps::NAMES.cluster,
                    EcsServiceProps::NAMES.launch_type,
                ],
                unordered_fields: &[EcsServiceProps::NAMES.subnet_ids, EcsServiceProps::NAMES.security_group_ids],
                create_only_fields: &[EcsServiceProps::NAMES.initial_desired_count],
                deleted_after: &[Kind::ScalableTarget],
                wait_minutes: 30,
                pending_superseded_by: &[EcsServiceProps::NAMES.task_definition],
                ..BASE
            },
            // CreateTopic answers a topic of the name that exists with its ARN (same attributes
            // and tags): a repeat is harmless. Deleting it deletes its subscriptions.
            // Found by its alias. A key cannot be deleted at once: its delete removes the alias and
            // schedules the key's deletion after KMS's shortest window, 7 days. It goes after the
            // topic it encrypts.
            Kind::KmsKey => {
                &KindSpec { replace_fields: &[KmsKeyProps::NAMES.alias], deleted_after: &[Kind::AlertTopic], ..BASE }
            }
            // The alarms stop naming it before it goes.
            Kind::AlertTopic => &KindSpec {
                name_field: Some(AlertTopicProps::NAMES.name),
                replace_fields: &[AlertTopicProps::NAMES.name],
                deleted_after: &[Kind::MetricAlarm],
                deleted_after_applies_of: &[Kind::MetricAlarm],
                repeat: Repeat::PutWhole,
                ..BASE
            },
            // PutDashboard puts the whole body: a repeat is harmless. The name carries the region
            // (dashboards are global to the account).
            // RegisterScalableTarget registers or updates (harmless to repeat); deregistering a
            // target deletes its policies. It goes before its service.
            Kind::ScalableTarget => &KindSpec {
                replace_fields: &[
                    ScalableTargetProps::NAMES.service_namespace,
                    ScalableTargetProps::NAMES.resource_id,
                    ScalableTargetProps::NAMES.scalable_dimension,
                ],
                deleted_after: &[Kind::ScalingPolicy],
                repeat: Repeat::PutWhole,
                ..BASE
            },
            // Found through its target (a policy has no tags); PutScalingPolicy creates or updates.
            Kind::ScalingPolicy => &KindSpec {
                name_field: Some(ScalingPolicyProps::NAMES.name),
                replace_fields: &[
                    ScalingPolicyProps::NAMES.name,
                    ScalingPolicyProps::NAMES.service_namespace,
                    ScalingPolicyProps::NAMES.resource_id,
                    ScalingPolicyProps::NAMES.scalable_dimension,
                ],
                repeat: Repeat::PutWhole,
                discovered_with: Some(Kind::ScalableTarget),
                ..BASE
            },
            Kind::Dashboard => &KindSpec {
                name_field: Some(DashboardProps::NAMES.name),
                replace_fields: &[DashboardProps::NAMES.name],
                repeat: Repeat::PutWhole,
                ..BASE
            },
            // Found through its topic (a subscription has no tags). A repeated Subscribe would send
            // the confirmation e-mail again, so a lost answer is looked for first.
            Kind::AlertSubscription => &KindSpec {
                replace_fields: &[
                    AlertSubscriptionProps::NAMES.topic_arn,
                    AlertSubscriptionProps::NAMES.protocol,
                    AlertSubscriptionProps::NAMES.endpoint,
                ],
                discovered_with: Some(Kind::AlertTopic),
                ..BASE
            },
            Kind::MetricAlarm => &KindSpec {
                name_field: Some(MetricAlarmProps::NAMES.name),
                replace_fields: &[MetricAlarmProps::NAMES.name],
                unordered_fields: &[MetricAlarmProps::NAMES.alarm_actions, MetricAlarmProps::NAMES.ok_actions],
                ..BASE
            },
            // Found through the distributions (it has no tags), deleted after them.
            Kind::OriginAccessControl => &KindSpec {
                name_field: Some(OriginAccessControlProps::NAMES.name),
                deleted_after: &[Kind::Distribution],
                conflict_codes: &["OriginAccessControlAlreadyExists"],
                discovered_with: Some(Kind::Distribution),
                ..BASE
            },
            // A distribution takes 15 minutes or more to deploy to every edge; its bucket policy
            // and invalidation need only its ARN and id.
            Kind::Distribution => &KindSpec {
                deleted_after: &[Kind::BucketPolicy, Kind::CacheInvalidation],
                waits_in_own_step: true,
                wait_minutes: 30,
                conflict_codes: &["DistributionAlreadyExists"],
                // The API's origin and behaviour of a stack whose services are gone.
                clearable_fields: &[
                    DistributionProps::NAMES.api_origin_domain,
                    DistributionProps::NAMES.api_path,
                    DistributionProps::NAMES.api_origin_verify_secret,
                ],
                ..BASE
            },
            Kind::BucketPolicy => &KindSpec {
                replace_fields: &[BucketPolicyProps::NAMES.bucket],
                coexisting_identity_fields: &[BucketPolicyProps::NAMES.bucket],
                repeat: Repeat::PutWhole,
                discovered_with: Some(Kind::S3Bucket),
                ..BASE
            },
            // A listing gives an object's key and content hash; how it is served is set on
            // upload. Removed files go after every upload, so no page names a missing file.
            Kind::FrontendObject => &KindSpec {
                replace_fields: &[FrontendObjectProps::NAMES.bucket, FrontendObjectProps::NAMES.key],
                create_only_fields: &[
                    FrontendObjectProps::NAMES.content_type,
                    FrontendObjectProps::NAMES.cache_control,
                    FrontendObjectProps::NAMES.source,
                ],
                coexisting_identity_fields: &[FrontendObjectProps::NAMES.bucket],
                deleted_after_applies_of: &[Kind::FrontendObject],
                repeat: Repeat::PutWhole,
                discovered_with: Some(Kind::S3Bucket),
                ..BASE
            },
            // An event, not a resource that stays: never discovered.
            // Waits while CloudFront's in-progress invalidations are over its limits.
            Kind::CacheInvalidation => &KindSpec { repeat: Repeat::PutWhole, wait_minutes: 20, ..BASE },
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_with_a_unique_name() {
        let mut names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }

    #[test]
    fn the_facts_agree_with_each_other() {
        for kind in Kind::ALL {
            let spec = kind.spec();
            for field in spec.coexisting_identity_fields {
                assert!(spec.replace_fields.contains(field), "{kind}: {field} names it, so a change replaces it");
            }
            if let Some(owner) = spec.discovered_with {
                assert_eq!(owner.spec().discovered_with, None, "{kind}: discovered with a kind discovered on its own");
            }
            assert!(spec.wait_minutes > 0, "{kind}");
            if spec.listing_lags {
                assert!(spec.name_field.is_some(), "{kind}: read by its name, so it names the field");
            }
        }
    }
}
