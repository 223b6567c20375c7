//! Driver for each service's target group: IP targets (Fargate tasks), its health check and a
//! short deregistration delay.

use aws_sdk_elasticloadbalancingv2::types::{Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetTypeEnum};

use super::driver::driver;
use super::load_balancer::{dimension_of, owned, read_tags};
use super::props::Tags;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::TargetGroupProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

driver!(TargetGroupDriver, TargetGroupProps);

fn attributes(arn: &str) -> Attributes {
    Attributes::from([
        ("id".to_string(), arn.to_string()),
        ("arn".to_string(), arn.to_string()),
        ("dimension".to_string(), format!("targetgroup/{}", dimension_of(arn, ":targetgroup/"))),
    ])
}

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let mut groups = Vec::new();
    let mut pages = clients.elb.describe_target_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeTargetGroups", "the stack's target groups")?;
        // Every name wl-infra gives starts with the stack's: others' tags need not be read.
        let prefix = format!("{}-", clients.stack);
        groups.extend(
            page.target_groups()
                .iter()
                .filter(|g| g.target_group_name().is_some_and(|n| n.starts_with(&prefix)))
                .cloned(),
        );
    }
    let arns: Vec<String> = groups.iter().filter_map(|g| g.target_group_arn().map(str::to_string)).collect();
    let tags = read_tags(clients, &arns).await?;
    let reads = groups.iter().filter_map(|group| {
        let arn = group.target_group_arn().unwrap_or_default();
        let (id, tags) = owned(clients, tags.get(arn))?;
        Some(async move {
            let output = clients.elb.describe_target_group_attributes().target_group_arn(arn).send().await;
            let delay = match output.aws("DescribeTargetGroupAttributes", arn) {
                Ok(output) => output
                    .attributes()
                    .iter()
                    .find(|attribute| attribute.key() == Some(DEREGISTRATION_DELAY))
                    .and_then(|attribute| attribute.value())
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(300),
                Err(error) if error.is_not_found() => return Ok(None),
                Err(error) => return Err(error),
            };
            Ok::<_, AwsError>(Some(live_resource(
                Kind::TargetGroup,
                id,
                arn,
                &props_of(group, delay, tags),
                attributes(arn),
            )))
        })
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn props_of(group: &TargetGroup, delay: i64, tags: Tags) -> TargetGroupProps {
    TargetGroupProps {
        name: group.target_group_name().unwrap_or_default().to_string(),
        protocol: group.protocol().map_or("", |p| p.as_str()).to_string(),
        port: group.port().unwrap_or(0),
        vpc_id: group.vpc_id().unwrap_or_default().to_string(),
        target_type: group.target_type().map_or("", |t| t.as_str()).to_string(),
        health_check_path: group.health_check_path().unwrap_or_default().to_string(),
        health_check_matcher: group.matcher().and_then(|m| m.http_code()).unwrap_or_default().to_string(),
        health_check_interval_seconds: group.health_check_interval_seconds().unwrap_or(0),
        healthy_threshold: group.healthy_threshold_count().unwrap_or(0),
        unhealthy_threshold: group.unhealthy_threshold_count().unwrap_or(0),
        deregistration_delay_seconds: delay,
        tags,
    }
}

async fn set_deregistration_delay(
    context: &StepContext<'_>,
    arn: &str,
    props: &TargetGroupProps,
) -> Result<(), AwsError> {
    context
        .clients
        .elb
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(props.deregistration_delay_seconds.to_string())
                .build(),
        )
        .send()
        .await
        .aws("ModifyTargetGroupAttributes", &context.resource())?;
    Ok(())
}

fn matcher(props: &TargetGroupProps) -> Matcher {
    Matcher::builder().http_code(&props.health_check_matcher).build()
}

/// Creates the target group (a repeated create with the same settings answers with the same one).
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: TargetGroupProps = context.decode(props)?;
    let output = context
        .clients
        .elb
        .create_target_group()
        .name(&props.name)
        .protocol(ProtocolEnum::from(props.protocol.as_str()))
        .port(props.port)
        .vpc_id(&props.vpc_id)
        .target_type(TargetTypeEnum::from(props.target_type.as_str()))
        .health_check_path(&props.health_check_path)
        .matcher(matcher(&props))
        .health_check_interval_seconds(props.health_check_interval_seconds)
        .healthy_threshold_count(props.healthy_threshold)
        .unhealthy_threshold_count(props.unhealthy_threshold)
        .set_tags(Some(tags::elb_list(&props.tags)))
        .send()
        .await
        .aws("CreateTargetGroup", &context.resource())?;
    let arn = output.target_groups().first().and_then(|g| g.target_group_arn()).unwrap_or_default().to_string();
    set_deregistration_delay(context, &arn, &props).await?;
    Ok(attributes(&arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (TargetGroupProps, TargetGroupProps) = update.decode(context)?;
    let arn = update.physical_id;
    let health_fields = [
        "health_check_path",
        "health_check_matcher",
        "health_check_interval_seconds",
        "healthy_threshold",
        "unhealthy_threshold",
    ];
    if health_fields.iter().any(|field| update.changed(field)) {
        context
            .clients
            .elb
            .modify_target_group()
            .target_group_arn(arn)
            .health_check_path(&desired.health_check_path)
            .matcher(matcher(&desired))
            .health_check_interval_seconds(desired.health_check_interval_seconds)
            .healthy_threshold_count(desired.healthy_threshold)
            .unhealthy_threshold_count(desired.unhealthy_threshold)
            .send()
            .await
            .aws("ModifyTargetGroup", &context.resource())?;
    }
    if update.changed(TargetGroupProps::NAMES.deregistration_delay_seconds) {
        set_deregistration_delay(context, arn, &desired).await?;
    }
    tags::replace(context, tags::Style::Elb, arn, &desired.tags, &live.tags).await?;
    Ok(attributes(arn))
}

/// Deletes the target group. AWS refuses while a rule, a listener or a service still forwards to
/// it (ResourceInUse: "Target group '<arn>' is currently in use by a listener or a rule"), which
/// lasts a little after the rule moved or the service let go: waited out within the kind's limit.
pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    super::retry_while(context, "deleted", &["ResourceInUse"], || async {
        context
            .clients
            .elb
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
            .map(|_| ())
            .aws("DeleteTargetGroup", &resource)
    })
    .await
}
