//! Driver for the frontend bucket's policy: only the stack's CloudFront distribution may read
//! objects. Compared in canonical form, like IAM policies.

use super::{error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::policy::normalise_policy;
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

/// The policy of the stack's bucket, if it has one (one GetBucketPolicy).
pub async fn discover_named(clients: &super::Clients, bucket: &str) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients.s3.get_bucket_policy().bucket(bucket).send().await;
    let policy = match output.map_err(|e| from_sdk("GetBucketPolicy", bucket, e)) {
        Ok(output) => output.policy().unwrap_or_default().to_string(),
        Err(error) if error.is_not_found() || error.code() == Some("NoSuchBucketPolicy") => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut props = Props::new();
    props.insert("bucket".into(), Value::string(bucket));
    props.insert("policy".into(), Value::string(normalise_policy(&policy)));
    Ok(vec![LiveResource {
        state: crate::plan::LiveState::Ready,
        id: "frontend-bucket-policy".to_string(),
        kind: Kind::BucketPolicy,
        physical_id: format!("{bucket}/policy"),
        props,
        attributes: Attributes::from([("id".to_string(), bucket.to_string())]),
    }])
}

/// Putting a policy replaces the whole document, so create and update are the same call.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let bucket = text(props, "bucket");
    context
        .clients
        .s3
        .put_bucket_policy()
        .bucket(bucket)
        .policy(text(props, "policy"))
        .send()
        .await
        .map_err(|e| from_sdk("PutBucketPolicy", &context.resource(Kind::BucketPolicy), e))?;
    Ok(Attributes::from([("id".to_string(), bucket.to_string())]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    create(context, update.props).await
}

pub async fn delete(context: &StepContext<'_>, _physical_id: &str, live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .s3
        .delete_bucket_policy()
        .bucket(text(live, "bucket"))
        .send()
        .await
        .map_err(|e| from_sdk("DeleteBucketPolicy", &context.resource(Kind::BucketPolicy), e))?;
    Ok(())
}
