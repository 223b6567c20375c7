//! Driver for security groups and their ingress rules (compared as a set, drift reverted).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, SecurityGroup, UserIdGroupPair};

use super::{ec2_tags, error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

/// The ingress rules of a group in the graph's shape: one map per (protocol, ports, source).
fn read_rules(group: &SecurityGroup) -> Value {
    let mut rules = Vec::new();
    for permission in group.ip_permissions() {
        let protocol = permission.ip_protocol().unwrap_or("-1").to_string();
        let from_port = i64::from(permission.from_port().unwrap_or(-1));
        let to_port = i64::from(permission.to_port().unwrap_or(-1));
        let rule = |source: &str, description: Option<&str>| {
            let mut map = BTreeMap::new();
            map.insert("protocol".to_string(), Value::string(&protocol));
            map.insert("from_port".to_string(), Value::Integer(from_port));
            map.insert("to_port".to_string(), Value::Integer(to_port));
            map.insert("source".to_string(), Value::string(source));
            map.insert("description".to_string(), Value::string(description.unwrap_or_default()));
            Value::Map(map)
        };
        for range in permission.ip_ranges() {
            rules.push(rule(range.cidr_ip().unwrap_or_default(), range.description()));
        }
        for pair in permission.user_id_group_pairs() {
            rules.push(rule(pair.group_id().unwrap_or_default(), pair.description()));
        }
    }
    rules.sort();
    Value::List(rules)
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_security_groups()
        .filters(ec2_tags::stack_filter(&clients.stack))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeSecurityGroups", "the stack's security groups", e))?;
    Ok(output
        .security_groups()
        .iter()
        .filter_map(|group| {
            let id = ec2_tags::owned_id(&clients.stack, group.tags())?;
            let group_id = group.group_id()?.to_string();
            let mut props = Props::new();
            props.insert("name".into(), Value::string(group.group_name().unwrap_or_default()));
            props.insert("description".into(), Value::string(group.description().unwrap_or_default()));
            props.insert("vpc_id".into(), Value::string(group.vpc_id().unwrap_or_default()));
            props.insert("ingress".into(), read_rules(group));
            props.insert("tags".into(), ec2_tags::read(group.tags()));
            Some(LiveResource {
                id,
                kind: Kind::SecurityGroup,
                physical_id: group_id.clone(),
                props,
                attributes: Attributes::from([("id".to_string(), group_id)]),
            })
        })
        .collect())
}

/// The API form of one rule; a source starting with `sg-` is a group, anything else a CIDR.
fn permission(rule: &Value) -> IpPermission {
    let field = |key: &str| rule.as_map().and_then(|map| map.get(key)).cloned().unwrap_or(Value::Unknown);
    let source = field("source").as_str().unwrap_or_default().to_string();
    let description = field("description").as_str().unwrap_or_default().to_string();
    let builder = IpPermission::builder()
        .ip_protocol(field("protocol").as_str().unwrap_or("tcp"))
        .from_port(field("from_port").as_i64().unwrap_or(-1) as i32)
        .to_port(field("to_port").as_i64().unwrap_or(-1) as i32);
    if source.starts_with("sg-") {
        builder
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(source).description(description).build())
            .build()
    } else {
        builder.ip_ranges(IpRange::builder().cidr_ip(source).description(description).build()).build()
    }
}

async fn authorize(context: &StepContext<'_>, group_id: &str, rules: &[&Value]) -> Result<(), AwsError> {
    if rules.is_empty() {
        return Ok(());
    }
    let authorized = context
        .clients
        .ec2
        .authorize_security_group_ingress()
        .group_id(group_id)
        .set_ip_permissions(Some(rules.iter().map(|rule| permission(rule)).collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("AuthorizeSecurityGroupIngress", &context.resource(Kind::SecurityGroup), e));
    super::done_if(authorized, &["InvalidPermission.Duplicate"])
}

async fn revoke(context: &StepContext<'_>, group_id: &str, rules: &[&Value]) -> Result<(), AwsError> {
    if rules.is_empty() {
        return Ok(());
    }
    let revoked = context
        .clients
        .ec2
        .revoke_security_group_ingress()
        .group_id(group_id)
        .set_ip_permissions(Some(rules.iter().map(|rule| permission(rule)).collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("RevokeSecurityGroupIngress", &context.resource(Kind::SecurityGroup), e));
    super::done_if(revoked, &["InvalidPermission.NotFound"])
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let output = context
        .clients
        .ec2
        .create_security_group()
        .group_name(text(props, "name"))
        .description(text(props, "description"))
        .vpc_id(text(props, "vpc_id"))
        .tag_specifications(ec2_tags::specification(ResourceType::SecurityGroup, props))
        .send()
        .await
        .map_err(|e| from_sdk("CreateSecurityGroup", &context.resource(Kind::SecurityGroup), e))?;
    let group_id = output.group_id().unwrap_or_default().to_string();
    let rules: Vec<&Value> = props.get("ingress").map(Value::as_list).unwrap_or_default().iter().collect();
    authorize(context, &group_id, &rules).await?;
    Ok(Attributes::from([("id".to_string(), group_id)]))
}

/// Revokes rules that are not desired (added by hand, or changed) and authorizes missing ones.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    if update.changed("ingress") {
        let desired = update.props.get("ingress").map(Value::as_list).unwrap_or_default();
        let live = update.live.get("ingress").map(Value::as_list).unwrap_or_default();
        let extra: Vec<&Value> = live.iter().filter(|rule| !desired.contains(rule)).collect();
        let missing: Vec<&Value> = desired.iter().filter(|rule| !live.contains(rule)).collect();
        revoke(context, update.physical_id, &extra).await?;
        authorize(context, update.physical_id, &missing).await?;
    }
    ec2_tags::update(context, update).await?;
    Ok(Attributes::from([("id".to_string(), update.physical_id.to_string())]))
}

/// Waits until no network interface uses the group (those of stopped Fargate tasks and of a
/// deleted load balancer are released minutes after their owner is gone), then deletes it. A
/// DependencyViolation that still comes (an interface from another owner) is retried by the executor.
pub async fn delete(context: &StepContext<'_>, group_id: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::SecurityGroup);
    let ec2 = &context.clients.ec2;
    super::wait_until(context, Kind::SecurityGroup, "free of network interfaces", || async {
        let output = ec2
            .describe_network_interfaces()
            .filters(aws_sdk_ec2::types::Filter::builder().name("group-id").values(group_id).build())
            .send()
            .await
            .map_err(|e| from_sdk("DescribeNetworkInterfaces", &resource, e))?;
        Ok(output.network_interfaces().is_empty())
    })
    .await?;
    ec2.delete_security_group()
        .group_id(group_id)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteSecurityGroup", &resource, e))?;
    Ok(())
}
