//! Driver for the CloudFront distribution in front of the frontend bucket (through origin access
//! control) and the load balancer (`/api/*`). Every change goes through `If-Match` with the current
//! ETag; destroy disables the distribution, waits until that is deployed, then deletes it.

use aws_sdk_cloudfront::types::{
    AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, DistributionConfigWithTags, HttpVersion, Method, Origin, OriginProtocolPolicy, Origins,
    PriceClass, S3OriginConfig, Tag, Tags, ViewerProtocolPolicy,
};

use super::{error::from_sdk, flag, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value, ALL_VIEWER_EXCEPT_HOST_HEADER, CACHING_DISABLED};
use crate::plan::{LiveResource, LiveState};

const S3_ORIGIN: &str = "frontend-bucket";
const API_ORIGIN: &str = "load-balancer";

fn attributes(id: &str, arn: &str, domain: &str) -> Attributes {
    Attributes::from([
        ("id".to_string(), id.to_string()),
        ("arn".to_string(), arn.to_string()),
        ("domain_name".to_string(), domain.to_string()),
    ])
}

fn build_error(resource: &str, error: impl std::fmt::Display) -> AwsError {
    AwsError::refused(
        resource,
        format!("cannot build the distribution's configuration: {error}; this is a bug in wl-infra"),
    )
}

