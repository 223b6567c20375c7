//! The one table from a kind to its driver, and what every driver offers: discovery, create,
//! update, delete, readiness, and the check that its typed properties fit the graph's.

use futures_util::future::BoxFuture;

use super::{Attributes, AwsError, Clients, StepContext, Update};
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

/// What a discovery answers: the live resources the stack owns.
pub type Found<'a> = BoxFuture<'a, Result<Vec<LiveResource>, AwsError>>;

/// One kind's AWS calls. Each driver file implements it once, with the `driver!` macro over its
/// own functions.
pub trait Driver: Send + Sync {
    /// Every live resource of the kind the stack owns (and of the kinds discovered with it, whose
    /// `KindSpec::discovered_with` names this one): one filtered read, then per-item reads.
    fn discover<'a>(&'a self, clients: &'a Clients, facts: &'a AccountFacts) -> Found<'a>;

    /// The stack's resource of this kind with this name, read by name, for kinds whose listing can
    /// lag behind a create (secrets, roles) or that are found by name (the bucket); `None` when the
    /// kind's discovery finds it.
    fn find_by_name<'a>(&'a self, _clients: &'a Clients, _name: &'a str) -> Option<Found<'a>> {
        None
    }

    fn create<'a>(
        &'a self,
        context: &'a StepContext<'a>,
        props: &'a Props,
    ) -> BoxFuture<'a, Result<Attributes, AwsError>>;

    /// Brings the changed fields to their desired (resolved) values.
    fn update<'a>(
        &'a self,
        context: &'a StepContext<'a>,
        update: &'a Update<'a>,
    ) -> BoxFuture<'a, Result<Attributes, AwsError>>;

    /// Deletes the resource; waits where the next step needs it gone.
    fn delete<'a>(
        &'a self,
        context: &'a StepContext<'a>,
        physical_id: &'a str,
        live: &'a Props,
    ) -> BoxFuture<'a, Result<(), AwsError>>;

    /// Waits until the resource is ready for what refers to it, and answers its attributes then;
    /// kinds that are ready once they exist answer with the attributes they have.
    fn wait_ready<'a>(
        &'a self,
        _context: &'a StepContext<'a>,
        _physical_id: &'a str,
        known: &'a Attributes,
    ) -> BoxFuture<'a, Result<Attributes, AwsError>> {
        Box::pin(async move { Ok(known.clone()) })
    }

    /// Whether resolved properties decode into the driver's own type.
    fn check_props(&self, props: &Props) -> Result<(), String>;
}

/// Implements [`Driver`] over a driver file's `discover`, `create`, `update` and `delete`
/// functions and its properties type, with `wait_ready` and `find_by_name` where it has them.
macro_rules! driver_impl {
    ($driver:ident, $props:ty $(, wait_ready = $wait:path)? $(, find_by_name = $find:path)? $(,)?) => {
        /// The kind's driver.
        pub struct $driver;

        impl $crate::aws::driver::Driver for $driver {
            fn discover<'a>(
                &'a self,
                clients: &'a $crate::aws::Clients,
                facts: &'a $crate::graph::AccountFacts,
            ) -> $crate::aws::driver::Found<'a> {
                Box::pin(discover(clients, facts))
            }

            $(
                fn find_by_name<'a>(
                    &'a self,
                    clients: &'a $crate::aws::Clients,
                    name: &'a str,
                ) -> Option<$crate::aws::driver::Found<'a>> {
                    Some(Box::pin($find(clients, name)))
                }
            )?

            fn create<'a>(
                &'a self,
                context: &'a $crate::aws::StepContext<'a>,
                props: &'a $crate::graph::Props,
            ) -> futures_util::future::BoxFuture<'a, Result<$crate::aws::Attributes, $crate::aws::AwsError>> {
                Box::pin(create(context, props))
            }

            fn update<'a>(
                &'a self,
                context: &'a $crate::aws::StepContext<'a>,
                change: &'a $crate::aws::Update<'a>,
            ) -> futures_util::future::BoxFuture<'a, Result<$crate::aws::Attributes, $crate::aws::AwsError>> {
                Box::pin(update(context, change))
            }

            fn delete<'a>(
                &'a self,
                context: &'a $crate::aws::StepContext<'a>,
                physical_id: &'a str,
                live: &'a $crate::graph::Props,
            ) -> futures_util::future::BoxFuture<'a, Result<(), $crate::aws::AwsError>> {
                Box::pin(delete(context, physical_id, live))
            }

            $(
                fn wait_ready<'a>(
                    &'a self,
                    context: &'a $crate::aws::StepContext<'a>,
                    physical_id: &'a str,
                    known: &'a $crate::aws::Attributes,
                ) -> futures_util::future::BoxFuture<'a, Result<$crate::aws::Attributes, $crate::aws::AwsError>> {
                    Box::pin($wait(context, physical_id, known))
                }
            )?

            fn check_props(&self, props: &$crate::graph::Props) -> Result<(), String> {
                $crate::aws::props::check::<$props>(props)
            }
        }
    };
}

