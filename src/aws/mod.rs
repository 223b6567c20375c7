//! The IO edge: AWS clients, discovery of live resources, and one driver per resource kind.
//!
//! Every driver file offers the same four functions: `discover` (one filtered read per kind),
//! `create`, `update` and `delete`. This module dispatches on [`Kind`] and holds what drivers share.

mod ec2_tags;
mod error;

pub mod bucket_policy;
pub mod cache_invalidation;
pub mod cache_replication_group;
pub mod cache_subnet_group;
pub mod db_instance;
pub mod db_subnet_group;
pub mod distribution;
pub mod ecr_repository;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod elastic_ip;
pub mod frontend_object;
pub mod iam_role;
pub mod internet_gateway;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod log_group;
pub mod metric_alarm;
pub mod nat_gateway;
pub mod origin_access_control;
pub mod route_table;
pub mod s3_bucket;
pub mod secret;
pub mod security_group;
pub mod subnet;
pub mod target_group;
pub mod task_definition;
pub mod vpc;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use error::{classify, done_if, AwsError, ErrorClass};

use crate::graph::{AccountFacts, Kind, Props, Value, ID_TAG, STACK_TAG};
use crate::plan::{FieldChange, LiveResource, LiveState};

/// Attributes a driver reports for a resource it created or updated (`id` at least).
pub type Attributes = BTreeMap<String, String>;

/// One client per AWS service, all for the stack's region.
#[derive(Clone)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    pub rds: aws_sdk_rds::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub iam: aws_sdk_iam::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub stack: String,
    pub region: String,
    /// The partition every ARN of the region names (`aws`, `aws-us-gov`).
    pub partition: &'static str,
    /// Distinguishes this run's client tokens from earlier runs' (EC2 remembers tokens for a while,
    /// so a token reused after a destroy would return the deleted resource).
    pub run_id: String,
}

/// Where AWS is and how hard to retry; read from flags and the environment by the CLI.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// Points every client at this endpoint (an emulator or a VPC endpoint).
    pub endpoint_url: Option<String>,
}

/// Builds the clients from the standard credential chain for `region`.
pub async fn connect(stack: &str, region: &str, connection: &Connection) -> Clients {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5));
    if let Some(url) = &connection.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    // Custom endpoints rarely serve virtual-hosted bucket names, so S3 uses path-style there.
    let s3_config =
        aws_sdk_s3::config::Builder::from(&config).force_path_style(connection.endpoint_url.is_some()).build();
    Clients {
        ec2: aws_sdk_ec2::Client::new(&config),
        ecr: aws_sdk_ecr::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        sts: aws_sdk_sts::Client::new(&config),
        rds: aws_sdk_rds::Client::new(&config),
        elasticache: aws_sdk_elasticache::Client::new(&config),
        secrets: aws_sdk_secretsmanager::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        cloudfront: aws_sdk_cloudfront::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
        ecs: aws_sdk_ecs::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        stack: stack.to_string(),
        region: region.to_string(),
        partition: crate::stack::facts::partition(region),
        run_id: format!(
            "{:x}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis())
        ),
    }
}

/// Progress a driver reports while it works, e.g. what it waits for.
pub trait Progress: Send + Sync {
    fn waiting(&self, what: &str, elapsed: Duration);
    /// Something AWS reported while the step works (an ECS service event), shown as it arrives.
    fn note(&self, message: &str);
}

/// What a driver gets for one step: the clients, the resource's logical id, and a progress sink.
pub struct StepContext<'a> {
    pub clients: &'a Clients,
    pub id: &'a str,
    pub progress: Arc<dyn Progress>,
    pub timeouts: &'a Timeouts,
    /// True when an earlier attempt of this step failed: a create first looks for what that
    /// attempt may have made before it makes anything.
    pub retry: bool,
}

impl StepContext<'_> {
    /// A name for messages: `nat_gateway nat-1`.
    pub fn resource(&self, kind: Kind) -> String {
        format!("{kind} {}", self.id)
    }
}

