//! Driver for the frontend bucket's policy: only the stack's CloudFront distribution may read
//! objects. Compared in canonical form, like IAM policies.

use super::driver::driver;
use super::driver::found_with_owner as discover;
use super::{id_attributes, live_resource, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::policy::normalise_policy;
use crate::graph::properties::edge::BucketPolicyProps;
use crate::graph::{Kind, Props};
use crate::plan::LiveResource;

driver!(BucketPolicyDriver, BucketPolicyProps);

/// The policy of the stack's bucket, if it has one (one GetBucketPolicy).
pub async fn discover_named(clients: &Clients, bucket: &str) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients.s3.get_bucket_policy().bucket(bucket).send().await;
    let policy = match output.aws("GetBucketPolicy", bucket) {
        Ok(output) => output.policy().unwrap_or_default().to_string(),
        Err(error) if error.is_not_found() || error.code() == Some("NoSuchBucketPolicy") => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let props = BucketPolicyProps { bucket: bucket.to_string(), policy: normalise_policy(&policy) };
    Ok(vec![live_resource(
        Kind::BucketPolicy,
        "frontend-bucket-policy".to_string(),
        format!("{bucket}/policy"),
        &props,
        id_attributes(bucket),
    )])
}

/// Putting a policy replaces the whole document, so create and update are the same call.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: BucketPolicyProps = context.decode(props)?;
    context
        .clients
        .s3
        .put_bucket_policy()
        .bucket(&props.bucket)
        .policy(props.policy)
        .send()
        .await
        .aws("PutBucketPolicy", &context.resource())?;
    Ok(id_attributes(&props.bucket))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    create(context, update.props).await
}

pub async fn delete(context: &StepContext<'_>, _physical_id: &str, live: &Props) -> Result<(), AwsError> {
    let live: BucketPolicyProps = context.decode(live)?;
    context
        .clients
        .s3
        .delete_bucket_policy()
        .bucket(live.bucket)
        .send()
        .await
        .aws("DeleteBucketPolicy", &context.resource())?;
    Ok(())
}
