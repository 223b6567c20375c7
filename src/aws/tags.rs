//! Tags, one way per AWS tagging style: the tags a create call carries (tag-on-create), and making
//! a resource's tags equal to the desired ones (stale keys removed, the rest written). Every driver
//! uses these; none tags by hand.

use super::props::Tags;
use super::{AwsError, SdkResultExt, StepContext};

/// The keys of `live` that `desired` no longer has.
pub fn stale_keys(desired: &Tags, live: &Tags) -> Vec<String> {
    live.keys().filter(|key| !desired.contains_key(*key)).cloned().collect()
}

/// The desired tags in an SDK's own tag type, built by `make`.
pub fn sdk_tags<T>(tags: &Tags, make: impl Fn(&str, &str) -> T) -> Vec<T> {
    tags.iter().map(|(key, value)| make(key, value)).collect()
}

/// The filter that finds the stack's EC2 resources in one describe call.
pub fn ec2_stack_filter(stack: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(format!("tag:{}", crate::graph::STACK_TAG)).values(stack).build()
}

/// An EC2 resource's tags as read.
pub fn ec2_read(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    super::props::tags_of(tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())))
}

/// The logical id of an EC2 resource owned by the stack.
pub fn ec2_owned_id(stack: &str, tags: &[aws_sdk_ec2::types::Tag]) -> Option<String> {
    super::owned_id(stack, tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())))
}

/// EC2's tag list, for `TagSpecification`s and CreateTags.
pub fn ec2_list(tags: &Tags) -> Vec<aws_sdk_ec2::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_ec2::types::Tag::builder().key(key).value(value).build())
}

/// The tag specification that makes an EC2 create call tag the resource atomically.
pub fn ec2_specification(
    resource_type: aws_sdk_ec2::types::ResourceType,
    tags: &Tags,
) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder().resource_type(resource_type).set_tags(Some(ec2_list(tags))).build()
}

pub fn rds_list(tags: &Tags) -> Vec<aws_sdk_rds::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_rds::types::Tag::builder().key(key).value(value).build())
}

pub fn elasticache_list(tags: &Tags) -> Vec<aws_sdk_elasticache::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_elasticache::types::Tag::builder().key(key).value(value).build())
}

pub fn ecs_list(tags: &Tags) -> Vec<aws_sdk_ecs::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_ecs::types::Tag::builder().key(key).value(value).build())
}

pub fn elb_list(tags: &Tags) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(key).value(value).build())
}

pub fn cloudwatch_list(tags: &Tags) -> Vec<aws_sdk_cloudwatch::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_cloudwatch::types::Tag::builder().key(key).value(value).build())
}

pub fn secrets_list(tags: &Tags) -> Vec<aws_sdk_secretsmanager::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_secretsmanager::types::Tag::builder().key(key).value(value).build())
}

/// The SDK types whose builders refuse a tag without a key (IAM, ECR, S3, CloudFront) get one
/// from `Tags`, so they never do.
pub fn iam_list(tags: &Tags) -> Vec<aws_sdk_iam::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_iam::types::Tag::builder().key(key).value(value).build())
        .into_iter()
        .flatten()
        .collect()
}

pub fn ecr_list(tags: &Tags) -> Vec<aws_sdk_ecr::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_ecr::types::Tag::builder().key(key).value(value).build())
        .into_iter()
        .flatten()
        .collect()
}

pub fn s3_list(tags: &Tags) -> Vec<aws_sdk_s3::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_s3::types::Tag::builder().key(key).value(value).build())
        .into_iter()
        .flatten()
        .collect()
}

pub fn cloudfront_list(tags: &Tags) -> Vec<aws_sdk_cloudfront::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_cloudfront::types::Tag::builder().key(key).value(value).build())
        .into_iter()
        .flatten()
        .collect()
}

pub fn cloud_map_list(tags: &Tags) -> Vec<aws_sdk_servicediscovery::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_servicediscovery::types::Tag::builder().key(key).value(value).build())
        .into_iter()
        .flatten()
        .collect()
}

