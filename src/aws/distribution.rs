//! Driver for the CloudFront distribution in front of the frontend bucket (through origin access
//! control) and the load balancer (`/api/*`). Every change goes through `If-Match` with the current
//! ETag; destroy disables the distribution, waits until that is deployed, then deletes it.

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomErrorResponses, CustomHeaders,
    CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, DistributionConfigWithTags, GeoRestriction,
    GeoRestrictionType, HttpVersion, LambdaFunctionAssociations, LoggingConfig, Method, Origin, OriginCustomHeader,
    OriginProtocolPolicy, Origins, PriceClass, Restrictions, S3OriginConfig, ViewerCertificate, ViewerProtocolPolicy,
};

use super::driver::driver;
use super::origin_verify::OriginSecret;
use super::props::{tags_of, Tags};
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::edge::DistributionProps;
use crate::graph::{AccountFacts, Kind, Props, ALL_VIEWER_EXCEPT_HOST_HEADER, CACHING_DISABLED};
use crate::plan::{LiveResource, LiveState};

driver!(DistributionDriver, DistributionProps, wait_ready = wait_ready);

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
pub fn config_of(
    props: &DistributionProps,
    caller_reference: &str,
    origin_verify: Option<&str>,
) -> Result<DistributionConfig, String> {
    let read_only = [Method::Get, Method::Head];
    let cached =
        CachedMethods::builder().quantity(2).set_items(Some(read_only.to_vec())).build().map_err(|e| e.to_string())?;
    let mut origins = vec![Origin::builder()
        .id(S3_ORIGIN)
        .domain_name(&props.s3_origin_domain)
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .origin_access_control_id(&props.s3_origin_access_control)
        .build()
        .map_err(|e| e.to_string())?];
    let mut behaviors = Vec::new();
    if let Some(domain) = &props.api_origin_domain {
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
                .set_custom_headers(match origin_verify {
                    Some(value) => Some(
                        CustomHeaders::builder()
                            .quantity(1)
                            .items(
                                OriginCustomHeader::builder()
                                    .header_name(super::origin_verify::HEADER)
                                    .header_value(value)
                                    .build()
                                    .map_err(|e| e.to_string())?,
                            )
                            .build()
                            .map_err(|e| e.to_string())?,
                    ),
                    None => None,
                })
                .build()
                .map_err(|e| e.to_string())?,
        );
        let every_method =
            [Method::Get, Method::Head, Method::Options, Method::Put, Method::Patch, Method::Post, Method::Delete];
        behaviors.push(
            CacheBehavior::builder()
                .path_pattern(props.api_path.as_deref().unwrap_or_default())
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
                .smooth_streaming(false)
                .lambda_function_associations(no_lambda_functions()?)
                .field_level_encryption_id("")
                // Nothing under /api is cached; every header but Host (Authorization included),
                // every cookie and query string goes to the load balancer.
                .cache_policy_id(CACHING_DISABLED)
                .origin_request_policy_id(ALL_VIEWER_EXCEPT_HOST_HEADER)
                .response_headers_policy_id(&props.response_headers_policy)
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
        .smooth_streaming(false)
        .lambda_function_associations(no_lambda_functions()?)
        .field_level_encryption_id("")
        .cache_policy_id(&props.cache_policy)
        .response_headers_policy_id(&props.response_headers_policy)
        .build()
        .map_err(|e| e.to_string())?;
    let mut config = DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment(&props.comment)
        .enabled(props.enabled)
        .price_class(PriceClass::from(props.price_class.as_str()))
        .default_root_object(&props.default_root_object)
        .http_version(HttpVersion::from(props.http_version.as_str()))
        .is_ipv6_enabled(props.ipv6)
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

/// An empty list of Lambda@Edge associations: required in every cache behaviour of an update.
fn no_lambda_functions() -> Result<LambdaFunctionAssociations, String> {
    LambdaFunctionAssociations::builder().quantity(0).build().map_err(|e| e.to_string())
}

/// The configuration an UpdateDistribution sends: the live configuration as read (with what
/// wl-infra does not manage: aliases, certificate, logging, restrictions, web ACL, error
/// responses, origin groups, ...), with the fields wl-infra manages overwritten. CloudFront
/// replaces the whole configuration with what an update carries ("The values that you specify in
/// an UpdateDistribution request are not merged into your existing configuration",
/// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html) and
/// refuses one without Aliases, CacheBehaviors, CustomErrorResponses, Logging, PriceClass,
/// ViewerCertificate, Restrictions, WebACLId or HttpVersion
/// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-overview-required-fields.html);
/// a field the answer left out is filled with CloudFront's default.
pub fn updated_config(
    props: &DistributionProps,
    current: &DistributionConfig,
    origin_verify: Option<&str>,
) -> Result<DistributionConfig, String> {
    let managed = config_of(props, current.caller_reference(), origin_verify)?;
    let mut config = current.clone();
    config.comment = managed.comment;
    config.enabled = managed.enabled;
    config.price_class = managed.price_class;
    config.default_root_object = managed.default_root_object;
    config.http_version = managed.http_version;
    config.is_ipv6_enabled = managed.is_ipv6_enabled;
    config.origins = managed.origins;
    config.default_cache_behavior = managed.default_cache_behavior;
    config.cache_behaviors = Some(match managed.cache_behaviors {
        Some(behaviors) => behaviors,
        None => CacheBehaviors::builder().quantity(0).build().map_err(|e| e.to_string())?,
    });
    with_update_defaults(config)
}

/// Fills the fields an update requires that a configuration lacks, with CloudFront's defaults.
fn with_update_defaults(mut config: DistributionConfig) -> Result<DistributionConfig, String> {
    if config.aliases.is_none() {
        config.aliases = Some(Aliases::builder().quantity(0).build().map_err(|e| e.to_string())?);
    }
    if config.cache_behaviors.is_none() {
        config.cache_behaviors = Some(CacheBehaviors::builder().quantity(0).build().map_err(|e| e.to_string())?);
    }
    if config.custom_error_responses.is_none() {
        config.custom_error_responses =
            Some(CustomErrorResponses::builder().quantity(0).build().map_err(|e| e.to_string())?);
    }
    if config.logging.is_none() {
        config.logging =
            Some(LoggingConfig::builder().enabled(false).include_cookies(false).bucket("").prefix("").build());
    }
    if config.price_class.is_none() {
        config.price_class = Some(PriceClass::PriceClassAll);
    }
    if config.viewer_certificate.is_none() {
        config.viewer_certificate = Some(ViewerCertificate::builder().cloud_front_default_certificate(true).build());
    }
    if config.restrictions.is_none() {
        config.restrictions = Some(
            Restrictions::builder()
                .geo_restriction(
                    GeoRestriction::builder()
                        .restriction_type(GeoRestrictionType::None)
                        .quantity(0)
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .build(),
        );
    }
    if config.web_acl_id.is_none() {
        config.web_acl_id = Some(String::new());
    }
    if config.http_version.is_none() {
        config.http_version = Some(HttpVersion::Http2);
    }
    if config.default_root_object.is_none() {
        config.default_root_object = Some(String::new());
    }
    Ok(config)
}

/// The properties of a live configuration, in the shape `graph` gives the desired one: only the
/// fields wl-infra sets, so what CloudFront fills in never shows as a change. A configuration
/// without the S3 origin or the default behaviour (AWS always answers with one) reads as empty
/// values there, which differ from every desired one.
/// The values of the API origin's `X-Origin-Verify` header.
fn origin_verify_values(config: &DistributionConfig) -> Vec<String> {
    let origins = config.origins().map(|o| o.items()).unwrap_or_default();
    let api = origins.iter().find(|o| o.id() == API_ORIGIN);
    api.and_then(|origin| origin.custom_headers())
        .map(|headers| headers.items())
        .unwrap_or_default()
        .iter()
        .filter(|header| header.header_name().eq_ignore_ascii_case(super::origin_verify::HEADER))
        .map(|header| header.header_value().to_string())
        .collect()
}

fn sends_origin_verify(config: &DistributionConfig) -> bool {
    !origin_verify_values(config).is_empty()
}

pub fn props_of(config: &DistributionConfig, tags: Tags, origin_secret: Option<&OriginSecret>) -> DistributionProps {
    let origins = config.origins().map(|o| o.items()).unwrap_or_default();
    let s3 = origins.iter().find(|o| o.id() == S3_ORIGIN);
    let default = config.default_cache_behavior();
    let api = origins.iter().find(|o| o.id() == API_ORIGIN);
    let api_path = api.map(|_| {
        let path = config
            .cache_behaviors()
            .map(|b| b.items())
            .unwrap_or_default()
            .iter()
            .find(|b| b.target_origin_id() == API_ORIGIN);
        path.map_or("", |b| b.path_pattern()).to_string()
    });
    DistributionProps {
        comment: config.comment().to_string(),
        enabled: config.enabled(),
        price_class: config.price_class().map_or("PriceClass_All", |p| p.as_str()).to_string(),
        default_root_object: config.default_root_object().unwrap_or_default().to_string(),
        http_version: config.http_version().map_or("http2", |h| h.as_str()).to_string(),
        ipv6: config.is_ipv6_enabled().unwrap_or(false),
        s3_origin_domain: s3.map_or("", |origin| origin.domain_name()).to_string(),
        s3_origin_bucket: s3.map(|origin| bucket_of(origin.domain_name()).to_string()),
        s3_origin_access_control: s3
            .and_then(|origin| origin.origin_access_control_id())
            .unwrap_or_default()
            .to_string(),
        cache_policy: default.and_then(|d| d.cache_policy_id()).unwrap_or_default().to_string(),
        response_headers_policy: default.and_then(|d| d.response_headers_policy_id()).unwrap_or_default().to_string(),
        api_origin_domain: api.map(|origin| origin.domain_name().to_string()),
        api_path,
        api_origin_verify_secret: super::origin_verify::live_reference(
            origin_secret,
            |secret| vec![secret.current.clone()],
            &origin_verify_values(config),
        ),
        tags,
    }
}

/// The origin secret's current value, for the header a create or update sends.
async fn origin_verify_value(context: &StepContext<'_>, props: &DistributionProps) -> Result<Option<String>, AwsError> {
    let Some(secret) = &props.api_origin_verify_secret else { return Ok(None) };
    Ok(Some(super::origin_verify::read_required(context, secret).await?.current))
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

/// Whether the region's partition has CloudFront: the commercial one only (there is no CloudFront
/// endpoint in `aws-us-gov`, and validation refuses `[frontend]` outside `aws`), so a stack
/// elsewhere has no distribution to find and its discovery makes no CloudFront call. In `aws`
/// discovery runs with or without `[frontend]`: a removed `[frontend]` leaves a distribution to
/// delete.
pub fn has_cloudfront(region: &str) -> bool {
    crate::stack::facts::partition(region) == "aws"
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

/// Lists the distributions, reads each one's tags, and reads the full configuration of the
/// stack's own (all at once).
async fn discover_distributions(clients: &Clients) -> Result<Vec<LiveResource>, AwsError> {
    let mut summaries = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let output = clients
            .cloudfront
            .list_distributions()
            .set_marker(marker.clone())
            .send()
            .await
            .aws("ListDistributions", "the stack's distributions")?;
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
        let Some(tags) = tags.aws_or_gone("ListTagsForResource", arn)? else { return Ok(None) };
        let tags = tags.tags().map(|t| t.items().to_vec()).unwrap_or_default();
        let pairs: Vec<(&str, &str)> = tags.iter().map(|t| (t.key(), t.value().unwrap_or_default())).collect();
        let Some(logical_id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let output = clients.cloudfront.get_distribution_config().id(id).send().await;
        let Some(output) = output.aws_or_gone("GetDistributionConfig", id)? else { return Ok(None) };
        let Some(config) = output.distribution_config().cloned() else { return Ok(None) };
        let origins: Vec<&str> =
            config.origins().map(|o| o.items()).unwrap_or_default().iter().map(|o| o.domain_name()).collect();
        if !in_region(&clients.region, &pairs, &origins) {
            return Ok(None);
        }
        // The origin secret is read only for a distribution that sends the header.
        let origin_secret =
            if sends_origin_verify(&config) { super::origin_verify::read_stack(clients).await? } else { None };
        let props = props_of(&config, tags_of(pairs), origin_secret.as_ref());
        Ok::<_, AwsError>(Some(LiveResource {
            state: live_state(status),
            ..live_resource(Kind::Distribution, logical_id, id, &props, attributes(id, arn, domain))
        }))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

/// The stack's distributions, then its origin access control (which has no tags: it is found by
/// its name, or by the name of before when one of the distributions reads through it).
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    if !has_cloudfront(&clients.region) {
        return Ok(Vec::new());
    }
    let mut live = discover_distributions(clients).await?;
    let used_by: Vec<String> = live
        .iter()
        .filter_map(|distribution| {
            distribution.props.get(DistributionProps::NAMES.s3_origin_access_control).and_then(|v| v.as_str())
        })
        .map(str::to_string)
        .collect();
    live.extend(super::origin_access_control::discover_on(clients, &used_by).await?);
    Ok(live)
}

/// Waits until the distribution's last change is deployed to the edge (its own step: what needs
/// only the distribution's id or ARN does not wait for it), and returns its attributes.
pub async fn wait_ready(context: &StepContext<'_>, id: &str, _known: &Attributes) -> Result<Attributes, AwsError> {
    wait_deployed(context, id).await?;
    let output = context
        .clients
        .cloudfront
        .get_distribution()
        .id(id)
        .send()
        .await
        .aws("GetDistribution", &context.resource())?;
    let distribution = output.distribution();
    Ok(attributes(
        id,
        distribution.map(|d| d.arn()).unwrap_or_default(),
        distribution.map(|d| d.domain_name()).unwrap_or_default(),
    ))
}

/// Waits until the distribution's last change is deployed to the edge.
async fn wait_deployed(context: &StepContext<'_>, id: &str) -> Result<(), AwsError> {
    let resource = context.resource();
    super::wait_until(context, "Deployed", || async {
        let output =
            context.clients.cloudfront.get_distribution().id(id).send().await.aws("GetDistribution", &resource)?;
        Ok(output.distribution().is_some_and(|d| d.status() == "Deployed"))
    })
    .await
}

/// Creates the distribution with its tags. The caller reference makes a repeated create answer
/// with the distribution the first one made. The wait for `Deployed` is a step of its own.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let desired: DistributionProps = context.decode(props)?;
    let resource = context.resource();
    let reference = super::client_token(super::TokenApi::CloudFront, &context.clients.run_id, context.id, props);
    let origin_verify = origin_verify_value(context, &desired).await?;
    let config = config_of(&desired, &reference, origin_verify.as_deref()).map_err(|e| build_error(&resource, e))?;
    let with_tags = DistributionConfigWithTags::builder()
        .distribution_config(config)
        .tags(aws_sdk_cloudfront::types::Tags::builder().set_items(Some(tags::cloudfront_list(&desired.tags))).build())
        .build();
    let output = context
        .clients
        .cloudfront
        .create_distribution_with_tags()
        .distribution_config_with_tags(with_tags)
        .send()
        .await
        .aws("CreateDistributionWithTags", &resource)?;
    let distribution = output.distribution().ok_or_else(|| build_error(&resource, "no distribution in the answer"))?;
    Ok(attributes(distribution.id(), distribution.arn(), distribution.domain_name()))
}

/// Reads the current configuration and its ETag.
async fn current(context: &StepContext<'_>, id: &str) -> Result<(DistributionConfig, String), AwsError> {
    let resource = context.resource();
    let output = context
        .clients
        .cloudfront
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .aws("GetDistributionConfig", &resource)?;
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
        .aws("UpdateDistribution", &context.resource())?;
    let distribution = output.distribution();
    Ok((
        distribution.map(|d| d.arn().to_string()).unwrap_or_default(),
        distribution.map(|d| d.domain_name().to_string()).unwrap_or_default(),
    ))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (DistributionProps, DistributionProps) = update.decode(context)?;
    let resource = context.resource();
    let id = update.physical_id;
    let (current_config, etag) = current(context, id).await?;
    let (arn, domain) = if update.changed_beyond_tags() {
        let origin_verify = origin_verify_value(context, &desired).await?;
        let config = updated_config(&desired, &current_config, origin_verify.as_deref())
            .map_err(|e| build_error(&resource, e))?;
        put(context, id, config, &etag).await?
    } else {
        let output = context.clients.cloudfront.get_distribution().id(id).send().await;
        let output = output.aws("GetDistribution", &resource)?;
        let distribution = output.distribution();
        (
            distribution.map(|d| d.arn().to_string()).unwrap_or_default(),
            distribution.map(|d| d.domain_name().to_string()).unwrap_or_default(),
        )
    };
    tags::replace(context, tags::Style::Cloudfront, &arn, &desired.tags, &live.tags).await?;
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
    let resource = context.resource();
    let cloudfront = &context.clients.cloudfront;
    loop {
        let output = cloudfront.get_distribution().id(id).send().await.aws("GetDistribution", &resource)?;
        let Some(distribution) = output.distribution() else { return Ok(()) };
        let enabled = distribution.distribution_config().is_some_and(|c| c.enabled());
        let etag = output.e_tag().unwrap_or_default().to_string();
        match next_delete_step(enabled, distribution.status()) {
            DeleteStep::Disable => {
                let (config, etag) = current(context, id).await?;
                let mut disabled = with_update_defaults(config).map_err(|e| build_error(&resource, e))?;
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
                    .aws("DeleteDistribution", &resource)?;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Value;

    /// The graph's shape of the properties.
    fn desired_props() -> Props {
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

    fn desired() -> DistributionProps {
        crate::aws::props::decode("distribution", &desired_props()).expect("the graph's shape decodes")
    }

    #[test]
    fn the_configuration_reads_back_as_the_properties_it_was_built_from() {
        let config = config_of(&desired(), "ref-1", None).expect("a configuration");
        let mut read_back = props_of(&config, Tags::new(), None);
        assert_eq!(read_back.s3_origin_bucket.take(), Some("s-frontend-1".to_string()), "read, never compared");
        assert_eq!(read_back, desired());
        assert_eq!(crate::aws::props::encode(&read_back), desired_props(), "the live side has the graph's keys");
        let api = &config.cache_behaviors().expect("behaviours").items()[0];
        assert_eq!(api.path_pattern(), "/api/*");
        assert_eq!(api.cache_policy_id(), Some(CACHING_DISABLED));
        assert_eq!(api.allowed_methods().expect("methods").items().len(), 7);
        let s3 = &config.origins().expect("origins").items()[0];
        assert_eq!(s3.origin_access_control_id(), Some("E2OAC"));
        assert_eq!(s3.s3_origin_config().map(|c| c.origin_access_identity()), Some(""), "no legacy identity");
    }

    /// A live configuration as GetDistributionConfig answers it, with what someone set outside
    /// wl-infra (an alias, a certificate, logging, a geo restriction, a web ACL, an error page).
    fn live_config() -> DistributionConfig {
        let mut config = config_of(&desired(), "ref-live", None).expect("a configuration");
        config.price_class = Some(PriceClass::PriceClass200);
        config.aliases = Some(Aliases::builder().quantity(1).items("www.example.com").build().expect("aliases"));
        config.viewer_certificate = Some(
            ViewerCertificate::builder()
                .acm_certificate_arn("arn:aws:acm:us-east-1:123:certificate/abc")
                .ssl_support_method(aws_sdk_cloudfront::types::SslSupportMethod::SniOnly)
                .build(),
        );
        config.logging = Some(
            LoggingConfig::builder()
                .enabled(true)
                .include_cookies(false)
                .bucket("logs.s3.amazonaws.com")
                .prefix("cf/")
                .build(),
        );
        config.restrictions = Some(
            Restrictions::builder()
                .geo_restriction(
                    GeoRestriction::builder()
                        .restriction_type(GeoRestrictionType::Blacklist)
                        .quantity(1)
                        .items("KP")
                        .build()
                        .expect("a restriction"),
                )
                .build(),
        );
        config.web_acl_id = Some("arn:aws:wafv2:us-east-1:123:global/webacl/x/1".into());
        config.custom_error_responses = Some(
            CustomErrorResponses::builder()
                .quantity(1)
                .items(
                    aws_sdk_cloudfront::types::CustomErrorResponse::builder()
                        .error_code(404)
                        .response_page_path("/index.html")
                        .response_code("200")
                        .build()
                        .expect("an error response"),
                )
                .build()
                .expect("error responses"),
        );
        config
    }

    #[test]
    fn an_update_sends_the_live_configuration_back_with_only_the_managed_fields_changed() {
        let live = live_config();
        let updated = updated_config(&desired(), &live, None).expect("an update");
        assert_eq!(updated.price_class, Some(PriceClass::PriceClass100), "managed: overwritten");
        assert_eq!(updated.caller_reference, "ref-live", "never changed");
        for (field, kept) in [
            ("aliases", updated.aliases == live.aliases),
            ("viewer_certificate", updated.viewer_certificate == live.viewer_certificate),
            ("logging", updated.logging == live.logging),
            ("restrictions", updated.restrictions == live.restrictions),
            ("web_acl_id", updated.web_acl_id == live.web_acl_id),
            ("custom_error_responses", updated.custom_error_responses == live.custom_error_responses),
        ] {
            assert!(kept, "{field} is sent back as read");
        }
        for behavior_fields in [
            updated.default_cache_behavior.as_ref().map(|b| {
                (
                    b.allowed_methods.is_some(),
                    b.smooth_streaming,
                    b.lambda_function_associations.is_some(),
                    b.field_level_encryption_id.clone(),
                )
            }),
            updated.cache_behaviors.as_ref().and_then(|b| b.items.as_ref()).map(|items| {
                let b = &items[0];
                (
                    b.allowed_methods.is_some(),
                    b.smooth_streaming,
                    b.lambda_function_associations.is_some(),
                    b.field_level_encryption_id.clone(),
                )
            }),
        ] {
            assert_eq!(
                behavior_fields,
                Some((true, Some(false), true, Some(String::new()))),
                "what an update requires of a behaviour"
            );
        }
    }

    #[test]
    fn an_update_fills_every_required_field_a_sparse_answer_left_out() {
        let mut props = desired();
        props.api_origin_domain = None;
        props.api_path = None;
        let sparse = config_of(&props, "ref-1", None).expect("a configuration");
        assert!(sparse.aliases.is_none() && sparse.logging.is_none() && sparse.cache_behaviors.is_none());
        let updated = updated_config(&props, &sparse, None).expect("an update");
        assert_eq!(updated.aliases.as_ref().map(|a| a.quantity), Some(0));
        assert_eq!(updated.cache_behaviors.as_ref().map(|b| b.quantity), Some(0));
        assert_eq!(updated.custom_error_responses.as_ref().map(|c| c.quantity), Some(0));
        assert_eq!(updated.logging.as_ref().map(|l| l.enabled), Some(false));
        assert!(updated.viewer_certificate.is_some() && updated.restrictions.is_some());
        assert_eq!(updated.web_acl_id.as_deref(), Some(""));
    }

    #[test]
    fn a_frontend_without_services_has_no_api_behaviour() {
        let mut props = desired();
        props.api_origin_domain = None;
        props.api_path = None;
        let config = config_of(&props, "ref-1", None).expect("a configuration");
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
    fn only_the_commercial_partition_has_distributions_to_discover() {
        assert!(has_cloudfront("us-east-1") && has_cloudfront("eu-west-1"));
        assert!(!has_cloudfront("us-gov-west-1") && !has_cloudfront("cn-north-1"));
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