/// How long to wait for each kind to become ready or gone.
#[derive(Debug, Clone)]
pub struct Timeouts {
    pub default: Duration,
    pub by_kind: BTreeMap<Kind, Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        let mut by_kind = BTreeMap::new();
        by_kind.insert(Kind::NatGateway, Duration::from_secs(15 * 60));
        // Multi-AZ creation and storage changes can take most of an hour on real AWS.
        by_kind.insert(Kind::DbInstance, Duration::from_secs(90 * 60));
        by_kind.insert(Kind::CacheReplicationGroup, Duration::from_secs(60 * 60));
        // A rollout waits for new tasks to pass health checks and old ones to drain.
        by_kind.insert(Kind::EcsService, Duration::from_secs(30 * 60));
        by_kind.insert(Kind::LoadBalancer, Duration::from_secs(15 * 60));
        // A distribution takes 15 to 20 minutes to deploy to every edge, sometimes more.
        by_kind.insert(Kind::Distribution, Duration::from_secs(30 * 60));
        // AWS releases the network interfaces of deleted tasks, load balancers, databases and
        // caches in minutes; subnets, security groups and the gateway wait for them (Terraform
        // gives subnets and security groups 20 minutes).
        by_kind.insert(Kind::Subnet, Duration::from_secs(20 * 60));
        by_kind.insert(Kind::SecurityGroup, Duration::from_secs(20 * 60));
        by_kind.insert(Kind::InternetGateway, Duration::from_secs(20 * 60));
        // An Elastic IP is released once its NAT gateway is fully deleted.
        by_kind.insert(Kind::ElasticIp, Duration::from_secs(20 * 60));
        Timeouts { default: Duration::from_secs(10 * 60), by_kind }
    }
}

impl Timeouts {
    pub fn for_kind(&self, kind: Kind) -> Duration {
        self.by_kind.get(&kind).copied().unwrap_or(self.default)
    }
}
/// Polls `check` with backoff (0.5 s growing to 15 s), reporting what it waits for, until it
/// returns a value or the kind's timeout passes.
pub async fn wait_for<T, F, Fut>(
    context: &StepContext<'_>,
    kind: Kind,
    state: &str,
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let started = Instant::now();
    let timeout = context.timeouts.for_kind(kind);
    let mut delay = Duration::from_millis(500);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(AwsError::Timeout {
                resource: context.resource(kind),
                state: state.to_string(),
                seconds: timeout.as_secs(),
            });
        }
        context.progress.waiting(&format!("{} to become {state}", context.resource(kind)), elapsed);
        tokio::time::sleep(delay).await;
        delay = (delay.mul_f32(1.5)).min(Duration::from_secs(15));
    }
}

/// `wait_for` a condition that carries no value.
pub async fn wait_until<F, Fut>(
    context: &StepContext<'_>,
    kind: Kind,
    state: &str,
    mut check: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, AwsError>>,
{
    wait_for(context, kind, state, || {
        let done = check();
        async move { Ok(done.await?.then_some(())) }
    })
    .await
}

/// How many per-item reads of one kind run at once: shared accounts are throttled per API, and the
/// SDK's retries take care of the odd throttled call.
pub const PER_ITEM_READS_AT_ONCE: usize = 8;

/// Runs `reads` at most [`PER_ITEM_READS_AT_ONCE`] at a time, in order, stopping at the first error.
/// (A `Vec`, not an iterator: a lazy iterator's closures inside the stream defeat the compiler's
/// proof that the future is `Send`.)
pub async fn bounded<T, Fut>(reads: Vec<Fut>) -> Result<Vec<T>, AwsError>
where
    Fut: Future<Output = Result<T, AwsError>>,
{
    use futures_util::{StreamExt, TryStreamExt};
    futures_util::stream::iter(reads).buffered(PER_ITEM_READS_AT_ONCE).try_collect().await
}

/// Repeats `call` while AWS answers with one of `codes` (a dependency it has not let go of yet:
/// network interfaces of a deleted load balancer, an address still mapped to a deleting NAT
/// gateway), with the same backoff and per-kind limit as every other wait.
pub async fn retry_while<T, F, Fut>(
    context: &StepContext<'_>,
    kind: Kind,
    state: &str,
    codes: &[&str],
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let last = std::sync::Mutex::new(None);
    let outcome = wait_for(context, kind, state, || {
        let attempt = call();
        let last = &last;
        async move {
            match attempt.await {
                Ok(value) => Ok(Some(value)),
                Err(error) if error.code().is_some_and(|code| codes.contains(&code)) => {
                    *last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error.to_string());
                    Ok(None)
                }
                Err(error) => Err(error),
            }
        }
    })
    .await;
    match outcome {
        // Say what AWS kept answering, not only that time ran out.
        Err(AwsError::Timeout { resource, state, seconds }) => {
            let answer = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
            Err(AwsError::refused(
                resource,
                format!(
                    "timed out after {seconds} s waiting to be {state}{}; run the same command again to keep waiting",
                    answer.map(|answer| format!(" (AWS still answers: {answer})")).unwrap_or_default()
                ),
            ))
        }
        other => other,
    }
}