/// KMS's tags are `TagKey`/`TagValue` pairs.
pub fn kms_list(tags: &Tags) -> Vec<aws_sdk_kms::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_kms::types::Tag::builder().tag_key(key).tag_value(value).build())
        .into_iter()
        .flatten()
        .collect()
}

pub fn sns_list(tags: &Tags) -> Vec<aws_sdk_sns::types::Tag> {
    sdk_tags(tags, |key, value| aws_sdk_sns::types::Tag::builder().key(key).value(value).build())
        .into_iter()
        .flatten()
        .collect()
}

/// The tagging styles: which calls remove and write a resource's tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// CreateTags / DeleteTags by resource id.
    Ec2,
    /// AddTagsToResource / RemoveTagsFromResource by ARN.
    Rds,
    Elasticache,
    /// TagResource / UntagResource by ARN.
    Ecs,
    Ecr,
    Logs,
    Cloudwatch,
    Cloudfront,
    /// AddTags / RemoveTags by ARN.
    Elb,
    /// TagRole / UntagRole by name.
    IamRole,
    /// TagResource / UntagResource by secret id.
    Secrets,
    /// PutBucketTagging of the whole set by bucket name.
    S3,
    /// TagResource / UntagResource by ARN (Cloud Map).
    CloudMap,
    /// TagResource / UntagResource by ARN (SNS).
    Sns,
    /// TagResource / UntagResource by key id (KMS), tags as TagKey/TagValue.
    Kms,
    /// TagResource / UntagResource by scalable target ARN (Application Auto Scaling), tags as a map.
    ApplicationAutoScaling,
}

/// Makes the tags of `target` (an id, ARN or name, as `style` wants) equal to `desired`.
pub async fn replace(
    context: &StepContext<'_>,
    style: Style,
    target: &str,
    desired: &Tags,
    live: &Tags,
) -> Result<(), AwsError> {
    if desired == live {
        return Ok(());
    }
    let stale = stale_keys(desired, live);
    if !stale.is_empty() {
        remove(context, style, target, stale).await?;
    }
    put(context, style, target, desired).await
}

