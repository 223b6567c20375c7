//! Driver for the stack's CloudWatch alarms (`graph::monitoring` says which), each notifying the
//! stack's alert topic and the user's topic when it fires and when it is back to OK.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic};

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::monitoring::MetricAlarmProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(MetricAlarmDriver, MetricAlarmProps);

/// Nothing refers to an alarm's ARN, so its name is all a step reports.
fn attributes(name: &str) -> Attributes {
    Attributes::from([("id".to_string(), name.to_string())])
}

/// One listing of the alarms named `<stack>-alarm-...`, then each alarm's tags (concurrently).
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let mut alarms = Vec::new();
    let mut pages = clients
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(crate::graph::physical_name(&clients.stack, "alarm-"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeAlarms", "the stack's alarms")?;
        alarms.extend(page.metric_alarms().iter().cloned());
    }
    let reads = alarms.iter().map(|alarm| async move {
        let arn = alarm.alarm_arn().unwrap_or_default();
        let output = clients.cloudwatch.list_tags_for_resource().resource_arn(arn).send().await;
        let Some(output) = output.aws_or_gone("ListTagsForResource", arn)? else { return Ok(None) };
        let tags = output.tags().to_vec();
        let pairs: Vec<(&str, &str)> =
            tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())).collect();
        let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let name = alarm.alarm_name().unwrap_or_default();
        let props = props_of(alarm, tags_of(pairs));
        Ok::<_, AwsError>(Some(live_resource(Kind::MetricAlarm, id, name, &props, attributes(name))))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn props_of(alarm: &MetricAlarm, tags: Tags) -> MetricAlarmProps {
    let dimensions = alarm
        .dimensions()
        .iter()
        .map(|dimension| {
            (dimension.name().unwrap_or_default().to_string(), dimension.value().unwrap_or_default().to_string())
        })
        .collect();
    MetricAlarmProps {
        name: alarm.alarm_name().unwrap_or_default().to_string(),
        description: alarm.alarm_description().unwrap_or_default().to_string(),
        namespace: alarm.namespace().unwrap_or_default().to_string(),
        metric_name: alarm.metric_name().unwrap_or_default().to_string(),
        statistic: alarm.statistic().map_or("", |s| s.as_str()).to_string(),
        dimensions,
        period_seconds: alarm.period().unwrap_or(0),
        evaluation_periods: alarm.evaluation_periods().unwrap_or(0),
        threshold: crate::graph::format_threshold(alarm.threshold().unwrap_or_default()),
        comparison: alarm.comparison_operator().map_or("", |c| c.as_str()).to_string(),
        treat_missing_data: alarm.treat_missing_data().unwrap_or("missing").to_string(),
        alarm_actions: alarm.alarm_actions().to_vec(),
        ok_actions: alarm.ok_actions().to_vec(),
        tags,
    }
}

/// PutMetricAlarm creates or replaces the whole alarm, so create and update share it.
async fn put(context: &StepContext<'_>, props: &MetricAlarmProps, tags: bool) -> Result<(), AwsError> {
    let dimensions =
        props.dimensions.iter().map(|(name, value)| Dimension::builder().name(name).value(value).build()).collect();
    context
        .clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&props.name)
        .alarm_description(&props.description)
        .namespace(&props.namespace)
        .metric_name(&props.metric_name)
        .statistic(Statistic::from(props.statistic.as_str()))
        .set_dimensions(Some(dimensions))
        .period(props.period_seconds)
        .evaluation_periods(props.evaluation_periods)
        .threshold(props.threshold.parse().unwrap_or_default())
        .comparison_operator(ComparisonOperator::from(props.comparison.as_str()))
        .treat_missing_data(&props.treat_missing_data)
        // An empty list clears the actions of an existing alarm.
        .set_alarm_actions(Some(props.alarm_actions.clone()))
        .set_ok_actions(Some(props.ok_actions.clone()))
        .set_tags(tags.then(|| tags::cloudwatch_list(&props.tags)))
        .send()
        .await
        .aws("PutMetricAlarm", &context.resource())?;
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
        .aws("DescribeAlarms", &context.resource())?;
    let arn = output.metric_alarms().first().and_then(|alarm| alarm.alarm_arn());
    arn.map(str::to_string).ok_or_else(|| {
        AwsError::refused(context.resource(), "the alarm disappeared while wl-infra tagged it; run apply again")
    })
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: MetricAlarmProps = context.decode(props)?;
    put(context, &props, true).await?;
    Ok(attributes(&props.name))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (MetricAlarmProps, MetricAlarmProps) = update.decode(context)?;
    let name = update.physical_id;
    if update.changed_beyond_tags() {
        // Tags given to PutMetricAlarm are ignored for an existing alarm.
        put(context, &desired, false).await?;
    }
    if update.changed("tags") {
        let arn = read_arn(context, name).await?;
        tags::replace(context, tags::Style::Cloudwatch, &arn, &desired.tags, &live.tags).await?;
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
        .aws("DeleteAlarms", &context.resource())?;
    Ok(())
}