pub(crate) use driver_impl as driver;

/// The driver of each kind. One arm per kind, no fallback: a new kind does not compile without one.
pub fn driver(kind: Kind) -> &'static dyn Driver {
    use super::*;
    match kind {
        Kind::Vpc => &vpc::VpcDriver,
        Kind::Subnet => &subnet::SubnetDriver,
        Kind::InternetGateway => &internet_gateway::InternetGatewayDriver,
        Kind::ElasticIp => &elastic_ip::ElasticIpDriver,
        Kind::NatGateway => &nat_gateway::NatGatewayDriver,
        Kind::RouteTable => &route_table::RouteTableDriver,
        Kind::SecurityGroup => &security_group::SecurityGroupDriver,
        Kind::EcrRepository => &ecr_repository::EcrRepositoryDriver,
        Kind::S3Bucket => &s3_bucket::S3BucketDriver,
        Kind::DbSubnetGroup => &db_subnet_group::DbSubnetGroupDriver,
        Kind::Secret => &secret::SecretDriver,
        Kind::DbInstance => &db_instance::DbInstanceDriver,
        Kind::CacheSubnetGroup => &cache_subnet_group::CacheSubnetGroupDriver,
        Kind::CacheReplicationGroup => &cache_replication_group::CacheReplicationGroupDriver,
        Kind::IamRole => &iam_role::IamRoleDriver,
        Kind::LogGroup => &log_group::LogGroupDriver,
        Kind::EcsCluster => &ecs_cluster::EcsClusterDriver,
        Kind::ServiceNamespace => &service_namespace::ServiceNamespaceDriver,
        Kind::TaskDefinition => &task_definition::TaskDefinitionDriver,
        Kind::LoadBalancer => &load_balancer::LoadBalancerDriver,
        Kind::TargetGroup => &target_group::TargetGroupDriver,
        Kind::Listener => &listener::ListenerDriver,
        Kind::ListenerRule => &listener_rule::ListenerRuleDriver,
        Kind::EcsService => &ecs_service::EcsServiceDriver,
        Kind::KmsKey => &kms_key::KmsKeyDriver,
        Kind::AlertTopic => &alert_topic::AlertTopicDriver,
        Kind::AlertSubscription => &alert_subscription::AlertSubscriptionDriver,
        Kind::MetricAlarm => &metric_alarm::MetricAlarmDriver,
        Kind::Dashboard => &dashboard::DashboardDriver,
        Kind::ScalableTarget => &scalable_target::ScalableTargetDriver,
        Kind::ScalingPolicy => &scaling_policy::ScalingPolicyDriver,
        Kind::OriginAccessControl => &origin_access_control::OriginAccessControlDriver,
        Kind::Distribution => &distribution::DistributionDriver,
        Kind::BucketPolicy => &bucket_policy::BucketPolicyDriver,
        Kind::FrontendObject => &frontend_object::FrontendObjectDriver,
        Kind::CacheInvalidation => &cache_invalidation::CacheInvalidationDriver,
    }
}

/// Discovery of a kind found with another (`discovered_with`): its owner's discovery returns it.
pub async fn found_with_owner(_clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    Ok(Vec::new())
}