async fn remove(context: &StepContext<'_>, style: Style, target: &str, keys: Vec<String>) -> Result<(), AwsError> {
    let clients = context.clients;
    let resource = &context.resource();
    match style {
        Style::Ec2 => {
            let tags = keys.iter().map(|key| aws_sdk_ec2::types::Tag::builder().key(key).build()).collect();
            clients
                .ec2
                .delete_tags()
                .resources(target)
                .set_tags(Some(tags))
                .send()
                .await
                .aws("DeleteTags", resource)?;
        }
        Style::Rds => {
            let call = clients.rds.remove_tags_from_resource().resource_name(target).set_tag_keys(Some(keys));
            call.send().await.aws("RemoveTagsFromResource", resource)?;
        }
        Style::Elasticache => {
            let call = clients.elasticache.remove_tags_from_resource().resource_name(target).set_tag_keys(Some(keys));
            call.send().await.aws("RemoveTagsFromResource", resource)?;
        }
        Style::Ecs => {
            let call = clients.ecs.untag_resource().resource_arn(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        Style::Ecr => {
            let call = clients.ecr.untag_resource().resource_arn(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        Style::Logs => {
            let call = clients.logs.untag_resource().resource_arn(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        Style::Cloudwatch => {
            let call = clients.cloudwatch.untag_resource().resource_arn(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        Style::Cloudfront => {
            let keys = aws_sdk_cloudfront::types::TagKeys::builder().set_items(Some(keys)).build();
            clients
                .cloudfront
                .untag_resource()
                .resource(target)
                .tag_keys(keys)
                .send()
                .await
                .aws("UntagResource", resource)?;
        }
        Style::Elb => {
            let call = clients.elb.remove_tags().resource_arns(target).set_tag_keys(Some(keys));
            call.send().await.aws("RemoveTags", resource)?;
        }
        Style::IamRole => {
            clients
                .iam
                .untag_role()
                .role_name(target)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .aws("UntagRole", resource)?;
        }
        Style::Secrets => {
            let call = clients.secrets.untag_resource().secret_id(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        // PutBucketTagging replaces the whole set: nothing to remove first.
        Style::S3 => {}
        Style::CloudMap => {
            let call = clients.cloud_map.untag_resource().resource_arn(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        Style::Sns => {
            let call = clients.sns.untag_resource().resource_arn(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        Style::Kms => {
            let call = clients.kms.untag_resource().key_id(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
        Style::ApplicationAutoScaling => {
            let call = clients.autoscaling.untag_resource().resource_arn(target).set_tag_keys(Some(keys));
            call.send().await.aws("UntagResource", resource)?;
        }
    }
    Ok(())
}

async fn put(context: &StepContext<'_>, style: Style, target: &str, tags: &Tags) -> Result<(), AwsError> {
    let clients = context.clients;
    let resource = &context.resource();
    match style {
        Style::Ec2 => {
            let call = clients.ec2.create_tags().resources(target).set_tags(Some(ec2_list(tags)));
            call.send().await.aws("CreateTags", resource)?;
        }
        Style::Rds => {
            let call = clients.rds.add_tags_to_resource().resource_name(target).set_tags(Some(rds_list(tags)));
            call.send().await.aws("AddTagsToResource", resource)?;
        }
        Style::Elasticache => {
            let call =
                clients.elasticache.add_tags_to_resource().resource_name(target).set_tags(Some(elasticache_list(tags)));
            call.send().await.aws("AddTagsToResource", resource)?;
        }
        Style::Ecs => {
            let call = clients.ecs.tag_resource().resource_arn(target).set_tags(Some(ecs_list(tags)));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::Ecr => {
            let call = clients.ecr.tag_resource().resource_arn(target).set_tags(Some(ecr_list(tags)));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::Logs => {
            let call =
                clients.logs.tag_resource().resource_arn(target).set_tags(Some(tags.clone().into_iter().collect()));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::Cloudwatch => {
            let call = clients.cloudwatch.tag_resource().resource_arn(target).set_tags(Some(cloudwatch_list(tags)));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::Cloudfront => {
            let items = aws_sdk_cloudfront::types::Tags::builder().set_items(Some(cloudfront_list(tags))).build();
            clients.cloudfront.tag_resource().resource(target).tags(items).send().await.aws("TagResource", resource)?;
        }
        Style::Elb => {
            let call = clients.elb.add_tags().resource_arns(target).set_tags(Some(elb_list(tags)));
            call.send().await.aws("AddTags", resource)?;
        }
        Style::IamRole => {
            clients
                .iam
                .tag_role()
                .role_name(target)
                .set_tags(Some(iam_list(tags)))
                .send()
                .await
                .aws("TagRole", resource)?;
        }
        Style::Secrets => {
            let call = clients.secrets.tag_resource().secret_id(target).set_tags(Some(secrets_list(tags)));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::S3 => {
            let tagging =
                aws_sdk_s3::types::Tagging::builder().set_tag_set(Some(s3_list(tags))).build().map_err(|error| {
                    AwsError::refused(resource, format!("cannot build the tags: {error}; this is a bug"))
                })?;
            clients
                .s3
                .put_bucket_tagging()
                .bucket(target)
                .tagging(tagging)
                .send()
                .await
                .aws("PutBucketTagging", resource)?;
        }
        Style::CloudMap => {
            let call = clients.cloud_map.tag_resource().resource_arn(target).set_tags(Some(cloud_map_list(tags)));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::Sns => {
            let call = clients.sns.tag_resource().resource_arn(target).set_tags(Some(sns_list(tags)));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::Kms => {
            let call = clients.kms.tag_resource().key_id(target).set_tags(Some(kms_list(tags)));
            call.send().await.aws("TagResource", resource)?;
        }
        Style::ApplicationAutoScaling => {
            let map = tags.clone().into_iter().collect();
            let call = clients.autoscaling.tag_resource().resource_arn(target).set_tags(Some(map));
            call.send().await.aws("TagResource", resource)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_keys_are_the_live_keys_no_longer_desired() {
        let desired: Tags = [("wl:id".to_string(), "vpc".to_string())].into();
        let live: Tags = [("wl:id".to_string(), "old".to_string()), ("owner".to_string(), "bob".to_string())].into();
        assert_eq!(stale_keys(&desired, &live), vec!["owner".to_string()]);
    }
}
