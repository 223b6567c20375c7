//! Driver for the CloudWatch Logs group of each service's containers, with its retention.

use super::driver::driver;
use super::props::tags_of;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::LogGroupProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(LogGroupDriver, LogGroupProps);

fn attributes(name: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), arn.to_string())])
}

/// One listing of the groups under `/ecs/<stack>/`, then each group's tags (concurrently).
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = crate::graph::log_group_name(&clients.stack, "");
    let mut groups = Vec::new();
    let mut pages = clients.logs.describe_log_groups().log_group_name_prefix(&prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeLogGroups", "the stack's log groups")?;
        groups.extend(page.log_groups().iter().cloned());
    }
    let reads = groups.iter().map(|group| async move {
        let name = group.log_group_name().unwrap_or_default();
        // `arn` ends in `:*`; tagging wants the ARN without it.
        let arn = group
            .log_group_arn()
            .map(str::to_string)
            .unwrap_or_else(|| group.arn().unwrap_or_default().trim_end_matches(":*").to_string());
        let output = clients.logs.list_tags_for_resource().resource_arn(&arn).send().await;
        let Some(output) = output.aws_or_gone("ListTagsForResource", name)? else { return Ok(None) };
        let tags = output.tags().cloned().unwrap_or_default();
        let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let props = LogGroupProps {
            name: name.to_string(),
            retention_days: group.retention_in_days().unwrap_or(0),
            tags: tags_of(pairs),
        };
        Ok::<_, AwsError>(Some(live_resource(Kind::LogGroup, id, name, &props, attributes(name, &arn))))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

async fn put_retention(context: &StepContext<'_>, name: &str, days: i32) -> Result<(), AwsError> {
    context
        .clients
        .logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .aws("PutRetentionPolicy", &context.resource())?;
    Ok(())
}

/// The group's ARN (without the `:*` suffix), as tagging wants it.
async fn group_arn(context: &StepContext<'_>, name: &str) -> Result<String, AwsError> {
    let output = context
        .clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .aws("DescribeLogGroups", &context.resource())?;
    let group = output.log_groups().iter().find(|group| group.log_group_name() == Some(name));
    Ok(group
        .and_then(|group| {
            group
                .log_group_arn()
                .map(str::to_string)
                .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_string()))
        })
        .unwrap_or_default())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: LogGroupProps = context.decode(props)?;
    context
        .clients
        .logs
        .create_log_group()
        .log_group_name(&props.name)
        .set_tags(Some(props.tags.clone().into_iter().collect()))
        .send()
        .await
        .aws("CreateLogGroup", &context.resource())?;
    put_retention(context, &props.name, props.retention_days).await?;
    Ok(Attributes::from([("id".to_string(), props.name.clone())]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (LogGroupProps, LogGroupProps) = update.decode(context)?;
    let name = update.physical_id;
    if update.changed(LogGroupProps::NAMES.retention_days) {
        put_retention(context, name, desired.retention_days).await?;
    }
    if update.changed("tags") {
        let arn = group_arn(context, name).await?;
        tags::replace(context, tags::Style::Logs, &arn, &desired.tags, &live.tags).await?;
    }
    Ok(Attributes::from([("id".to_string(), name.to_string())]))
}

pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .logs
        .delete_log_group()
        .log_group_name(name)
        .send()
        .await
        .aws("DeleteLogGroup", &context.resource())?;
    Ok(())
}
