//! Driver for the files of the built frontend in the bucket: one object per file, uploaded when
//! its content hash differs (never by timestamp) with its content type and caching, deleted when
//! the file is gone.

use aws_sdk_s3::primitives::ByteStream;

use super::driver::driver;
use super::driver::found_with_owner as discover;
use super::{id_attributes, live_resource, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::edge::FrontendObjectProps;
use crate::graph::{object_id, Kind, Props};
use crate::plan::LiveResource;

driver!(FrontendObjectDriver, FrontendObjectProps);

/// Every object in the stack's bucket (one paged listing); S3's ETag of a single-part upload is
/// the MD5 of the content, which the desired side has too.
pub async fn discover_named(clients: &Clients, bucket: &str) -> Result<Vec<LiveResource>, AwsError> {
    let mut live = Vec::new();
    let mut pages = clients.s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = match page.aws("ListObjectsV2", bucket) {
            Ok(page) => page,
            Err(error) if error.is_not_found() => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            let props = FrontendObjectProps {
                bucket: bucket.to_string(),
                key: key.to_string(),
                md5: object.e_tag().unwrap_or_default().trim_matches('"').to_string(),
                content_type: None,
                cache_control: None,
                source: None,
            };
            live.push(live_resource(
                Kind::FrontendObject,
                object_id(key),
                format!("{bucket}/{key}"),
                &props,
                id_attributes(key),
            ));
        }
    }
    Ok(live)
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: FrontendObjectProps = context.decode(props)?;
    let resource = context.resource();
    let source = props.source.unwrap_or_default();
    let body = ByteStream::from_path(&source).await.map_err(|error| {
        AwsError::refused(&resource, format!("cannot read {source}: {error}; rebuild the frontend and apply again"))
    })?;
    context
        .clients
        .s3
        .put_object()
        .bucket(props.bucket)
        .key(&props.key)
        .body(body)
        .content_type(props.content_type.unwrap_or_default())
        .cache_control(props.cache_control.unwrap_or_default())
        .send()
        .await
        .aws("PutObject", &resource)?;
    Ok(id_attributes(&props.key))
}

/// A changed file is uploaded again (S3 has no partial update).
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    create(context, update.props).await
}

pub async fn delete(context: &StepContext<'_>, _physical_id: &str, live: &Props) -> Result<(), AwsError> {
    let live: FrontendObjectProps = context.decode(live)?;
    context
        .clients
        .s3
        .delete_object()
        .bucket(live.bucket)
        .key(live.key)
        .send()
        .await
        .aws("DeleteObject", &context.resource())?;
    Ok(())
}
