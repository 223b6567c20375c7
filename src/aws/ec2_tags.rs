//! EC2 tags shared by the EC2 drivers: tag-on-create specifications, reading, and reverting drift.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use super::{error::from_sdk, tag_pairs, Attributes, AwsError, StepContext, Update};
use crate::graph::{Props, Value};

/// The tag specification that makes a create call tag the resource atomically.
pub fn specification(resource_type: ResourceType, props: &Props) -> TagSpecification {
    let tags = tag_pairs(props).into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build());
    TagSpecification::builder().resource_type(resource_type).set_tags(Some(tags.collect())).build()
}

/// The `tags` property of an EC2 resource as read.
pub fn read(tags: &[Tag]) -> Value {
    super::tags_value(tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())))
}

/// The logical id of an EC2 resource owned by the stack.
pub fn owned_id(stack: &str, tags: &[Tag]) -> Option<String> {
    super::owned_id(stack, tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())))
}

/// Adds missing or changed tags and removes unexpected ones, when `tags` is among the changes.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<(), AwsError> {
    if !update.changed("tags") {
        return Ok(());
    }
    let desired = tag_pairs(update.props);
    let live = tag_pairs(update.live);
    let to_set: Vec<Tag> = desired
        .iter()
        .filter(|pair| !live.contains(pair))
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    let to_remove: Vec<Tag> = live
        .iter()
        .filter(|(key, _)| !desired.iter().any(|(desired_key, _)| desired_key == key))
        .map(|(key, _)| Tag::builder().key(key).build())
        .collect();
    let resource = format!("{} ({})", context.id, update.physical_id);
    if !to_set.is_empty() {
        context
            .clients
            .ec2
            .create_tags()
            .resources(update.physical_id)
            .set_tags(Some(to_set))
            .send()
            .await
            .map_err(|e| from_sdk("CreateTags", &resource, e))?;
    }
    if !to_remove.is_empty() {
        context
            .clients
            .ec2
            .delete_tags()
            .resources(update.physical_id)
            .set_tags(Some(to_remove))
            .send()
            .await
            .map_err(|e| from_sdk("DeleteTags", &resource, e))?;
    }
    Ok(())
}

/// The update of kinds whose only mutable field is `tags`.
pub async fn update_only_tags(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    self::update(context, update).await?;
    Ok(Attributes::from([("id".to_string(), update.physical_id.to_string())]))
}

/// The filter that finds the stack's resources in one describe call.
pub fn stack_filter(stack: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(format!("tag:{}", crate::graph::STACK_TAG)).values(stack).build()
}
