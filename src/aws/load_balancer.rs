//! Driver for the internet-facing application load balancer, and the ELB tagging helpers the target
//! group, listener and rule drivers share.

use std::collections::HashMap;

use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancer, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
};

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{live_resource, tags, wait_for, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::LoadBalancerProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(LoadBalancerDriver, LoadBalancerProps, wait_ready = wait_ready);

/// The tags of ELB resources by ARN: DescribeTags takes 20 ARNs a call; the calls run concurrently.
pub async fn read_tags(clients: &Clients, arns: &[String]) -> Result<HashMap<String, Vec<(String, String)>>, AwsError> {
    let calls = arns.chunks(20).map(|batch| async move {
        let output = clients
            .elb
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
            .aws("DescribeTags", "the stack's load balancing resources");
        match output {
            Ok(output) => Ok(output
                .tag_descriptions()
                .iter()
                .map(|description| {
                    let tags = description
                        .tags()
                        .iter()
                        .map(|tag| {
                            (tag.key().unwrap_or_default().to_string(), tag.value().unwrap_or_default().to_string())
                        })
                        .collect();
                    (description.resource_arn().unwrap_or_default().to_string(), tags)
                })
                .collect::<Vec<_>>()),
            // One of them was deleted between the listing and this read: read the rest one by one.
            Err(error) if error.is_not_found() && batch.len() > 1 => {
                let mut found = Vec::new();
                for arn in batch {
                    if let Some(entry) = Box::pin(read_tags(clients, std::slice::from_ref(arn))).await?.remove(arn) {
                        found.push((arn.clone(), entry));
                    }
                }
                Ok(found)
            }
            Err(error) if error.is_not_found() => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    });
    Ok(super::bounded(calls.collect()).await?.into_iter().flatten().collect())
}

/// The logical id of an ELB resource whose tags say the stack owns it, and its tags.
pub fn owned(clients: &Clients, tags: Option<&Vec<(String, String)>>) -> Option<(String, Tags)> {
    let pairs = tags?.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let id = super::owned_id(&clients.stack, pairs.clone())?;
    Some((id, tags_of(pairs)))
}

/// The part of an ELB ARN CloudWatch uses as a metric dimension (`app/<name>/<id>`).
pub fn dimension_of(arn: &str, marker: &str) -> String {
    arn.split_once(marker).map_or("", |(_, tail)| tail).to_string()
}

fn attributes(balancer: &LoadBalancer) -> Attributes {
    let arn = balancer.load_balancer_arn().unwrap_or_default();
    Attributes::from([
        ("id".to_string(), arn.to_string()),
        ("arn".to_string(), arn.to_string()),
        ("dns_name".to_string(), balancer.dns_name().unwrap_or_default().to_string()),
        ("dimension".to_string(), dimension_of(arn, ":loadbalancer/")),
    ])
}

fn sorted(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut values: Vec<String> = values.collect();
    values.sort();
    values
}

/// Reads the stack's load balancers, their listeners and the listeners' rules: three kinds that
/// can only be read in that order, each step one call (or one per load balancer or listener, all
/// at once) plus a tag read per 20 resources.
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let mut balancers = Vec::new();
    let mut pages = clients.elb.describe_load_balancers().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeLoadBalancers", "the stack's load balancers")?;
        // Every name wl-infra gives starts with the stack's: others' tags need not be read.
        let prefix = format!("{}-", clients.stack);
        balancers.extend(
            page.load_balancers()
                .iter()
                .filter(|b| b.load_balancer_name().is_some_and(|n| n.starts_with(&prefix)))
                .cloned(),
        );
    }
    let arns: Vec<String> = balancers.iter().filter_map(|b| b.load_balancer_arn().map(str::to_string)).collect();
    let tags = read_tags(clients, &arns).await?;
    let mut live = Vec::new();
    for balancer in &balancers {
        let arn = balancer.load_balancer_arn().unwrap_or_default();
        let Some((id, tags)) = owned(clients, tags.get(arn)) else { continue };
        live.push(LiveResource {
            state: live_state(balancer),
            ..live_resource(Kind::LoadBalancer, id, arn, &props_of(balancer, tags), attributes(balancer))
        });
    }
    let listeners = super::listener::discover_on(clients, live.iter().map(|b| b.physical_id.clone()).collect()).await?;
    let rules =
        super::listener_rule::discover_on(clients, listeners.iter().map(|l| l.physical_id.clone()).collect()).await?;
    live.extend(listeners);
    live.extend(rules);
    Ok(live)
}