/// Waits until no network interface matches `filter` (`subnet-id`, `group-id`): AWS releases those
/// of stopped tasks, deleted load balancers, databases and caches minutes after their owner goes.
pub async fn wait_for_network_interfaces_to_go(
    context: &StepContext<'_>,
    kind: Kind,
    filter: &str,
    value: &str,
) -> Result<(), AwsError> {
    let resource = context.resource(kind);
    wait_until(context, kind, "free of network interfaces", || async {
        let output = context
            .clients
            .ec2
            .describe_network_interfaces()
            .filters(aws_sdk_ec2::types::Filter::builder().name(filter).values(value).build())
            .send()
            .await
            .map_err(|e| error::from_sdk("DescribeNetworkInterfaces", &resource, e))?;
        Ok(output.network_interfaces().is_empty())
    })
    .await
}

/// Reads facts the graph needs: the account id and the region's usable availability zones
/// (available, running Fargate), ordered by zone id.
pub async fn account_facts(clients: &Clients) -> Result<AccountFacts, AwsError> {
    let identity = clients.sts.get_caller_identity().send();
    let zones = clients
        .ec2
        .describe_availability_zones()
        .filters(aws_sdk_ec2::types::Filter::builder().name("zone-type").values("availability-zone").build())
        .send();
    let (identity, zones) = tokio::join!(identity, zones);
    let identity = identity.map_err(|e| error::from_sdk("GetCallerIdentity", "the account", e))?;
    let zones = zones.map_err(|e| error::from_sdk("DescribeAvailabilityZones", &clients.region, e))?;
    let listed: Vec<(String, String, String)> = zones
        .availability_zones()
        .iter()
        .filter_map(|zone| {
            Some((
                zone.zone_id().unwrap_or_default().to_string(),
                zone.zone_name()?.to_string(),
                zone.state().map_or("available", |state| state.as_str()).to_string(),
            ))
        })
        .collect();
    Ok(AccountFacts {
        account_id: identity.account().unwrap_or_default().to_string(),
        availability_zones: usable_zones(&clients.region, listed),
        subnet_zones: BTreeMap::new(),
        image_tags: BTreeMap::new(),
        frontend_files: Vec::new(),
    })
}

/// The names of the zones new subnets may go in, from (zone id, zone name, state): available ones
/// that run Fargate, ordered by zone id (names are shuffled per account, ids are not).
pub fn usable_zones(region: &str, mut zones: Vec<(String, String, String)>) -> Vec<String> {
    zones.retain(|(id, _, state)| state == "available" && crate::stack::facts::fargate_runs_in(region, id));
    zones.sort();
    zones.into_iter().map(|(_, name, _)| name).collect()
}

/// Reads every live resource owned by the stack: one filtered read per kind, all kinds at once.
pub async fn discover(clients: &Clients, facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let buckets = s3_bucket::stack_bucket_names(clients, &facts.account_id);
    let kinds = Kind::ALL.iter().map(|kind| {
        let buckets = buckets.clone();
        async move {
            match kind {
                // The bucket's policy and objects have no tags: they are the stack's because its
                // bucket is, so they are read after it.
                Kind::S3Bucket => s3_bucket::discover_frontend(clients, &buckets).await,
                Kind::BucketPolicy | Kind::FrontendObject => Ok(Vec::new()),
                // Listeners and rules can only be read through their load balancer, so one read
                // chain returns all three kinds.
                Kind::LoadBalancer => load_balancer::discover_routing(clients).await,
                Kind::Listener | Kind::ListenerRule => Ok(Vec::new()),
                // The origin access control has no tags: it is found through the distributions.
                Kind::Distribution => distribution::discover_edge(clients).await,
                Kind::OriginAccessControl => Ok(Vec::new()),
                other => discover_kind(clients, *other).await,
            }
        }
    });
    Ok(futures_util::future::try_join_all(kinds).await?.into_iter().flatten().collect())
}

