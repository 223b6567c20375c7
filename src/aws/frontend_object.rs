//! Driver for the files of the built frontend in the bucket: one object per file, uploaded when
//! its content hash differs (never by timestamp) with its content type and caching, deleted when
//! the file is gone.

use aws_sdk_s3::primitives::ByteStream;

use super::{error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{object_id, Kind, Props, Value};
use crate::plan::LiveResource;

/// Every object in the stack's bucket (one paged listing); S3's ETag of a single-part upload is
/// the MD5 of the content, which the desired side has too.
pub async fn discover_named(clients: &super::Clients, bucket: &str) -> Result<Vec<LiveResource>, AwsError> {
    let mut live = Vec::new();
    let mut pages = clients.s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = match page.map_err(|e| from_sdk("ListObjectsV2", bucket, e)) {
            Ok(page) => page,
            Err(error) if error.is_not_found() => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            let mut props = Props::new();
            props.insert("bucket".into(), Value::string(bucket));
            props.insert("key".into(), Value::string(key));
            props.insert("md5".into(), Value::string(object.e_tag().unwrap_or_default().trim_matches('"')));
            live.push(LiveResource {
                state: crate::plan::LiveState::Ready,
                id: object_id(key),
                kind: Kind::FrontendObject,
                physical_id: format!("{bucket}/{key}"),
                props,
                attributes: Attributes::from([("id".to_string(), key.to_string())]),
            });
        }
    }
    Ok(live)
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::FrontendObject);
    let source = text(props, "source");
    let body = ByteStream::from_path(source).await.map_err(|error| {
        AwsError::refused(&resource, format!("cannot read {source}: {error}; rebuild the frontend and apply again"))
    })?;
    let key = text(props, "key");
    context
        .clients
        .s3
        .put_object()
        .bucket(text(props, "bucket"))
        .key(key)
        .body(body)
        .content_type(text(props, "content_type"))
        .cache_control(text(props, "cache_control"))
        .send()
        .await
        .map_err(|e| from_sdk("PutObject", &resource, e))?;
    Ok(Attributes::from([("id".to_string(), key.to_string())]))
}

/// A changed file is uploaded again (S3 has no partial update).
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    create(context, update.props).await
}

pub async fn delete(context: &StepContext<'_>, _physical_id: &str, live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .s3
        .delete_object()
        .bucket(text(live, "bucket"))
        .key(text(live, "key"))
        .send()
        .await
        .map_err(|e| from_sdk("DeleteObject", &context.resource(Kind::FrontendObject), e))?;
    Ok(())
}
