//! Driver for the CloudWatch Logs group of each service's containers, with its retention.

use std::collections::HashMap;

use super::{error::from_sdk, integer, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

fn tag_map(props: &Props) -> HashMap<String, String> {
    tag_pairs(props).into_iter().collect()
}

fn attributes(name: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), arn.to_string())])
}

/// One listing of the groups under `/ecs/<stack>/`, then each group's tags (concurrently).
pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = crate::graph::log_group_name(&clients.stack, "");
    let mut groups = Vec::new();
    let mut pages = clients.logs.describe_log_groups().log_group_name_prefix(&prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeLogGroups", "the stack's log groups", e))?;
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
        let tags = match output.map_err(|e| from_sdk("ListTagsForResource", name, e)) {
            Ok(output) => output.tags().cloned().unwrap_or_default(),
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let mut props = Props::new();
        props.insert("name".into(), Value::string(name));
        props.insert("retention_days".into(), Value::Integer(i64::from(group.retention_in_days().unwrap_or(0))));
        props.insert("tags".into(), super::tags_value(pairs));
        Ok::<_, AwsError>(Some(LiveResource {
            state: crate::plan::LiveState::Ready,
            id,
            kind: Kind::LogGroup,
            physical_id: name.to_string(),
            props,
            attributes: attributes(name, &arn),
        }))
    });
    Ok(futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect())
}

async fn put_retention(context: &StepContext<'_>, name: &str, days: i64) -> Result<(), AwsError> {
    context
        .clients
        .logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days as i32)
        .send()
        .await
        .map_err(|e| from_sdk("PutRetentionPolicy", &context.resource(Kind::LogGroup), e))?;
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
        .map_err(|e| from_sdk("DescribeLogGroups", &context.resource(Kind::LogGroup), e))?;
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
    let name = text(props, "name");
    context
        .clients
        .logs
        .create_log_group()
        .log_group_name(name)
        .set_tags(Some(tag_map(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateLogGroup", &context.resource(Kind::LogGroup), e))?;
    put_retention(context, name, integer(props, "retention_days")).await?;
    Ok(Attributes::from([("id".to_string(), name.to_string())]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let name = update.physical_id;
    let resource = context.resource(Kind::LogGroup);
    if update.changed("retention_days") {
        put_retention(context, name, integer(update.props, "retention_days")).await?;
    }
    if update.changed("tags") {
        let arn = group_arn(context, name).await?;
        let logs = &context.clients.logs;
        let (arn, resource) = (arn.as_str(), resource.as_str());
        super::replace_tags(
            update,
            |stale| async move {
                logs.untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(stale))
                    .send()
                    .await
                    .map_err(|e| from_sdk("UntagResource", resource, e))?;
                Ok(())
            },
            || async move {
                logs.tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(tag_map(update.props)))
                    .send()
                    .await
                    .map_err(|e| from_sdk("TagResource", resource, e))?;
                Ok(())
            },
        )
        .await?;
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
        .map_err(|e| from_sdk("DeleteLogGroup", &context.resource(Kind::LogGroup), e))?;
    Ok(())
}