/// Creates a resource from resolved properties.
pub async fn create(context: &StepContext<'_>, kind: Kind, props: &Props) -> Result<Attributes, AwsError> {
    // A database's create does more than an update could redo (it fills its secret in), so its
    // driver makes the create itself safe to repeat instead.
    // A bucket policy or an object is put whole, and an invalidation carries a caller reference:
    // repeating those is harmless, so they need no search either.
    let repeatable = matches!(kind, Kind::BucketPolicy | Kind::FrontendObject | Kind::CacheInvalidation);
    if context.retry && kind != Kind::DbInstance && !repeatable {
        // The failed attempt may have created the resource (tag-on-create makes it findable).
        if let Some(live) = find_own(context, kind, props).await? {
            return bring_to(context, kind, props, live).await;
        }
    }
    match create_once(context, kind, props).await {
        Err(error) if error.code().is_some_and(|code| CONFLICT_CODES.contains(&code)) => {
            adopt(context, kind, props, error).await
        }
        other => other,
    }
}

/// The stack's own resource of this step, if it exists already. Secrets and roles are looked up by
/// their deterministic names: ListSecrets and ListRoles can lag minutes behind a create.
async fn find_own(context: &StepContext<'_>, kind: Kind, props: &Props) -> Result<Option<LiveResource>, AwsError> {
    let clients = context.clients;
    let found = match kind {
        Kind::S3Bucket => s3_bucket::discover_named(clients, &[text(props, "name").to_string()]).await?,
        Kind::Secret => secret::discover_by_name(clients, text(props, "name")).await?,
        Kind::IamRole => iam_role::discover_by_name(clients, text(props, "name")).await?,
        other => discover_kind(clients, other).await?,
    };
    Ok(found.into_iter().find(|resource| resource.id == context.id && resource.state != LiveState::Deleting))
}

/// Codes that say a resource with the create's name already exists.
const CONFLICT_CODES: &[&str] = &[
    "EntityAlreadyExists",
    "ResourceAlreadyExistsException",
    "DuplicateLoadBalancerName",
    "DuplicateTargetGroupName",
    "DuplicateListener",
    "PriorityInUse",
    "DistributionAlreadyExists",
    "OriginAccessControlAlreadyExists",
    "InvalidGroup.Duplicate",
    "InvalidSubnet.Conflict",
    "RepositoryAlreadyExistsException",
    "BucketAlreadyOwnedByYou",
    "DBSubnetGroupAlreadyExists",
    "DBSubnetGroupAlreadyExistsFault",
    "DBInstanceAlreadyExists",
    "DBInstanceAlreadyExistsFault",
    "ResourceExistsException",
    "CacheSubnetGroupAlreadyExists",
    "CacheSubnetGroupAlreadyExistsFault",
    "ReplicationGroupAlreadyExists",
    "ReplicationGroupAlreadyExistsFault",
];

/// After a name conflict on create: when the existing resource carries this stack's tags (an
/// earlier attempt created it, and its answer was lost), it is adopted and brought to the desired
/// properties; otherwise it belongs to someone else and is never touched.
async fn adopt(
    context: &StepContext<'_>,
    kind: Kind,
    props: &Props,
    conflict: AwsError,
) -> Result<Attributes, AwsError> {
    let Some(live) = find_own(context, kind, props).await? else {
        let name = props
            .get("name")
            .or_else(|| props.get("identifier"))
            .or_else(|| props.get("id"))
            .and_then(Value::as_str)
            .unwrap_or(context.id);
        return Err(AwsError::refused(
            context.resource(kind),
            format!(
                "{name} exists but is not tagged {STACK_TAG}={}; wl-infra never touches resources it does not own: rename the stack, delete it, or tag it to adopt it ({conflict})",
                context.clients.stack
            ),
        ));
    };
    bring_to(context, kind, props, live).await
}

/// Brings an adopted resource to the desired properties, then waits for it to be ready, as its
/// create would have (an adopted service may still be rolling out, or rolling back).
async fn bring_to(
    context: &StepContext<'_>,
    kind: Kind,
    props: &Props,
    live: LiveResource,
) -> Result<Attributes, AwsError> {
    let changes = crate::plan::field_changes(kind, &live.props, props);
    if changes.is_empty() {
        return wait_ready(context, kind, &live.physical_id, &live.attributes).await;
    }
    update(context, kind, &live.physical_id, props, &live.props, &changes).await
}

