//! Driver for the scalable targets of the stack's services: Application Auto Scaling owns a
//! service's task count between `min` and `max` (`[services.NAME.scaling]`); its policies
//! (`scaling_policy`) are found through it.
//!
//! RegisterScalableTarget "registers or updates a scalable target" (API_RegisterScalableTarget), so
//! a create and an update are the same call; tags go with the register of a new target and by
//! the target's ARN afterwards. "Deregistering a scalable target deletes the scaling policies ...
//! associated with it" (API_DeregisterScalableTarget); a target or policy that is not there is
//! answered with ObjectNotFoundException.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};

use super::driver::driver;
use super::props::tags_of;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::monitoring::ScalableTargetProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(ScalableTargetDriver, ScalableTargetProps);

fn attributes(resource_id: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), resource_id.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The ECS scalable targets of the stack's cluster, each with its tags, then their policies.
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("service/{}/", clients.stack);
    let mut targets = Vec::new();
    let mut pages = clients
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeScalableTargets", "the stack's scalable targets")?;
        targets.extend(page.scalable_targets().iter().filter(|t| t.resource_id().starts_with(&prefix)).cloned());
    }
    let reads = targets.iter().map(|target| async move {
        let arn = target.scalable_target_arn().unwrap_or_default();
        let tagged = clients.autoscaling.list_tags_for_resource().resource_arn(arn).send().await;
        let Some(tagged) = tagged.aws_or_gone("ListTagsForResource", target.resource_id())? else { return Ok(None) };
        let pairs: Vec<(&str, &str)> =
            tagged.tags().map(|tags| tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()).unwrap_or_default();
        let Some(owner) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let props = ScalableTargetProps {
            service_namespace: target.service_namespace().as_str().to_string(),
            resource_id: target.resource_id().to_string(),
            scalable_dimension: target.scalable_dimension().as_str().to_string(),
            min_capacity: target.min_capacity(),
            max_capacity: target.max_capacity(),
            tags: tags_of(pairs),
        };
        let mut found = vec![live_resource(
            Kind::ScalableTarget,
            owner,
            target.resource_id(),
            &props,
            attributes(target.resource_id(), arn),
        )];
        found.extend(super::scaling_policy::discover_on(clients, target.resource_id()).await?);
        Ok::<_, AwsError>(Some(found))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().flatten().collect())
}

async fn register(context: &StepContext<'_>, props: &ScalableTargetProps, tags: bool) -> Result<String, AwsError> {
    let map: Option<HashMap<String, String>> = tags.then(|| props.tags.clone().into_iter().collect());
    let output = context
        .clients
        .autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::from(props.service_namespace.as_str()))
        .resource_id(&props.resource_id)
        .scalable_dimension(ScalableDimension::from(props.scalable_dimension.as_str()))
        .min_capacity(props.min_capacity)
        .max_capacity(props.max_capacity)
        .set_tags(map)
        .send()
        .await
        .aws("RegisterScalableTarget", &context.resource())?;
    Ok(output.scalable_target_arn().unwrap_or_default().to_string())
}

pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: ScalableTargetProps = context.decode(resolved)?;
    let arn = register(context, &props, true).await?;
    Ok(attributes(&props.resource_id, &arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (ScalableTargetProps, ScalableTargetProps) = update.decode(context)?;
    let arn = register(context, &desired, false).await?;
    tags::replace(context, tags::Style::ApplicationAutoScaling, &arn, &desired.tags, &live.tags).await?;
    Ok(attributes(&desired.resource_id, &arn))
}

/// Deregisters the target (its policies go with it), before its service is deleted.
pub async fn delete(context: &StepContext<'_>, resource_id: &str, live: &Props) -> Result<(), AwsError> {
    let props: ScalableTargetProps = context.decode(live)?;
    let result = context
        .clients
        .autoscaling
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::from(props.service_namespace.as_str()))
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::from(props.scalable_dimension.as_str()))
        .send()
        .await;
    result.aws_or_gone("DeregisterScalableTarget", &context.resource())?;
    Ok(())
}
