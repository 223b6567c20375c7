//! Driver for security groups and their ingress rules (compared as a set, drift reverted).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup, UserIdGroupPair,
};

use super::{ec2_tags, error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

/// The ingress rules of a group in the graph's shape: one map per (protocol, ports, source). Every
/// kind of source AWS has is read (IPv4 and IPv6 ranges, groups, prefix lists), so a rule added by
/// hand shows in the plan, whatever its kind, and apply revokes it.
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
        for range in permission.ipv6_ranges() {
            rules.push(rule(range.cidr_ipv6().unwrap_or_default(), range.description()));
        }
        for pair in permission.user_id_group_pairs() {
            rules.push(rule(pair.group_id().unwrap_or_default(), pair.description()));
        }
        for list in permission.prefix_list_ids() {
            rules.push(rule(list.prefix_list_id().unwrap_or_default(), list.description()));
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
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::SecurityGroup,
                physical_id: group_id.clone(),
                props,
                attributes: Attributes::from([("id".to_string(), group_id)]),
            })
        })
        .collect())
}

/// What a rule's source is, from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Ipv4,
    Ipv6,
    Group,
    PrefixList,
}

pub fn source_kind(source: &str) -> Source {
    if source.starts_with("sg-") {
        Source::Group
    } else if source.starts_with("pl-") {
        Source::PrefixList
    } else if source.contains(':') {
        Source::Ipv6
    } else {
        Source::Ipv4
    }
}

/// The API form of one rule, its source in the field of its kind.
fn permission(rule: &Value) -> IpPermission {
    let field = |key: &str| rule.as_map().and_then(|map| map.get(key)).cloned().unwrap_or(Value::Unknown);
    let source = field("source").as_str().unwrap_or_default().to_string();
    let description = field("description").as_str().unwrap_or_default().to_string();
    let builder = IpPermission::builder()
        .ip_protocol(field("protocol").as_str().unwrap_or("tcp"))
        .from_port(field("from_port").as_i64().unwrap_or(-1) as i32)
        .to_port(field("to_port").as_i64().unwrap_or(-1) as i32);
    match source_kind(&source) {
        Source::Group => builder
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(source).description(description).build())
            .build(),
        Source::PrefixList => builder
            .prefix_list_ids(PrefixListId::builder().prefix_list_id(source).description(description).build())
            .build(),
        Source::Ipv6 => {
            builder.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(source).description(description).build()).build()
        }
        Source::Ipv4 => builder.ip_ranges(IpRange::builder().cidr_ip(source).description(description).build()).build(),
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
/// DependencyViolation that still comes (an interface of another owner, a group that refers to
/// this one) is waited out too, within the kind's limit.
pub async fn delete(context: &StepContext<'_>, group_id: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::SecurityGroup);
    super::wait_for_network_interfaces_to_go(context, Kind::SecurityGroup, "group-id", group_id).await?;
    super::retry_while(context, Kind::SecurityGroup, "deleted", &["DependencyViolation"], || async {
        context
            .clients
            .ec2
            .delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("DeleteSecurityGroup", &resource, e))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group as DescribeSecurityGroups answers it, with one rule of every source kind, the
    /// three a person might add by hand among them.
    #[test]
    fn every_kind_of_source_is_read_and_written_back_in_its_own_field() {
        let every_source = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(IpRange::builder().cidr_ip("203.0.113.0/24").build())
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("2001:db8::/32").description("ssh v6").build())
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-0abc").build())
            .prefix_list_ids(PrefixListId::builder().prefix_list_id("pl-4fa04526").build())
            .build();
        let group = SecurityGroup::builder().ip_permissions(every_source).build();
        let rules = read_rules(&group);
        let mut sources: Vec<&str> = rules
            .as_list()
            .iter()
            .filter_map(|rule| rule.as_map().and_then(|map| map.get("source")).and_then(Value::as_str))
            .collect();
        sources.sort_unstable();
        assert_eq!(sources, vec!["2001:db8::/32", "203.0.113.0/24", "pl-4fa04526", "sg-0abc"]);
        for rule in rules.as_list() {
            let written = permission(rule);
            let fields = [
                written.ip_ranges().len(),
                written.ipv6_ranges().len(),
                written.user_id_group_pairs().len(),
                written.prefix_list_ids().len(),
            ];
            assert_eq!(fields.iter().sum::<usize>(), 1, "one source in its own field: {written:?}");
        }
        assert_eq!(source_kind("2001:db8::/32"), Source::Ipv6);
        assert_eq!(source_kind("pl-4fa04526"), Source::PrefixList);
        assert_eq!(source_kind("0.0.0.0/0"), Source::Ipv4);
    }
}
