//! Driver for the CloudWatch alarms on each service: CPU, 5xx answers and response time.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic, Tag};

use super::{error::from_sdk, integer, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

fn alarm_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// Nothing refers to an alarm's ARN, so its name is all a step reports.
fn attributes(name: &str) -> Attributes {
    Attributes::from([("id".to_string(), name.to_string())])
}

/// One listing of the alarms named `<stack>-alarm-...`, then each alarm's tags (concurrently).
pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let mut alarms = Vec::new();
    let mut pages = clients
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(crate::graph::physical_name(&clients.stack, "alarm-"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeAlarms", "the stack's alarms", e))?;
        alarms.extend(page.metric_alarms().iter().cloned());
    }
    let reads = alarms.iter().map(|alarm| async move {
        let arn = alarm.alarm_arn().unwrap_or_default();
        let output = clients.cloudwatch.list_tags_for_resource().resource_arn(arn).send().await;
        let tags = match output.map_err(|e| from_sdk("ListTagsForResource", arn, e)) {
            Ok(output) => output.tags().to_vec(),
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        let pairs: Vec<(&str, &str)> =
            tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())).collect();
        let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let name = alarm.alarm_name().unwrap_or_default();
        Ok::<_, AwsError>(Some(LiveResource {
            state: crate::plan::LiveState::Ready,
            id,
            kind: Kind::MetricAlarm,
            physical_id: name.to_string(),
            props: props_of(alarm, super::tags_value(pairs)),
            attributes: attributes(name),
        }))
    });
    Ok(futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect())
}

fn props_of(alarm: &MetricAlarm, tags: Value) -> Props {
    let dimensions: BTreeMap<String, Value> = alarm
        .dimensions()
        .iter()
        .map(|dimension| {
            (dimension.name().unwrap_or_default().to_string(), Value::string(dimension.value().unwrap_or_default()))
        })
        .collect();
    let mut props = Props::new();
    props.insert("name".into(), Value::string(alarm.alarm_name().unwrap_or_default()));
    props.insert("description".into(), Value::string(alarm.alarm_description().unwrap_or_default()));
    props.insert("namespace".into(), Value::string(alarm.namespace().unwrap_or_default()));
    props.insert("metric_name".into(), Value::string(alarm.metric_name().unwrap_or_default()));
    props.insert("statistic".into(), Value::string(alarm.statistic().map_or("", |s| s.as_str())));
    props.insert("dimensions".into(), Value::Map(dimensions));
    props.insert("period_seconds".into(), Value::Integer(i64::from(alarm.period().unwrap_or(0))));
    props.insert("evaluation_periods".into(), Value::Integer(i64::from(alarm.evaluation_periods().unwrap_or(0))));
    props.insert(
        "threshold".into(),
        Value::string(crate::graph::format_threshold(alarm.threshold().unwrap_or_default())),
    );
    props.insert("comparison".into(), Value::string(alarm.comparison_operator().map_or("", |c| c.as_str())));
    props.insert("treat_missing_data".into(), Value::string(alarm.treat_missing_data().unwrap_or("missing")));
    props.insert("tags".into(), tags);
    props
}

/// PutMetricAlarm creates or replaces the whole alarm, so create and update share it.
async fn put(context: &StepContext<'_>, props: &Props, tags: bool) -> Result<(), AwsError> {
    let dimensions = props
        .get("dimensions")
        .and_then(Value::as_map)
        .map(|map| {
            map.iter()
                .filter_map(|(name, value)| Some(Dimension::builder().name(name).value(value.as_str()?).build()))
                .collect()
        })
        .unwrap_or_default();
    context
        .clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(text(props, "name"))
        .alarm_description(text(props, "description"))
        .namespace(text(props, "namespace"))
        .metric_name(text(props, "metric_name"))
        .statistic(Statistic::from(text(props, "statistic")))
        .set_dimensions(Some(dimensions))
        .period(integer(props, "period_seconds") as i32)
        .evaluation_periods(integer(props, "evaluation_periods") as i32)
        .threshold(text(props, "threshold").parse().unwrap_or_default())
        .comparison_operator(ComparisonOperator::from(text(props, "comparison")))
        .treat_missing_data(text(props, "treat_missing_data"))
        .set_tags(tags.then(|| alarm_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("PutMetricAlarm", &context.resource(Kind::MetricAlarm), e))?;
    Ok(())
}

/// Reads the alarm's ARN for tagging (PutMetricAlarm does not answer with it).
async fn read_arn(context: &StepContext<'_>, name: &str) -> Result<String, AwsError> {
    let output = context
        .clients
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeAlarms", &context.resource(Kind::MetricAlarm), e))?;
    let arn = output.metric_alarms().first().and_then(|alarm| alarm.alarm_arn());
    arn.map(str::to_string).ok_or_else(|| {
        AwsError::refused(
            context.resource(Kind::MetricAlarm),
            "the alarm disappeared while wl-infra tagged it; run apply again",
        )
    })
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    put(context, props, true).await?;
    Ok(attributes(text(props, "name")))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::MetricAlarm);
    let name = update.physical_id;
    if update.changes.iter().any(|change| change.field != "tags") {
        // Tags given to PutMetricAlarm are ignored for an existing alarm.
        put(context, update.props, false).await?;
    }
    if update.changed("tags") {
        let arn = read_arn(context, name).await?;
        let cloudwatch = &context.clients.cloudwatch;
        let (arn, resource) = (arn.as_str(), resource.as_str());
        super::replace_tags(
            update,
            |stale| async move {
                cloudwatch
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(stale))
                    .send()
                    .await
                    .map_err(|e| from_sdk("UntagResource", resource, e))?;
                Ok(())
            },
            || async move {
                cloudwatch
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(alarm_tags(update.props)))
                    .send()
                    .await
                    .map_err(|e| from_sdk("TagResource", resource, e))?;
                Ok(())
            },
        )
        .await?;
    }
    Ok(attributes(name))
}

pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .cloudwatch
        .delete_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteAlarms", &context.resource(Kind::MetricAlarm), e))?;
    Ok(())
}