/// Waits until a resource is ready for what refers to it (an earlier run left it pending, or a
/// create was adopted), and returns its attributes then. Kinds that are ready once they exist
/// answer with the attributes they have.
pub async fn wait_ready(
    context: &StepContext<'_>,
    kind: Kind,
    physical_id: &str,
    known: &Attributes,
) -> Result<Attributes, AwsError> {
    match kind {
        Kind::NatGateway => nat_gateway::wait_ready(context, physical_id).await,
        Kind::DbInstance => db_instance::wait_ready(context, physical_id).await,
        Kind::CacheReplicationGroup => cache_replication_group::wait_ready(context, physical_id).await,
        Kind::LoadBalancer => load_balancer::wait_ready(context, physical_id).await,
        Kind::EcsService => ecs_service::wait_ready(context, physical_id, known).await,
        Kind::Distribution => distribution::wait_ready(context, physical_id).await,
        Kind::Vpc
        | Kind::Subnet
        | Kind::InternetGateway
        | Kind::ElasticIp
        | Kind::RouteTable
        | Kind::SecurityGroup
        | Kind::EcrRepository
        | Kind::S3Bucket
        | Kind::DbSubnetGroup
        | Kind::Secret
        | Kind::CacheSubnetGroup
        | Kind::IamRole
        | Kind::LogGroup
        | Kind::EcsCluster
        | Kind::TaskDefinition
        | Kind::TargetGroup
        | Kind::Listener
        | Kind::ListenerRule
        | Kind::MetricAlarm
        | Kind::OriginAccessControl
        | Kind::BucketPolicy
        | Kind::FrontendObject
        | Kind::CacheInvalidation => Ok(known.clone()),
    }
}

/// A per-call override that turns the SDK's own retries off, for creates that have neither a
/// client token nor a unique name: the executor retries them after looking for what a failed
/// attempt may have made, so a lost answer never leaves a twin.
pub fn no_sdk_retries() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(aws_config::retry::RetryConfig::disabled())
}

/// One kind's discovery (the adoption path needs only the kind it creates).
async fn discover_kind(clients: &Clients, kind: Kind) -> Result<Vec<LiveResource>, AwsError> {
    match kind {
        Kind::Vpc => vpc::discover(clients).await,
        Kind::Subnet => subnet::discover(clients).await,
        Kind::InternetGateway => internet_gateway::discover(clients).await,
        Kind::ElasticIp => elastic_ip::discover(clients).await,
        Kind::NatGateway => nat_gateway::discover(clients).await,
        Kind::RouteTable => route_table::discover(clients).await,
        Kind::SecurityGroup => security_group::discover(clients).await,
        Kind::EcrRepository => ecr_repository::discover(clients).await,
        Kind::S3Bucket => Ok(Vec::new()),
        Kind::DbSubnetGroup => db_subnet_group::discover(clients).await,
        Kind::Secret => secret::discover(clients).await,
        Kind::DbInstance => db_instance::discover(clients).await,
        Kind::CacheSubnetGroup => cache_subnet_group::discover(clients).await,
        Kind::CacheReplicationGroup => cache_replication_group::discover(clients).await,
        Kind::IamRole => iam_role::discover(clients).await,
        Kind::LogGroup => log_group::discover(clients).await,
        Kind::EcsCluster => ecs_cluster::discover(clients).await,
        Kind::TaskDefinition => task_definition::discover(clients).await,
        Kind::LoadBalancer => load_balancer::discover(clients).await,
        Kind::TargetGroup => target_group::discover(clients).await,
        Kind::Listener => listener::discover(clients).await,
        Kind::ListenerRule => listener_rule::discover(clients).await,
        Kind::EcsService => ecs_service::discover(clients).await,
        Kind::MetricAlarm => metric_alarm::discover(clients).await,
        Kind::OriginAccessControl => Ok(distribution::discover_edge(clients)
            .await?
            .into_iter()
            .filter(|resource| resource.kind == Kind::OriginAccessControl)
            .collect()),
        Kind::Distribution => distribution::discover(clients).await,
        Kind::CacheInvalidation => cache_invalidation::discover(clients).await,
        // Found through the stack's bucket, whose name `discover` knows.
        Kind::BucketPolicy | Kind::FrontendObject => Ok(Vec::new()),
    }
}