fn props_of(balancer: &LoadBalancer, tags: Tags) -> LoadBalancerProps {
    LoadBalancerProps {
        name: balancer.load_balancer_name().unwrap_or_default().to_string(),
        r#type: balancer.r#type().map_or("", |t| t.as_str()).to_string(),
        scheme: balancer.scheme().map_or("", |s| s.as_str()).to_string(),
        subnet_ids: sorted(
            balancer.availability_zones().iter().filter_map(|zone| zone.subnet_id().map(str::to_string)),
        ),
        security_group_ids: sorted(balancer.security_groups().iter().cloned()),
        tags,
    }
}

/// Waits until the load balancer has left `provisioning`.
async fn wait_active(context: &StepContext<'_>, arn: &str) -> Result<LoadBalancer, AwsError> {
    let resource = context.resource();
    wait_for(context, "active", || async {
        let output = context
            .clients
            .elb
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
            .aws("DescribeLoadBalancers", &resource)?;
        let Some(balancer) = output.load_balancers().first() else { return Ok(None) };
        match balancer.state().and_then(|state| state.code()) {
            Some(LoadBalancerStateEnum::Active | LoadBalancerStateEnum::ActiveImpaired) => Ok(Some(balancer.clone())),
            Some(LoadBalancerStateEnum::Failed) => Err(AwsError::refused(
                resource.clone(),
                format!(
                    "provisioning failed: {}; check the subnets and security group, then apply again",
                    balancer.state().and_then(|s| s.reason()).unwrap_or("no reason given")
                ),
            )),
            _ => Ok(None),
        }
    })
    .await
}

/// Waits until a load balancer an earlier run left provisioning is active.
pub async fn wait_ready(context: &StepContext<'_>, arn: &str, _known: &Attributes) -> Result<Attributes, AwsError> {
    Ok(attributes(&wait_active(context, arn).await?))
}

/// Where a load balancer stands for the plan.
pub fn live_state(balancer: &LoadBalancer) -> crate::plan::LiveState {
    match balancer.state().and_then(|state| state.code()) {
        Some(LoadBalancerStateEnum::Provisioning) => crate::plan::LiveState::Pending("provisioning".to_string()),
        _ => crate::plan::LiveState::Ready,
    }
}

/// Creates the load balancer (a repeated create with the same settings answers with the same one)
/// and waits until it is active.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: LoadBalancerProps = context.decode(props)?;
    let output = context
        .clients
        .elb
        .create_load_balancer()
        .name(props.name)
        .r#type(LoadBalancerTypeEnum::from(props.r#type.as_str()))
        .scheme(LoadBalancerSchemeEnum::from(props.scheme.as_str()))
        .set_subnets(Some(props.subnet_ids))
        .set_security_groups(Some(props.security_group_ids))
        .set_tags(Some(tags::elb_list(&props.tags)))
        .send()
        .await
        .aws("CreateLoadBalancer", &context.resource())?;
    let arn = output.load_balancers().first().and_then(|b| b.load_balancer_arn()).unwrap_or_default().to_string();
    Ok(attributes(&wait_active(context, &arn).await?))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (LoadBalancerProps, LoadBalancerProps) = update.decode(context)?;
    let resource = context.resource();
    let elb = &context.clients.elb;
    let arn = update.physical_id;
    if update.changed(LoadBalancerProps::NAMES.subnet_ids) {
        elb.set_subnets()
            .load_balancer_arn(arn)
            .set_subnets(Some(desired.subnet_ids))
            .send()
            .await
            .aws("SetSubnets", &resource)?;
    }
    if update.changed(LoadBalancerProps::NAMES.security_group_ids) {
        elb.set_security_groups()
            .load_balancer_arn(arn)
            .set_security_groups(Some(desired.security_group_ids))
            .send()
            .await
            .aws("SetSecurityGroups", &resource)?;
    }
    tags::replace(context, tags::Style::Elb, arn, &desired.tags, &live.tags).await?;
    Ok(attributes(&wait_active(context, arn).await?))
}

/// Deletes the load balancer and waits until it is gone, so that its network interfaces start
/// being released before the subnets and security groups are deleted.
pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    let elb = &context.clients.elb;
    elb.delete_load_balancer().load_balancer_arn(arn).send().await.aws("DeleteLoadBalancer", &resource)?;
    super::wait_until(context, "deleted", || async {
        let output = elb.describe_load_balancers().load_balancer_arns(arn).send().await;
        match output.aws_or_gone("DescribeLoadBalancers", &resource)? {
            Some(output) => Ok(output.load_balancers().is_empty()),
            None => Ok(true),
        }
    })
    .await
}
