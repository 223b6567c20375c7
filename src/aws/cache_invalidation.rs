//! Driver for the one CloudFront invalidation an apply makes when frontend files changed: exactly
//! the changed paths. An invalidation is an event, not a resource that stays: nothing to discover.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use serde::{Deserialize, Serialize};

use super::driver::driver;
use super::{id_attributes, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::{AccountFacts, Props};
use crate::plan::LiveResource;

/// The invalidation's properties, as the graph builds them (the planner fills `paths` in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheInvalidationProps {
    pub distribution_id: String,
    /// The keys of the changed objects, as paths (`/index.html`).
    pub paths: Vec<String>,
}

driver!(CacheInvalidationDriver, CacheInvalidationProps);

pub async fn discover(_clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    Ok(Vec::new())
}

/// At most this many file paths may be in progress at once per distribution ("up to 3,000 files per
/// distribution in progress at one time", InvalidationLimits); a larger batch invalidates `/*`,
/// one wildcard path, instead.
pub const MAX_PATHS: usize = 3000;

/// The paths as CloudFront takes them: object keys percent-encoded where they are not ASCII or
/// are unsafe ("If the path includes non-ASCII characters or unsafe characters as defined in RFC
/// 1738, URL-encode those characters. Do not URL-encode any other characters"); too many become
/// `/*`. A `*` is a wildcard that may only end a path, so a key with a literal `*` is invalidated
/// by the wildcard path of its part before the `*` (more than the key, never less).
pub fn invalidation_paths(paths: &[String]) -> Vec<String> {
    if paths.len() > MAX_PATHS {
        return vec!["/*".to_string()];
    }
    let mut encoded: Vec<String> = paths
        .iter()
        .map(|path| match path.split_once('*') {
            Some((before, _)) => format!("{}*", encode_path(before)),
            None => encode_path(path),
        })
        .collect();
    encoded.dedup();
    encoded
}

fn encode_path(path: &str) -> String {
    // RFC 1738's safe set, the `/` separators and the characters CloudFront documents as fine.
    const KEEP: &[u8] = b"/-_.~!$&'()+,;=:@";
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || KEEP.contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let desired: CacheInvalidationProps = context.decode(props)?;
    let resource = context.resource();
    let paths = invalidation_paths(&desired.paths);
    let batch = InvalidationBatch::builder()
        .paths(Paths::builder().quantity(paths.len() as i32).set_items(Some(paths)).build().map_err(|e| {
            AwsError::refused(&resource, format!("cannot build the invalidation: {e}; this is a bug in wl-infra"))
        })?)
        // The same caller reference makes a retried call answer with the first invalidation.
        .caller_reference(super::client_token(super::TokenApi::CloudFront, &context.clients.run_id, context.id, props))
        .build()
        .map_err(|e| {
            AwsError::refused(&resource, format!("cannot build the invalidation: {e}; this is a bug in wl-infra"))
        })?;
    let output = context
        .clients
        .cloudfront
        .create_invalidation()
        .distribution_id(desired.distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
        .aws("CreateInvalidation", &resource)?;
    Ok(id_attributes(output.invalidation().map_or("", |i| i.id())))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    create(context, update.props).await
}

pub async fn delete(_context: &StepContext<'_>, _physical_id: &str, _live: &Props) -> Result<(), AwsError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_where_cloudfront_wants_it() {
        let paths = ["/index.html", "/assets/café menu.png", "/a*b.txt", "/über/x.js", "/100%.txt"].map(String::from);
        assert_eq!(
            invalidation_paths(&paths),
            vec!["/index.html", "/assets/caf%C3%A9%20menu.png", "/a*", "/%C3%BCber/x.js", "/100%25.txt"]
        );
    }

    #[test]
    fn a_batch_over_the_in_progress_limit_invalidates_everything_at_once() {
        let paths: Vec<String> = (0..=MAX_PATHS).map(|n| format!("/assets/{n}.js")).collect();
        assert_eq!(invalidation_paths(&paths), vec!["/*"]);
        assert_eq!(invalidation_paths(&paths[..MAX_PATHS]).len(), MAX_PATHS);
    }
}
