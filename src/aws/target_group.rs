//! Driver for each service's target group: IP targets (Fargate tasks), its health check and a
//! short deregistration delay.

use aws_sdk_elasticloadbalancingv2::types::{Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetTypeEnum};

use super::load_balancer::{dimension_of, elb_tags, owned, read_tags, update_tags};
use super::{error::from_sdk, integer, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

fn attributes(arn: &str) -> Attributes {
    Attributes::from([
        ("id".to_string(), arn.to_string()),
        ("arn".to_string(), arn.to_string()),
        ("dimension".to_string(), format!("targetgroup/{}", dimension_of(arn, ":targetgroup/"))),
    ])
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let mut groups = Vec::new();
    let mut pages = clients.elb.describe_target_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeTargetGroups", "the stack's target groups", e))?;
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
            let delay = match output.map_err(|e| from_sdk("DescribeTargetGroupAttributes", arn, e)) {
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
            Ok::<_, AwsError>(Some(LiveResource {
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::TargetGroup,
                physical_id: arn.to_string(),
                props: props_of(group, delay, tags),
                attributes: attributes(arn),
            }))
        })
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn props_of(group: &TargetGroup, delay: i64, tags: Value) -> Props {
    let mut props = Props::new();
    let number = |value: Option<i32>| Value::Integer(i64::from(value.unwrap_or(0)));
    props.insert("name".into(), Value::string(group.target_group_name().unwrap_or_default()));
    props.insert("protocol".into(), Value::string(group.protocol().map_or("", |p| p.as_str())));
    props.insert("port".into(), number(group.port()));
    props.insert("vpc_id".into(), Value::string(group.vpc_id().unwrap_or_default()));
    props.insert("target_type".into(), Value::string(group.target_type().map_or("", |t| t.as_str())));
    props.insert("health_check_path".into(), Value::string(group.health_check_path().unwrap_or_default()));
    props.insert(
        "health_check_matcher".into(),
        Value::string(group.matcher().and_then(|m| m.http_code()).unwrap_or_default()),
    );
    props.insert("health_check_interval_seconds".into(), number(group.health_check_interval_seconds()));
    props.insert("healthy_threshold".into(), number(group.healthy_threshold_count()));
    props.insert("unhealthy_threshold".into(), number(group.unhealthy_threshold_count()));
    props.insert("deregistration_delay_seconds".into(), Value::Integer(delay));
    props.insert("tags".into(), tags);
    props
}

async fn set_deregistration_delay(context: &StepContext<'_>, arn: &str, props: &Props) -> Result<(), AwsError> {
    context
        .clients
        .elb
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(integer(props, "deregistration_delay_seconds").to_string())
                .build(),
        )
        .send()
        .await
        .map_err(|e| from_sdk("ModifyTargetGroupAttributes", &context.resource(Kind::TargetGroup), e))?;
    Ok(())
}

fn matcher(props: &Props) -> Matcher {
    Matcher::builder().http_code(text(props, "health_check_matcher")).build()
}

/// Creates the target group (a repeated create with the same settings answers with the same one).
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let output = context
        .clients
        .elb
        .create_target_group()
        .name(text(props, "name"))
        .protocol(ProtocolEnum::from(text(props, "protocol")))
        .port(integer(props, "port") as i32)
        .vpc_id(text(props, "vpc_id"))
        .target_type(TargetTypeEnum::from(text(props, "target_type")))
        .health_check_path(text(props, "health_check_path"))
        .matcher(matcher(props))
        .health_check_interval_seconds(integer(props, "health_check_interval_seconds") as i32)
        .healthy_threshold_count(integer(props, "healthy_threshold") as i32)
        .unhealthy_threshold_count(integer(props, "unhealthy_threshold") as i32)
        .set_tags(Some(elb_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateTargetGroup", &context.resource(Kind::TargetGroup), e))?;
    let arn = output.target_groups().first().and_then(|g| g.target_group_arn()).unwrap_or_default().to_string();
    set_deregistration_delay(context, &arn, props).await?;
    Ok(attributes(&arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let arn = update.physical_id;
    let health_fields = [
        "health_check_path",
        "health_check_matcher",
        "health_check_interval_seconds",
        "healthy_threshold",
        "unhealthy_threshold",
    ];
    if health_fields.iter().any(|field| update.changed(field)) {
        let props = update.props;
        context
            .clients
            .elb
            .modify_target_group()
            .target_group_arn(arn)
            .health_check_path(text(props, "health_check_path"))
            .matcher(matcher(props))
            .health_check_interval_seconds(integer(props, "health_check_interval_seconds") as i32)
            .healthy_threshold_count(integer(props, "healthy_threshold") as i32)
            .unhealthy_threshold_count(integer(props, "unhealthy_threshold") as i32)
            .send()
            .await
            .map_err(|e| from_sdk("ModifyTargetGroup", &context.resource(Kind::TargetGroup), e))?;
    }
    if update.changed("deregistration_delay_seconds") {
        set_deregistration_delay(context, arn, update.props).await?;
    }
    update_tags(context, Kind::TargetGroup, arn, update).await?;
    Ok(attributes(arn))
}

/// Deletes the target group. AWS refuses while a rule, a listener or a service still forwards to
/// it (ResourceInUse: "Target group '<arn>' is currently in use by a listener or a rule"), which
/// lasts a little after the rule moved or the service let go: waited out within the kind's limit.
pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource(Kind::TargetGroup);
    super::retry_while(context, Kind::TargetGroup, "deleted", &["ResourceInUse"], || async {
        context
            .clients
            .elb
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("DeleteTargetGroup", &resource, e))
    })
    .await
}
