//! Driver for the internet-facing application load balancer, and the ELB tagging helpers the target
//! group, listener and rule drivers share.

use std::collections::HashMap;

use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancer, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum, Tag,
};

use super::{error::from_sdk, tag_pairs, text, wait_for, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

pub fn elb_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// The tags of ELB resources by ARN: DescribeTags takes 20 ARNs a call; the calls run concurrently.
pub async fn read_tags(
    clients: &super::Clients,
    arns: &[String],
) -> Result<HashMap<String, Vec<(String, String)>>, AwsError> {
    let calls = arns.chunks(20).map(|batch| async move {
        let output = clients
            .elb
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| from_sdk("DescribeTags", "the stack's load balancing resources", e));
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

/// The logical id of an ELB resource whose tags say the stack owns it, and its `tags` value.
pub fn owned(clients: &super::Clients, tags: Option<&Vec<(String, String)>>) -> Option<(String, Value)> {
    let pairs: Vec<(&str, &str)> = tags?.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let id = super::owned_id(&clients.stack, pairs.iter().copied())?;
    Some((id, super::tags_value(pairs)))
}

/// Makes an ELB resource's tags equal to the desired ones.
pub async fn update_tags(
    context: &StepContext<'_>,
    kind: Kind,
    arn: &str,
    update: &Update<'_>,
) -> Result<(), AwsError> {
    let elb = &context.clients.elb;
    let resource = &context.resource(kind);
    super::replace_tags(
        update,
        |stale| async move {
            elb.remove_tags()
                .resource_arns(arn)
                .set_tag_keys(Some(stale))
                .send()
                .await
                .map_err(|e| from_sdk("RemoveTags", resource, e))?;
            Ok(())
        },
        || async move {
            elb.add_tags()
                .resource_arns(arn)
                .set_tags(Some(elb_tags(update.props)))
                .send()
                .await
                .map_err(|e| from_sdk("AddTags", resource, e))?;
            Ok(())
        },
    )
    .await
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

fn sorted(values: impl Iterator<Item = String>) -> Value {
    let mut values: Vec<Value> = values.map(Value::String).collect();
    values.sort();
    Value::List(values)
}

/// Reads the stack's load balancers, their listeners and the listeners' rules: three kinds that
/// can only be read in that order, each step one call (or one per load balancer or listener, all
/// at once) plus a tag read per 20 resources.
pub async fn discover_routing(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let mut balancers = Vec::new();
    let mut pages = clients.elb.describe_load_balancers().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeLoadBalancers", "the stack's load balancers", e))?;
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
            id,
            kind: Kind::LoadBalancer,
            physical_id: arn.to_string(),
            props: props_of(balancer, tags),
            attributes: attributes(balancer),
        });
    }
    let listeners = super::listener::discover_on(clients, live.iter().map(|b| b.physical_id.clone()).collect()).await?;
    let rules =
        super::listener_rule::discover_on(clients, listeners.iter().map(|l| l.physical_id.clone()).collect()).await?;
    live.extend(listeners);
    live.extend(rules);
    Ok(live)
}

/// One of the three kinds `discover_routing` reads (for a create's search for an earlier attempt).
pub async fn discover_routing_kind(clients: &super::Clients, kind: Kind) -> Result<Vec<LiveResource>, AwsError> {
    Ok(discover_routing(clients).await?.into_iter().filter(|resource| resource.kind == kind).collect())
}

/// The load balancers alone (their listeners and rules come with `discover_routing`).
pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    discover_routing_kind(clients, Kind::LoadBalancer).await
}

fn props_of(balancer: &LoadBalancer, tags: Value) -> Props {
    let mut props = Props::new();
    props.insert("name".into(), Value::string(balancer.load_balancer_name().unwrap_or_default()));
    props.insert("type".into(), Value::string(balancer.r#type().map_or("", |t| t.as_str())));
    props.insert("scheme".into(), Value::string(balancer.scheme().map_or("", |s| s.as_str())));
    props.insert(
        "subnet_ids".into(),
        sorted(balancer.availability_zones().iter().filter_map(|zone| zone.subnet_id().map(str::to_string))),
    );
    props.insert("security_group_ids".into(), sorted(balancer.security_groups().iter().cloned()));
    props.insert("tags".into(), tags);
    props
}

/// Waits until the load balancer has left `provisioning`.
async fn wait_active(context: &StepContext<'_>, arn: &str) -> Result<LoadBalancer, AwsError> {
    let resource = context.resource(Kind::LoadBalancer);
    wait_for(context, Kind::LoadBalancer, "active", || async {
        let output = context
            .clients
            .elb
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeLoadBalancers", &resource, e))?;
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
pub async fn wait_ready(context: &StepContext<'_>, arn: &str) -> Result<Attributes, AwsError> {
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
    let output = context
        .clients
        .elb
        .create_load_balancer()
        .name(text(props, "name"))
        .r#type(LoadBalancerTypeEnum::from(text(props, "type")))
        .scheme(LoadBalancerSchemeEnum::from(text(props, "scheme")))
        .set_subnets(Some(super::texts(props, "subnet_ids")))
        .set_security_groups(Some(super::texts(props, "security_group_ids")))
        .set_tags(Some(elb_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateLoadBalancer", &context.resource(Kind::LoadBalancer), e))?;
    let arn = output.load_balancers().first().and_then(|b| b.load_balancer_arn()).unwrap_or_default().to_string();
    Ok(attributes(&wait_active(context, &arn).await?))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::LoadBalancer);
    let elb = &context.clients.elb;
    let arn = update.physical_id;
    if update.changed("subnet_ids") {
        elb.set_subnets()
            .load_balancer_arn(arn)
            .set_subnets(Some(super::texts(update.props, "subnet_ids")))
            .send()
            .await
            .map_err(|e| from_sdk("SetSubnets", &resource, e))?;
    }
    if update.changed("security_group_ids") {
        elb.set_security_groups()
            .load_balancer_arn(arn)
            .set_security_groups(Some(super::texts(update.props, "security_group_ids")))
            .send()
            .await
            .map_err(|e| from_sdk("SetSecurityGroups", &resource, e))?;
    }
    update_tags(context, Kind::LoadBalancer, arn, update).await?;
    Ok(attributes(&wait_active(context, arn).await?))
}

/// Deletes the load balancer and waits until it is gone, so that its network interfaces start
/// being released before the subnets and security groups are deleted.
pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource(Kind::LoadBalancer);
    let elb = &context.clients.elb;
    elb.delete_load_balancer()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteLoadBalancer", &resource, e))?;
    super::wait_until(context, Kind::LoadBalancer, "deleted", || async {
        match elb.describe_load_balancers().load_balancer_arns(arn).send().await {
            Ok(output) => Ok(output.load_balancers().is_empty()),
            Err(e) => {
                let error = from_sdk("DescribeLoadBalancers", &resource, e);
                if error.is_not_found() {
                    Ok(true)
                } else {
                    Err(error)
                }
            }
        }
    })
    .await
}
