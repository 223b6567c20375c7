//! Driver for the one CloudFront invalidation an apply makes when frontend files changed: exactly
//! the changed paths. An invalidation is an event, not a resource that stays: nothing to discover.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};

use super::driver::driver;
use super::{id_attributes, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::edge::CacheInvalidationProps;
use crate::graph::{AccountFacts, Props};
use crate::plan::LiveResource;

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

/// At most this many wildcard paths may be in progress at once per distribution ("If you're
/// using the * wildcard, you can have requests for up to 15 invalidation paths in progress at one
/// time", InvalidationLimits).
pub const MAX_WILDCARD_PATHS: usize = 15;

/// The paths of a distribution's invalidations still in progress, counted the way CloudFront's
/// limits count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InFlight {
    pub files: usize,
    pub wildcards: usize,
}

impl InFlight {
    pub fn of<'a>(paths: impl IntoIterator<Item = &'a str>) -> InFlight {
        paths.into_iter().fold(InFlight::default(), |count, path| {
            if path.ends_with('*') {
                InFlight { wildcards: count.wildcards + 1, ..count }
            } else {
                InFlight { files: count.files + 1, ..count }
            }
        })
    }

    fn fits_beside(self, other: InFlight) -> bool {
        self.files + other.files <= MAX_PATHS && self.wildcards + other.wildcards <= MAX_WILDCARD_PATHS
    }
}

/// What to send, given the changed paths and what is already in progress: the exact paths when
/// they fit beside the invalidations in flight, `/*` when only a wildcard fits, or nothing yet
/// (wait for some to complete). Pure.
pub fn choose_paths(changed: &[String], in_flight: InFlight) -> Option<Vec<String>> {
    let exact = invalidation_paths(changed);
    if InFlight::of(exact.iter().map(String::as_str)).fits_beside(in_flight) {
        return Some(exact);
    }
    let everything = vec!["/*".to_string()];
    InFlight::of(["/*"]).fits_beside(in_flight).then_some(everything)
}

/// What a distribution's invalidations in progress come to, for a step about to make one.
enum Seen {
    /// What they hold, counted as CloudFront's limits count.
    InFlight(InFlight),
    /// This step's own invalidation (its caller reference), made by an attempt whose answer was
    /// lost: its id.
    MadeAlready(String),
}

/// Reads the distribution's invalidations in progress (their paths need one GetInvalidation
/// each: the listing has none).
async fn in_flight(context: &StepContext<'_>, distribution: &str, reference: &str) -> Result<Seen, AwsError> {
    let resource = &context.resource();
    let cloudfront = &context.clients.cloudfront;
    let mut in_progress = Vec::new();
    let mut pages = cloudfront.list_invalidations().distribution_id(distribution).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListInvalidations", resource)?;
        let summaries = page.invalidation_list().map(|list| list.items()).unwrap_or_default();
        in_progress.extend(summaries.iter().filter(|s| s.status() == "InProgress").map(|s| s.id().to_string()));
    }
    let reads = in_progress
        .iter()
        .map(|id| async move {
            let output = cloudfront.get_invalidation().distribution_id(distribution).id(id).send().await;
            // Completed and purged between the listing and the read: gone.
            let Some(output) = output.aws_or_gone("GetInvalidation", resource)? else { return Ok(None) };
            Ok(output.invalidation().and_then(|invalidation| invalidation.invalidation_batch()).map(|batch| {
                let paths: Vec<String> = batch.paths().map(|paths| paths.items().to_vec()).unwrap_or_default();
                (id.clone(), batch.caller_reference().to_string(), paths)
            }))
        })
        .collect();
    let batches: Vec<(String, String, Vec<String>)> = super::bounded(reads).await?.into_iter().flatten().collect();
    if let Some((id, _, _)) = batches.iter().find(|(_, caller, _)| caller == reference) {
        return Ok(Seen::MadeAlready(id.clone()));
    }
    Ok(Seen::InFlight(InFlight::of(batches.iter().flat_map(|(_, _, paths)| paths.iter().map(String::as_str)))))
}

/// Invalidates the changed paths. CloudFront refuses an invalidation over its in-progress limits
/// (TooManyInvalidationsInProgress: 3,000 file paths or 15 wildcard paths per distribution), so
/// the invalidations in flight are counted first to choose between the exact paths and `/*`, and
/// while neither fits (or CloudFront still answers so) the step waits for some to complete,
/// within the kind's limit.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let desired: CacheInvalidationProps = context.decode(props)?;
    let resource = context.resource();
    // The same caller reference makes a retried call answer with the first invalidation.
    let reference = super::client_token(super::TokenApi::CloudFront, &context.clients.run_id, context.id, props);
    let id = super::wait_for(context, "free of invalidations over CloudFront's in-progress limits", || async {
        let in_flight = match in_flight(context, &desired.distribution_id, &reference).await? {
            Seen::InFlight(in_flight) => in_flight,
            Seen::MadeAlready(id) => return Ok(Some(id)),
        };
        let Some(paths) = choose_paths(&desired.paths, in_flight) else { return Ok(None) };
        let build_error = |e: aws_sdk_cloudfront::error::BuildError| {
            AwsError::refused(&resource, format!("cannot build the invalidation: {e}; this is a bug in wl-infra"))
        };
        let batch = InvalidationBatch::builder()
            .paths(Paths::builder().quantity(paths.len() as i32).set_items(Some(paths)).build().map_err(build_error)?)
            .caller_reference(&reference)
            .build()
            .map_err(build_error)?;
        let output = context
            .clients
            .cloudfront
            .create_invalidation()
            .distribution_id(&desired.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .aws("CreateInvalidation", &resource);
        match output {
            Ok(output) => Ok(Some(output.invalidation().map_or("", |i| i.id()).to_string())),
            // Others invalidated in between: wait for them.
            Err(error) if error.code() == Some(TOO_MANY_IN_PROGRESS) => Ok(None),
            Err(error) => Err(error),
        }
    })
    .await?;
    Ok(id_attributes(&id))
}

/// CloudFront's answer to an invalidation over its in-progress limits.
pub const TOO_MANY_IN_PROGRESS: &str = "TooManyInvalidationsInProgress";

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
    fn the_invalidations_in_flight_choose_between_exact_paths_and_everything() {
        let changed: Vec<String> = (0..100).map(|n| format!("/assets/{n}.js")).collect();
        assert_eq!(choose_paths(&changed, InFlight::default()).map(|p| p.len()), Some(100));
        // 2,950 files in flight: 100 more would pass 3,000, one wildcard fits.
        let busy = InFlight { files: 2950, wildcards: 0 };
        assert_eq!(choose_paths(&changed, busy), Some(vec!["/*".to_string()]));
        // And with 15 wildcards in flight as well, nothing fits: wait.
        assert_eq!(choose_paths(&changed, InFlight { files: 2950, wildcards: 15 }), None);
        // Few files fit beside 15 wildcards.
        assert_eq!(
            choose_paths(&changed[..1], InFlight { files: 0, wildcards: 15 }),
            Some(vec!["/assets/0.js".into()])
        );
        assert_eq!(InFlight::of(["/a.js", "/b*", "/*"]), InFlight { files: 1, wildcards: 2 });
    }

    #[test]
    fn a_batch_over_the_in_progress_limit_invalidates_everything_at_once() {
        let paths: Vec<String> = (0..=MAX_PATHS).map(|n| format!("/assets/{n}.js")).collect();
        assert_eq!(invalidation_paths(&paths), vec!["/*"]);
        assert_eq!(invalidation_paths(&paths[..MAX_PATHS]).len(), MAX_PATHS);
    }
}
