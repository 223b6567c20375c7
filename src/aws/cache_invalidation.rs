//! Driver for the one CloudFront invalidation an apply makes when frontend files changed: exactly
//! the changed paths. An invalidation is an event, not a resource that stays: nothing to discover.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};

use super::{error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props};
use crate::plan::LiveResource;

pub async fn discover(_clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    Ok(Vec::new())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::CacheInvalidation);
    let paths: Vec<String> = super::texts(props, "paths");
    let batch = InvalidationBatch::builder()
        .paths(Paths::builder().quantity(paths.len() as i32).set_items(Some(paths)).build().map_err(|e| {
            AwsError::refused(&resource, format!("cannot build the invalidation: {e}; this is a bug in wl-infra"))
        })?)
        // The same caller reference makes a retried call answer with the first invalidation.
        .caller_reference(super::client_token(&context.clients.run_id, context.id, props))
        .build()
        .map_err(|e| {
            AwsError::refused(&resource, format!("cannot build the invalidation: {e}; this is a bug in wl-infra"))
        })?;
    let output = context
        .clients
        .cloudfront
        .create_invalidation()
        .distribution_id(text(props, "distribution_id"))
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| from_sdk("CreateInvalidation", &resource, e))?;
    Ok(Attributes::from([("id".to_string(), output.invalidation().map_or("", |i| i.id()).to_string())]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    create(context, update.props).await
}

pub async fn delete(_context: &StepContext<'_>, _physical_id: &str, _live: &Props) -> Result<(), AwsError> {
    Ok(())
}