/// The distribution's configuration from the desired properties. `caller_reference` is kept from
/// the live configuration on updates (AWS refuses to change it).
pub fn config_of(props: &Props, caller_reference: &str) -> Result<DistributionConfig, String> {
    let read_only = [Method::Get, Method::Head];
    let cached =
        CachedMethods::builder().quantity(2).set_items(Some(read_only.to_vec())).build().map_err(|e| e.to_string())?;
    let mut origins = vec![Origin::builder()
        .id(S3_ORIGIN)
        .domain_name(text(props, "s3_origin_domain"))
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .origin_access_control_id(text(props, "s3_origin_access_control"))
        .build()
        .map_err(|e| e.to_string())?];
    let mut behaviors = Vec::new();
    if let Some(domain) = props.get("api_origin_domain").and_then(Value::as_str) {
        origins.push(
            Origin::builder()
                .id(API_ORIGIN)
                .domain_name(domain)
                .custom_origin_config(
                    CustomOriginConfig::builder()
                        .http_port(80)
                        .https_port(443)
                        .origin_protocol_policy(OriginProtocolPolicy::HttpOnly)
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .build()
                .map_err(|e| e.to_string())?,
        );
        let every_method =
            [Method::Get, Method::Head, Method::Options, Method::Put, Method::Patch, Method::Post, Method::Delete];
        behaviors.push(
            CacheBehavior::builder()
                .path_pattern(text(props, "api_path"))
                .target_origin_id(API_ORIGIN)
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .allowed_methods(
                    AllowedMethods::builder()
                        .quantity(every_method.len() as i32)
                        .set_items(Some(every_method.to_vec()))
                        .cached_methods(cached.clone())
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .compress(true)
                // Nothing under /api is cached; every header but Host (Authorization included),
                // every cookie and query string goes to the load balancer.
                .cache_policy_id(CACHING_DISABLED)
                .origin_request_policy_id(ALL_VIEWER_EXCEPT_HOST_HEADER)
                .response_headers_policy_id(text(props, "response_headers_policy"))
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    let default_behavior = DefaultCacheBehavior::builder()
        .target_origin_id(S3_ORIGIN)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(
            AllowedMethods::builder()
                .quantity(2)
                .set_items(Some(read_only.to_vec()))
                .cached_methods(cached)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .compress(true)
        .cache_policy_id(text(props, "cache_policy"))
        .response_headers_policy_id(text(props, "response_headers_policy"))
        .build()
        .map_err(|e| e.to_string())?;
    let mut config = DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment(text(props, "comment"))
        .enabled(flag(props, "enabled"))
        .price_class(PriceClass::from(text(props, "price_class")))
        .default_root_object(text(props, "default_root_object"))
        .http_version(HttpVersion::from(text(props, "http_version")))
        .is_ipv6_enabled(flag(props, "ipv6"))
        .origins(
            Origins::builder()
                .quantity(origins.len() as i32)
                .set_items(Some(origins))
                .build()
                .map_err(|e| e.to_string())?,
        )
        .default_cache_behavior(default_behavior);
    if !behaviors.is_empty() {
        config = config.cache_behaviors(
            CacheBehaviors::builder()
                .quantity(behaviors.len() as i32)
                .set_items(Some(behaviors))
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    config.build().map_err(|e| e.to_string())
}

/// The properties of a live configuration, in the shape `graph` gives the desired one: only the
/// fields wl-infra sets, so what CloudFront fills in never shows as a change.
pub fn props_of(config: &DistributionConfig, tags: Value) -> Props {
    let mut props = Props::new();
    props.insert("comment".into(), Value::string(config.comment()));
    props.insert("enabled".into(), Value::Bool(config.enabled()));
    props.insert("price_class".into(), Value::string(config.price_class().map_or("PriceClass_All", |p| p.as_str())));
    props.insert("default_root_object".into(), Value::string(config.default_root_object().unwrap_or_default()));
    props.insert("http_version".into(), Value::string(config.http_version().map_or("http2", |h| h.as_str())));
    props.insert("ipv6".into(), Value::Bool(config.is_ipv6_enabled().unwrap_or(false)));
    let origins = config.origins().map(|o| o.items()).unwrap_or_default();
    if let Some(origin) = origins.iter().find(|o| o.id() == S3_ORIGIN) {
        props.insert("s3_origin_domain".into(), Value::string(origin.domain_name()));
        // Read, never compared: the bucket by name, so that a bucket being replaced is deleted
        // only after the distribution has moved to its successor.
        props.insert("s3_origin_bucket".into(), Value::string(bucket_of(origin.domain_name())));
        props.insert(
            "s3_origin_access_control".into(),
            Value::string(origin.origin_access_control_id().unwrap_or_default()),
        );
    }
    if let Some(default) = config.default_cache_behavior() {
        props.insert("cache_policy".into(), Value::string(default.cache_policy_id().unwrap_or_default()));
        props.insert(
            "response_headers_policy".into(),
            Value::string(default.response_headers_policy_id().unwrap_or_default()),
        );
    }
    if let Some(origin) = origins.iter().find(|o| o.id() == API_ORIGIN) {
        props.insert("api_origin_domain".into(), Value::string(origin.domain_name()));
        let path = config
            .cache_behaviors()
            .map(|b| b.items())
            .unwrap_or_default()
            .iter()
            .find(|b| b.target_origin_id() == API_ORIGIN);
        props.insert("api_path".into(), Value::string(path.map_or("", |b| b.path_pattern())));
    }
    props.insert("tags".into(), tags);
    props
}

/// Whether a distribution of the stack (by its `wl:stack` tag) is this region's: CloudFront is
/// global, so one stack name may have a distribution per region. Its `wl:region` tag says; one
/// made before distributions carried it is the region's whose bucket it reads.
pub fn in_region(region: &str, tags: &[(&str, &str)], origins: &[&str]) -> bool {
    match tags.iter().find(|(key, _)| *key == crate::graph::REGION_TAG) {
        Some((_, tagged)) => *tagged == region,
        None => origins.iter().any(|domain| domain.contains(&format!(".s3.{region}.amazonaws.com"))),
    }
}

/// The bucket of an S3 origin domain (`<bucket>.s3.<region>.amazonaws.com`).
pub fn bucket_of(domain: &str) -> &str {
    domain.split_once(".s3.").map_or(domain, |(bucket, _)| bucket)
}

/// Where a distribution stands for the plan: a change an interrupted apply made is still going
/// out to the edge.
pub fn live_state(status: &str) -> LiveState {
    if status == "Deployed" {
        LiveState::Ready
    } else {
        LiveState::Pending(status.to_string())
    }
}

fn cloudfront_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok()).collect()
}

/// Lists the distributions, reads each one's tags, and reads the full configuration of the
/// stack's own (all at once).
pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let mut summaries = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let output = clients
            .cloudfront
            .list_distributions()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| from_sdk("ListDistributions", "the stack's distributions", e))?;
        let Some(list) = output.distribution_list() else { break };
        // The stack's distribution says whose it is in its comment and reads from the stack's
        // bucket: only those candidates' tags are read (an account may have hundreds).
        let comment = crate::graph::distribution_comment(&clients.stack, &clients.region);
        let legacy_comment = format!("frontend of stack {}", clients.stack);
        let bucket_prefix = format!("{}-frontend-", clients.stack);
        summaries.extend(
            list.items()
                .iter()
                .filter(|s| {
                    s.comment() == comment
                        || s.comment() == legacy_comment
                        || s.origins().is_some_and(|origins| {
                            origins.items().iter().any(|origin| origin.domain_name().starts_with(&bucket_prefix))
                        })
                })
                .map(|s| {
                    (s.id().to_string(), s.arn().to_string(), s.domain_name().to_string(), s.status().to_string())
                }),
        );
        marker = list.next_marker().filter(|_| list.is_truncated()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    let reads = summaries.iter().map(|(id, arn, domain, status)| async move {
        let tags = clients.cloudfront.list_tags_for_resource().resource(arn).send().await;
        let tags = match tags.map_err(|e| from_sdk("ListTagsForResource", arn, e)) {
            Ok(output) => output.tags().map(|t| t.items().to_vec()).unwrap_or_default(),
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        let pairs: Vec<(&str, &str)> = tags.iter().map(|t| (t.key(), t.value().unwrap_or_default())).collect();
        let Some(logical_id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let output = clients.cloudfront.get_distribution_config().id(id).send().await;
        let config = match output.map_err(|e| from_sdk("GetDistributionConfig", id, e)) {
            Ok(output) => output.distribution_config().cloned(),
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        let Some(config) = config else { return Ok(None) };
        let origins: Vec<&str> =
            config.origins().map(|o| o.items()).unwrap_or_default().iter().map(|o| o.domain_name()).collect();
        if !in_region(&clients.region, &pairs, &origins) {
            return Ok(None);
        }
        Ok::<_, AwsError>(Some(LiveResource {
            state: live_state(status),
            id: logical_id,
            kind: Kind::Distribution,
            physical_id: id.clone(),
            props: props_of(&config, super::tags_value(pairs)),
            attributes: attributes(id, arn, domain),
        }))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

/// The stack's distributions, then its origin access control (which has no tags: it is found by
/// its name, or by the name of before when one of the distributions reads through it).
pub async fn discover_edge(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let mut live = discover(clients).await?;
    let used_by: Vec<String> = live
        .iter()
        .filter_map(|distribution| distribution.props.get("s3_origin_access_control").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    live.extend(super::origin_access_control::discover(clients, &used_by).await?);
    Ok(live)
}

/// Waits until the distribution's last change is deployed to the edge (its own step: what needs
/// only the distribution's id or ARN does not wait for it), and returns its attributes.
pub async fn wait_ready(context: &StepContext<'_>, id: &str) -> Result<Attributes, AwsError> {
    wait_deployed(context, id).await?;
    let output = context
        .clients
        .cloudfront
        .get_distribution()
        .id(id)
        .send()
        .await
        .map_err(|e| from_sdk("GetDistribution", &context.resource(Kind::Distribution), e))?;
    let distribution = output.distribution();
    Ok(attributes(
        id,
        distribution.map(|d| d.arn()).unwrap_or_default(),
        distribution.map(|d| d.domain_name()).unwrap_or_default(),
    ))
}

/// Waits until the distribution's last change is deployed to the edge.
async fn wait_deployed(context: &StepContext<'_>, id: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::Distribution);
    super::wait_until(context, Kind::Distribution, "Deployed", || async {
        let output = context
            .clients
            .cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(|e| from_sdk("GetDistribution", &resource, e))?;
        Ok(output.distribution().is_some_and(|d| d.status() == "Deployed"))
    })
    .await
}

/// Creates the distribution with its tags. The caller reference makes a repeated create answer
/// with the distribution the first one made. The wait for `Deployed` is a step of its own.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::Distribution);
    let reference = super::client_token(super::TokenApi::CloudFront, &context.clients.run_id, context.id, props);
    let config = config_of(props, &reference).map_err(|e| build_error(&resource, e))?;
    let with_tags = DistributionConfigWithTags::builder()
        .distribution_config(config)
        .tags(Tags::builder().set_items(Some(cloudfront_tags(props))).build())
        .build();
    let output = context
        .clients
        .cloudfront
        .create_distribution_with_tags()
        .distribution_config_with_tags(with_tags)
        .send()
        .await
        .map_err(|e| from_sdk("CreateDistributionWithTags", &resource, e))?;
    let distribution = output.distribution().ok_or_else(|| build_error(&resource, "no distribution in the answer"))?;
    Ok(attributes(distribution.id(), distribution.arn(), distribution.domain_name()))
}

/// Reads the current configuration and its ETag.
async fn current(context: &StepContext<'_>, id: &str) -> Result<(DistributionConfig, String), AwsError> {
    let resource = context.resource(Kind::Distribution);
    let output = context
        .clients
        .cloudfront
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|e| from_sdk("GetDistributionConfig", &resource, e))?;
    let config = output.distribution_config().cloned().ok_or_else(|| build_error(&resource, "no configuration"))?;
    Ok((config, output.e_tag().unwrap_or_default().to_string()))
}

/// Puts a configuration with `If-Match`; a stale ETag (someone changed it in between) is
/// PreconditionFailed, which the executor retries with a fresh read.
async fn put(
    context: &StepContext<'_>,
    id: &str,
    config: DistributionConfig,
    etag: &str,
) -> Result<(String, String), AwsError> {
    let output = context
        .clients
        .cloudfront
        .update_distribution()
        .id(id)
        .if_match(etag)
        .distribution_config(config)
        .send()
        .await
        .map_err(|e| from_sdk("UpdateDistribution", &context.resource(Kind::Distribution), e))?;
    let distribution = output.distribution();
    Ok((
        distribution.map(|d| d.arn().to_string()).unwrap_or_default(),
        distribution.map(|d| d.domain_name().to_string()).unwrap_or_default(),
    ))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::Distribution);
    let id = update.physical_id;
    let (live, etag) = current(context, id).await?;
    let (arn, domain) = if update.changes.iter().any(|change| change.field != "tags") {
        let config = config_of(update.props, live.caller_reference()).map_err(|e| build_error(&resource, e))?;
        put(context, id, config, &etag).await?
    } else {
        let output = context.clients.cloudfront.get_distribution().id(id).send().await;
        let output = output.map_err(|e| from_sdk("GetDistribution", &resource, e))?;
        let distribution = output.distribution();
        (
            distribution.map(|d| d.arn().to_string()).unwrap_or_default(),
            distribution.map(|d| d.domain_name().to_string()).unwrap_or_default(),
        )
    };
    if update.changed("tags") {
        let cloudfront = &context.clients.cloudfront;
        let stale = super::stale_tag_keys(update);
        if !stale.is_empty() {
            cloudfront
                .untag_resource()
                .resource(&arn)
                .tag_keys(aws_sdk_cloudfront::types::TagKeys::builder().set_items(Some(stale)).build())
                .send()
                .await
                .map_err(|e| from_sdk("UntagResource", &resource, e))?;
        }
        cloudfront
            .tag_resource()
            .resource(&arn)
            .tags(Tags::builder().set_items(Some(cloudfront_tags(update.props))).build())
            .send()
            .await
            .map_err(|e| from_sdk("TagResource", &resource, e))?;
    }
    Ok(attributes(id, &arn, &domain))
}

/// What a delete must do next, from the distribution's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteStep {
    /// Enabled: CloudFront refuses to delete it (DistributionNotDisabled); disable it first.
    Disable,
    /// Disabled but the change is still `InProgress` at the edge: wait.
    WaitUntilDeployed,
    Delete,
}

pub fn next_delete_step(enabled: bool, status: &str) -> DeleteStep {
    match (enabled, status) {
        (true, _) => DeleteStep::Disable,
        (false, "Deployed") => DeleteStep::Delete,
        (false, _) => DeleteStep::WaitUntilDeployed,
    }
}

pub async fn delete(context: &StepContext<'_>, id: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource(Kind::Distribution);
    let cloudfront = &context.clients.cloudfront;
    loop {
        let output =
            cloudfront.get_distribution().id(id).send().await.map_err(|e| from_sdk("GetDistribution", &resource, e))?;
        let Some(distribution) = output.distribution() else { return Ok(()) };
        let enabled = distribution.distribution_config().is_some_and(|c| c.enabled());
        let etag = output.e_tag().unwrap_or_default().to_string();
        match next_delete_step(enabled, distribution.status()) {
            DeleteStep::Disable => {
                let (config, etag) = current(context, id).await?;
                let mut disabled = config.clone();
                disabled.enabled = false;
                put(context, id, disabled, &etag).await?;
            }
            DeleteStep::WaitUntilDeployed => wait_deployed(context, id).await?,
            DeleteStep::Delete => {
                cloudfront
                    .delete_distribution()
                    .id(id)
                    .if_match(etag)
                    .send()
                    .await
                    .map_err(|e| from_sdk("DeleteDistribution", &resource, e))?;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Props {
        let mut props = Props::new();
        for (key, value) in [
            ("comment", "frontend of stack s in us-east-1"),
            ("price_class", "PriceClass_100"),
            ("default_root_object", "index.html"),
            ("http_version", "http2and3"),
            ("s3_origin_domain", "s-frontend-1.s3.us-east-1.amazonaws.com"),
            ("s3_origin_access_control", "E2OAC"),
            ("cache_policy", crate::graph::CACHING_OPTIMIZED),
            ("response_headers_policy", crate::graph::SECURITY_HEADERS),
            ("api_origin_domain", "s-alb-1.us-east-1.elb.amazonaws.com"),
            ("api_path", "/api/*"),
        ] {
            props.insert(key.into(), Value::string(value));
        }
        props.insert("enabled".into(), Value::Bool(true));
        props.insert("ipv6".into(), Value::Bool(true));
        props.insert("tags".into(), Value::Map(Default::default()));
        props
    }

    #[test]
    fn the_configuration_reads_back_as_the_properties_it_was_built_from() {
        let config = config_of(&desired(), "ref-1").expect("a configuration");
        let mut read_back = props_of(&config, Value::Map(Default::default()));
        assert_eq!(read_back.remove("s3_origin_bucket"), Some(Value::string("s-frontend-1")), "read, never compared");
        assert_eq!(read_back, desired());
        let api = &config.cache_behaviors().expect("behaviours").items()[0];
        assert_eq!(api.path_pattern(), "/api/*");
        assert_eq!(api.cache_policy_id(), Some(CACHING_DISABLED));
        assert_eq!(api.allowed_methods().expect("methods").items().len(), 7);
        let s3 = &config.origins().expect("origins").items()[0];
        assert_eq!(s3.origin_access_control_id(), Some("E2OAC"));
        assert_eq!(s3.s3_origin_config().map(|c| c.origin_access_identity()), Some(""), "no legacy identity");
    }

    #[test]
    fn a_frontend_without_services_has_no_api_behaviour() {
        let mut props = desired();
        props.remove("api_origin_domain");
        props.remove("api_path");
        let config = config_of(&props, "ref-1").expect("a configuration");
        assert!(config.cache_behaviors().is_none());
        assert_eq!(config.origins().expect("origins").items().len(), 1);
    }

    #[test]
    fn a_distribution_belongs_to_the_region_its_tag_or_its_bucket_names() {
        let origins = ["s-frontend-1.s3.us-west-2.amazonaws.com", "s-alb-1.us-west-2.elb.amazonaws.com"];
        assert!(in_region("us-east-1", &[("wl:stack", "s"), ("wl:region", "us-east-1")], &origins));
        assert!(!in_region("us-east-1", &[("wl:stack", "s"), ("wl:region", "us-west-2")], &origins));
        // Made before the region tag: its bucket says.
        assert!(in_region("us-west-2", &[("wl:stack", "s")], &origins));
        assert!(!in_region("us-east-1", &[("wl:stack", "s")], &origins));
    }

    #[test]
    fn the_origin_names_its_bucket_and_a_change_going_out_is_pending() {
        assert_eq!(bucket_of("s-frontend-1-us-east-1.s3.us-east-1.amazonaws.com"), "s-frontend-1-us-east-1");
        assert_eq!(live_state("InProgress"), LiveState::Pending("InProgress".into()));
        assert_eq!(live_state("Deployed"), LiveState::Ready);
    }

    #[test]
    fn delete_disables_first_and_waits_for_the_edge() {
        assert_eq!(next_delete_step(true, "Deployed"), DeleteStep::Disable);
        assert_eq!(next_delete_step(true, "InProgress"), DeleteStep::Disable);
        assert_eq!(next_delete_step(false, "InProgress"), DeleteStep::WaitUntilDeployed);
        assert_eq!(next_delete_step(false, "Deployed"), DeleteStep::Delete);
    }
}