async fn create_once(context: &StepContext<'_>, kind: Kind, props: &Props) -> Result<Attributes, AwsError> {
    match kind {
        Kind::Vpc => vpc::create(context, props).await,
        Kind::Subnet => subnet::create(context, props).await,
        Kind::InternetGateway => internet_gateway::create(context, props).await,
        Kind::ElasticIp => elastic_ip::create(context, props).await,
        Kind::NatGateway => nat_gateway::create(context, props).await,
        Kind::RouteTable => route_table::create(context, props).await,
        Kind::SecurityGroup => security_group::create(context, props).await,
        Kind::EcrRepository => ecr_repository::create(context, props).await,
        Kind::S3Bucket => s3_bucket::create(context, props).await,
        Kind::DbSubnetGroup => db_subnet_group::create(context, props).await,
        Kind::Secret => secret::create(context, props).await,
        Kind::DbInstance => db_instance::create(context, props).await,
        Kind::CacheSubnetGroup => cache_subnet_group::create(context, props).await,
        Kind::CacheReplicationGroup => cache_replication_group::create(context, props).await,
        Kind::IamRole => iam_role::create(context, props).await,
        Kind::LogGroup => log_group::create(context, props).await,
        Kind::EcsCluster => ecs_cluster::create(context, props).await,
        Kind::TaskDefinition => task_definition::create(context, props).await,
        Kind::LoadBalancer => load_balancer::create(context, props).await,
        Kind::TargetGroup => target_group::create(context, props).await,
        Kind::Listener => listener::create(context, props).await,
        Kind::ListenerRule => listener_rule::create(context, props).await,
        Kind::EcsService => ecs_service::create(context, props).await,
        Kind::MetricAlarm => metric_alarm::create(context, props).await,
        Kind::OriginAccessControl => origin_access_control::create(context, props).await,
        Kind::Distribution => distribution::create(context, props).await,
        Kind::CacheInvalidation => cache_invalidation::create(context, props).await,
        Kind::BucketPolicy => bucket_policy::create(context, props).await,
        Kind::FrontendObject => frontend_object::create(context, props).await,
    }
}

/// Brings the changed fields of a resource to their desired (resolved) values.
pub async fn update(
    context: &StepContext<'_>,
    kind: Kind,
    physical_id: &str,
    props: &Props,
    live: &Props,
    changes: &[FieldChange],
) -> Result<Attributes, AwsError> {
    let update = Update { physical_id, props, live, changes };
    match kind {
        Kind::Vpc => vpc::update(context, &update).await,
        Kind::Subnet => subnet::update(context, &update).await,
        Kind::InternetGateway => internet_gateway::update(context, &update).await,
        Kind::ElasticIp | Kind::NatGateway => ec2_tags::update_only_tags(context, &update).await,
        Kind::RouteTable => route_table::update(context, &update).await,
        Kind::SecurityGroup => security_group::update(context, &update).await,
        Kind::EcrRepository => ecr_repository::update(context, &update).await,
        Kind::S3Bucket => s3_bucket::update(context, &update).await,
        Kind::DbSubnetGroup => db_subnet_group::update(context, &update).await,
        Kind::Secret => secret::update(context, &update).await,
        Kind::DbInstance => db_instance::update(context, &update).await,
        Kind::CacheSubnetGroup => cache_subnet_group::update(context, &update).await,
        Kind::CacheReplicationGroup => cache_replication_group::update(context, &update).await,
        Kind::IamRole => iam_role::update(context, &update).await,
        Kind::LogGroup => log_group::update(context, &update).await,
        Kind::EcsCluster => ecs_cluster::update(context, &update).await,
        Kind::TaskDefinition => task_definition::update(context, &update).await,
        Kind::LoadBalancer => load_balancer::update(context, &update).await,
        Kind::TargetGroup => target_group::update(context, &update).await,
        Kind::Listener => listener::update(context, &update).await,
        Kind::ListenerRule => listener_rule::update(context, &update).await,
        Kind::EcsService => ecs_service::update(context, &update).await,
        Kind::MetricAlarm => metric_alarm::update(context, &update).await,
        Kind::OriginAccessControl => origin_access_control::update(context, &update).await,
        Kind::Distribution => distribution::update(context, &update).await,
        Kind::CacheInvalidation => cache_invalidation::update(context, &update).await,
        Kind::BucketPolicy => bucket_policy::update(context, &update).await,
        Kind::FrontendObject => frontend_object::update(context, &update).await,
    }
}

