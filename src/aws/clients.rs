//! The AWS clients of a run, and the facts about the account and region the graph needs.

use std::collections::BTreeMap;

use super::{AwsError, SdkResultExt};
use crate::graph::AccountFacts;

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
    pub cloud_map: aws_sdk_servicediscovery::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
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
    /// The stack's origin secret once read (`origin_verify::read_stack`): the distribution's and
    /// the rules' discoveries both compare with it.
    pub origin_secret: std::sync::Arc<tokio::sync::OnceCell<Option<super::origin_verify::OriginSecret>>>,
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
        cloud_map: aws_sdk_servicediscovery::Client::new(&config),
        sns: aws_sdk_sns::Client::new(&config),
        kms: aws_sdk_kms::Client::new(&config),
        autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        cloudfront: aws_sdk_cloudfront::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
        ecs: aws_sdk_ecs::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        stack: stack.to_string(),
        region: region.to_string(),
        partition: crate::stack::facts::partition(region),
        origin_secret: Default::default(),
        run_id: format!(
            "{:x}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis())
        ),
    }
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
    let prefix_lists = clients
        .ec2
        .describe_managed_prefix_lists()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("prefix-list-name")
                .values(crate::graph::CLOUDFRONT_PREFIX_LIST_NAME)
                .build(),
        )
        .send();
    let (identity, zones, prefix_lists) = tokio::join!(identity, zones, prefix_lists);
    let identity = identity.aws("GetCallerIdentity", "the account")?;
    let zones = zones.aws("DescribeAvailabilityZones", &clients.region)?;
    let prefix_lists = prefix_lists.aws("DescribeManagedPrefixLists", &clients.region)?;
    let cloudfront_prefix_list = prefix_lists
        .prefix_lists()
        .iter()
        .find(|list| list.prefix_list_name() == Some(crate::graph::CLOUDFRONT_PREFIX_LIST_NAME))
        .and_then(|list| list.prefix_list_id())
        .map(str::to_string);
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
        cloudfront_prefix_list,
    })
}

/// The names of the zones new subnets may go in, from (zone id, zone name, state): available ones
/// that run Fargate, ordered by zone id (names are shuffled per account, ids are not).
pub fn usable_zones(region: &str, mut zones: Vec<(String, String, String)>) -> Vec<String> {
    zones.retain(|(id, _, state)| state == "available" && crate::stack::facts::fargate_runs_in(region, id));
    zones.sort();
    zones.into_iter().map(|(_, name, _)| name).collect()
}

/// A per-call override that turns the SDK's own retries off, for creates that have neither a
/// client token nor a unique name: the executor retries them after looking for what a failed
/// attempt may have made, so a lost answer never leaves a twin.
pub fn no_sdk_retries() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(aws_config::retry::RetryConfig::disabled())
}
