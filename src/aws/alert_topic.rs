//! Driver for the stack's alert topic: the SNS topic every alarm notifies, encrypted with the
//! stack's own KMS key (`kms_key`), whose subscriptions (`alert_subscription`) are found through it.
//!
//! CreateTopic "is idempotent, so if the requester already owns a topic with the specified name,
//! that topic's ARN is returned" (API_CreateTopic); DeleteTopic deletes the topic's subscriptions
//! with it, confirmed or not, and answers success for a topic that does not exist.

use super::driver::driver;
use super::props::tags_of;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::monitoring::AlertTopicProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(AlertTopicDriver, AlertTopicProps);

fn attributes(arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), arn.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The topic's name is its ARN's last part.
fn name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or_default()
}

/// ListTopics answers ARNs only (every page: it has no filter); the topic named like the stack's
/// is read with its tags and attributes, then its subscriptions.
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let wanted = crate::graph::alert_topic_name(&clients.stack);
    let mut arns = Vec::new();
    let mut pages = clients.sns.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListTopics", "the stack's alert topic")?;
        arns.extend(page.topics().iter().filter_map(|topic| topic.topic_arn()).map(str::to_string));
    }
    let mut found = Vec::new();
    for arn in arns.iter().filter(|arn| name_of(arn) == wanted) {
        let output = clients.sns.list_tags_for_resource().resource_arn(arn).send().await;
        let Some(output) = output.aws_or_gone("ListTagsForResource", arn)? else { continue };
        let pairs: Vec<(&str, &str)> = output.tags().iter().map(|tag| (tag.key(), tag.value())).collect();
        let Some(owner) = super::owned_id(&clients.stack, pairs.iter().copied()) else { continue };
        let output = clients.sns.get_topic_attributes().topic_arn(arn).send().await;
        let Some(output) = output.aws_or_gone("GetTopicAttributes", arn)? else { continue };
        let key = output.attributes().and_then(|attributes| attributes.get("KmsMasterKeyId")).cloned();
        let props = AlertTopicProps {
            name: name_of(arn).to_string(),
            kms_master_key_id: key.unwrap_or_default(),
            tags: tags_of(pairs),
        };
        found.push(live_resource(Kind::AlertTopic, owner, arn, &props, attributes(arn)));
        found.extend(super::alert_subscription::discover_on(clients, arn).await?);
    }
    Ok(found)
}

pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: AlertTopicProps = context.decode(resolved)?;
    let output = context
        .clients
        .sns
        .create_topic()
        .name(&props.name)
        .attributes("KmsMasterKeyId", &props.kms_master_key_id)
        .set_tags(Some(tags::sns_list(&props.tags)))
        .send()
        .await
        .aws("CreateTopic", &context.resource())?;
    Ok(attributes(output.topic_arn().unwrap_or_default()))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (AlertTopicProps, AlertTopicProps) = update.decode(context)?;
    let arn = update.physical_id;
    if update.changed(AlertTopicProps::NAMES.kms_master_key_id) {
        context
            .clients
            .sns
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name("KmsMasterKeyId")
            .attribute_value(&desired.kms_master_key_id)
            .send()
            .await
            .aws("SetTopicAttributes", &context.resource())?;
    }
    tags::replace(context, tags::Style::Sns, arn, &desired.tags, &live.tags).await?;
    Ok(attributes(arn))
}

pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    let result = context.clients.sns.delete_topic().topic_arn(arn).send().await;
    result.aws_or_gone("DeleteTopic", &context.resource())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_s_name_is_the_last_part_of_its_arn() {
        assert_eq!(name_of("arn:aws:sns:us-east-1:123456789012:watchlist-dev-alerts"), "watchlist-dev-alerts");
    }
}