/// Deletes a resource; a resource that is already gone counts as deleted.
pub async fn delete(context: &StepContext<'_>, kind: Kind, physical_id: &str, live: &Props) -> Result<(), AwsError> {
    let result = match kind {
        Kind::Vpc => vpc::delete(context, physical_id).await,
        Kind::Subnet => subnet::delete(context, physical_id).await,
        Kind::InternetGateway => internet_gateway::delete(context, physical_id, live).await,
        Kind::ElasticIp => elastic_ip::delete(context, physical_id).await,
        Kind::NatGateway => nat_gateway::delete(context, physical_id).await,
        Kind::RouteTable => route_table::delete(context, physical_id).await,
        Kind::SecurityGroup => security_group::delete(context, physical_id).await,
        Kind::EcrRepository => ecr_repository::delete(context, physical_id).await,
        Kind::S3Bucket => s3_bucket::delete(context, physical_id).await,
        Kind::DbSubnetGroup => db_subnet_group::delete(context, physical_id).await,
        Kind::Secret => secret::delete(context, physical_id, live).await,
        Kind::DbInstance => db_instance::delete(context, physical_id, live).await,
        Kind::CacheSubnetGroup => cache_subnet_group::delete(context, physical_id).await,
        Kind::CacheReplicationGroup => cache_replication_group::delete(context, physical_id).await,
        Kind::IamRole => iam_role::delete(context, physical_id, live).await,
        Kind::LogGroup => log_group::delete(context, physical_id, live).await,
        Kind::EcsCluster => ecs_cluster::delete(context, physical_id, live).await,
        Kind::TaskDefinition => task_definition::delete(context, physical_id, live).await,
        Kind::LoadBalancer => load_balancer::delete(context, physical_id, live).await,
        Kind::TargetGroup => target_group::delete(context, physical_id, live).await,
        Kind::Listener => listener::delete(context, physical_id, live).await,
        Kind::ListenerRule => listener_rule::delete(context, physical_id, live).await,
        Kind::EcsService => ecs_service::delete(context, physical_id, live).await,
        Kind::MetricAlarm => metric_alarm::delete(context, physical_id, live).await,
        Kind::OriginAccessControl => origin_access_control::delete(context, physical_id, live).await,
        Kind::Distribution => distribution::delete(context, physical_id, live).await,
        Kind::CacheInvalidation => cache_invalidation::delete(context, physical_id, live).await,
        Kind::BucketPolicy => bucket_policy::delete(context, physical_id, live).await,
        Kind::FrontendObject => frontend_object::delete(context, physical_id, live).await,
    };
    match result {
        Err(error) if error.is_not_found() => Ok(()),
        other => other,
    }
}

/// The arguments of an update, bundled for the drivers.
pub struct Update<'a> {
    pub physical_id: &'a str,
    pub props: &'a Props,
    pub live: &'a Props,
    pub changes: &'a [FieldChange],
}

impl Update<'_> {
    pub fn changed(&self, field: &str) -> bool {
        self.changes.iter().any(|change| change.field == field)
    }
}

/// A string property that the planner guarantees is present and resolved.
pub fn text<'a>(props: &'a Props, field: &str) -> &'a str {
    props.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// A list of strings property (subnet ids, paths, ...); empty when absent.
pub fn texts(props: &Props, field: &str) -> Vec<String> {
    props
        .get(field)
        .map(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

pub fn flag(props: &Props, field: &str) -> bool {
    props.get(field).and_then(Value::as_bool).unwrap_or(false)
}

pub fn integer(props: &Props, field: &str) -> i64 {
    props.get(field).and_then(Value::as_i64).unwrap_or_default()
}

/// Makes a resource's tags equal to the desired ones, when they changed: `remove` drops the stale
/// keys (if any), then `put` writes the desired tags (AWS overwrites values), each in the service's
/// own API.
pub async fn replace_tags<R, RF, P, PF>(update: &Update<'_>, remove: R, put: P) -> Result<(), AwsError>
where
    R: FnOnce(Vec<String>) -> RF,
    RF: Future<Output = Result<(), AwsError>>,
    P: FnOnce() -> PF,
    PF: Future<Output = Result<(), AwsError>>,
{
    if !update.changed("tags") {
        return Ok(());
    }
    let stale = stale_tag_keys(update);
    if !stale.is_empty() {
        remove(stale).await?;
    }
    put().await
}

/// Keys of the live tags the desired ones no longer have, to be removed.
pub fn stale_tag_keys(update: &Update<'_>) -> Vec<String> {
    let desired = tag_pairs(update.props);
    tag_pairs(update.live)
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| !desired.iter().any(|(k, _)| k == key))
        .collect()
}

/// The `tags` map of a resource as (key, value) pairs.
pub fn tag_pairs(props: &Props) -> Vec<(String, String)> {
    props
        .get("tags")
        .and_then(Value::as_map)
        .map(|map| map.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
        .unwrap_or_default()
}

/// Builds a `tags` value from AWS tags, leaving out the `aws:` tags AWS manages itself.
pub fn tags_value<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .filter(|(key, _)| !key.starts_with("aws:"))
            .map(|(key, value)| (key.to_string(), Value::string(value)))
            .collect(),
    )
}

/// The logical id of an owned resource, if its tags say it belongs to `stack`.
pub fn owned_id<'a>(stack: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let mut stack_matches = false;
    let mut id = None;
    for (key, value) in pairs {
        if key == STACK_TAG && value == stack {
            stack_matches = true;
        }
        if key == ID_TAG {
            id = Some(value.to_string());
        }
    }
    if stack_matches {
        id
    } else {
        None
    }
}

