//! Driver for the target tracking policies of the stack's scalable targets: a service's average
//! CPU, and the requests each of its tasks serves, kept at their targets by adding and removing
//! tasks. Found through their target (a policy has no tags).
//!
//! PutScalingPolicy "creates or updates a scaling policy" (API_PutScalingPolicy); it is refused
//! until the target is registered. ALBRequestCountPerTarget needs a ResourceLabel
//! `app/<load balancer>/<id>/targetgroup/<target group>/<id>` (PredefinedMetricSpecification).

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalingPolicy, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use super::driver::driver;
use super::driver::found_with_owner as discover;
use super::{live_resource, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::monitoring::ScalingPolicyProps;
use crate::graph::{Kind, Props};
use crate::plan::LiveResource;

driver!(ScalingPolicyDriver, ScalingPolicyProps);

/// The logical id of a policy the stack made: the graph names it `<stack>-<service>-<suffix>` and
/// gives it the id `scaling-<service>-<suffix>`.
fn logical_id(stack: &str, name: &str) -> Option<String> {
    name.strip_prefix(&format!("{stack}-")).map(|rest| format!("scaling-{rest}"))
}

/// The target tracking policies of one scalable target.
pub async fn discover_on(clients: &Clients, resource_id: &str) -> Result<Vec<LiveResource>, AwsError> {
    let mut found = Vec::new();
    let mut pages = clients
        .autoscaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeScalingPolicies", resource_id)?;
        for policy in page.scaling_policies() {
            let Some(id) = logical_id(&clients.stack, policy.policy_name()) else { continue };
            let Some(props) = props_of(policy) else { continue };
            let name = policy.policy_name();
            found.push(live_resource(Kind::ScalingPolicy, id, name, &props, super::id_attributes(name)));
        }
    }
    Ok(found)
}

fn props_of(policy: &ScalingPolicy) -> Option<ScalingPolicyProps> {
    let configuration = policy.target_tracking_scaling_policy_configuration()?;
    let metric = configuration.predefined_metric_specification();
    Some(ScalingPolicyProps {
        name: policy.policy_name().to_string(),
        service_namespace: policy.service_namespace().as_str().to_string(),
        resource_id: policy.resource_id().to_string(),
        scalable_dimension: policy.scalable_dimension().as_str().to_string(),
        metric: metric.map(|m| m.predefined_metric_type().as_str().to_string()).unwrap_or_default(),
        resource_label: metric.and_then(|m| m.resource_label()).unwrap_or_default().to_string(),
        target_value: crate::graph::format_threshold(configuration.target_value()),
        scale_out_cooldown_seconds: configuration.scale_out_cooldown().unwrap_or_default(),
        scale_in_cooldown_seconds: configuration.scale_in_cooldown().unwrap_or_default(),
    })
}

/// PutScalingPolicy puts the whole policy, so create and update share it.
async fn put(context: &StepContext<'_>, props: &ScalingPolicyProps) -> Result<Attributes, AwsError> {
    let resource = context.resource();
    let refused = |error: aws_sdk_applicationautoscaling::error::BuildError| {
        AwsError::refused(&resource, format!("{error}; this is a bug"))
    };
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(props.metric.as_str()))
        .set_resource_label(Some(props.resource_label.clone()).filter(|label| !label.is_empty()))
        .build()
        .map_err(refused)?;
    let target_value: f64 = props.target_value.parse().map_err(|_| {
        AwsError::refused(&resource, format!("target value {:?} is not a number; this is a bug", props.target_value))
    })?;
    let configuration = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(target_value)
        .predefined_metric_specification(metric)
        .scale_out_cooldown(props.scale_out_cooldown_seconds)
        .scale_in_cooldown(props.scale_in_cooldown_seconds)
        .build()
        .map_err(refused)?;
    context
        .clients
        .autoscaling
        .put_scaling_policy()
        .policy_name(&props.name)
        .service_namespace(ServiceNamespace::from(props.service_namespace.as_str()))
        .resource_id(&props.resource_id)
        .scalable_dimension(ScalableDimension::from(props.scalable_dimension.as_str()))
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(configuration)
        .send()
        .await
        .aws("PutScalingPolicy", &resource)?;
    Ok(super::id_attributes(&props.name))
}

pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: ScalingPolicyProps = context.decode(resolved)?;
    put(context, &props).await
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, _live): (ScalingPolicyProps, ScalingPolicyProps) = update.decode(context)?;
    put(context, &desired).await
}

/// Deletes the policy; one its target's deregistration took along is gone already.
pub async fn delete(context: &StepContext<'_>, name: &str, live: &Props) -> Result<(), AwsError> {
    let props: ScalingPolicyProps = context.decode(live)?;
    let result = context
        .clients
        .autoscaling
        .delete_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::from(props.service_namespace.as_str()))
        .resource_id(&props.resource_id)
        .scalable_dimension(ScalableDimension::from(props.scalable_dimension.as_str()))
        .send()
        .await;
    result.aws_or_gone("DeleteScalingPolicy", &context.resource())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_s_logical_id_comes_from_its_name() {
        assert_eq!(logical_id("shop", "shop-movie-cpu").as_deref(), Some("scaling-movie-cpu"));
        assert_eq!(logical_id("shop", "other-movie-cpu"), None);
    }
}