/// An API that takes a client token, each with its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenApi {
    /// EC2 `ClientToken`: "Maximum 64 ASCII characters" (API_CreateNatGateway).
    Ec2,
    /// ECS CreateService `clientToken`: "Up to 36 ASCII characters in the range of 33-126
    /// (inclusive) are allowed" (API_CreateService).
    Ecs,
    /// Secrets Manager `ClientRequestToken`: 32 to 64 characters (API_CreateSecret).
    SecretsManager,
    /// CloudFront `CallerReference`: no documented limit (API_DistributionConfig); kept at 64.
    CloudFront,
}

impl TokenApi {
    pub fn max_length(self) -> usize {
        match self {
            TokenApi::Ecs => 36,
            TokenApi::Ec2 | TokenApi::SecretsManager | TokenApi::CloudFront => 64,
        }
    }
}

/// A deterministic client token for a create, so that a retried call never makes a second
/// resource: the same for every retry of this create in this run, different in the next run (EC2
/// remembers tokens for a while, so a token reused after a destroy would return the deleted
/// resource), and within `api`'s limit.
pub fn client_token(api: TokenApi, run_id: &str, id: &str, props: &Props) -> String {
    // FNV-1a over the run, the id and the debug form of the props, stretched to 48 hex digits.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("{run_id}\0{id}\0{props:?}").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let stretched = format!(
        "{hash:016x}{:016x}{:016x}",
        hash.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15,
        hash.rotate_left(43).wrapping_mul(0xff51_afd7_ed55_8ccd)
    );
    // The run goes first so that tokens of one run sort together in AWS's logs; 64 characters at
    // most, cut to the API's limit (the hash part keeps at least 20 hex digits, 80 bits).
    let mut token = format!("wl-{:0>12}-{stretched}", &run_id[run_id.len().saturating_sub(12)..]);
    token.truncate(api.max_length());
    token
}

#[cfg(test)]
mod tests {
    use super::{client_token, usable_zones, TokenApi};

    #[test]
    fn client_tokens_fit_each_api_s_limit_and_differ_by_resource_and_run() {
        let props = crate::graph::Props::new();
        for (api, shortest, longest) in [
            (TokenApi::Ecs, 1, 36),
            (TokenApi::Ec2, 1, 64),
            (TokenApi::SecretsManager, 32, 64),
            (TokenApi::CloudFront, 1, 64),
        ] {
            let token = client_token(api, "19a2b3c4d5e", "nat-1", &props);
            assert!((shortest..=longest).contains(&token.len()), "{api:?}: {token} ({} characters)", token.len());
            assert!(token.bytes().all(|byte| (33..=126).contains(&byte)), "{api:?}: {token}");
            assert_eq!(token, client_token(api, "19a2b3c4d5e", "nat-1", &props), "stable within a run");
            assert_ne!(token, client_token(api, "19a2b3c4d5e", "nat-2", &props));
            assert_ne!(token, client_token(api, "19a2b3c4d5f", "nat-1", &props), "new in the next run");
        }
        assert_eq!(client_token(TokenApi::Ecs, "19a2b3c4d5e", "service-movie", &props).len(), 36);
    }

    #[test]
    fn zones_are_ordered_by_id_without_the_unavailable_ones_and_those_without_fargate() {
        let zone = |id: &str, name: &str, state: &str| (id.to_string(), name.to_string(), state.to_string());
        let zones = vec![
            zone("use1-az6", "us-east-1a", "available"),
            zone("use1-az1", "us-east-1b", "available"),
            zone("use1-az2", "us-east-1d", "constrained"),
            zone("use1-az4", "us-east-1e", "available"),
        ];
        assert_eq!(usable_zones("us-east-1", zones), vec!["us-east-1b", "us-east-1e", "us-east-1a"]);
        // Fargate runs in two of us-west-1's zones only.
        let west = vec![
            zone("usw1-az3", "us-west-1a", "available"),
            zone("usw1-az2", "us-west-1b", "available"),
            zone("usw1-az1", "us-west-1c", "available"),
        ];
        assert_eq!(usable_zones("us-west-1", west), vec!["us-west-1c", "us-west-1a"]);
    }
}
