//! Driver for security groups and their ingress rules (compared as a set, drift reverted).

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup, UserIdGroupPair,
};

use super::driver::driver;
use super::{id_attributes, live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::network::{IngressRule, SecurityGroupProps};
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(SecurityGroupDriver, SecurityGroupProps);

/// The source of a rule that admits the group's own members.
pub use crate::graph::OWN_SECURITY_GROUP as OWN_GROUP;

/// The ingress rules of a group in the graph's shape: one rule per (protocol, ports, source). Every
/// kind of source AWS has is read (IPv4 and IPv6 ranges, groups, prefix lists), so a rule added by
/// hand shows in the plan, whatever its kind, and apply revokes it.
fn read_rules(group: &SecurityGroup) -> Vec<IngressRule> {
    let own_id = group.group_id().unwrap_or_default();
    let mut rules = Vec::new();
    for permission in group.ip_permissions() {
        let protocol = permission.ip_protocol().unwrap_or("-1").to_string();
        let from_port = permission.from_port().unwrap_or(-1);
        let to_port = permission.to_port().unwrap_or(-1);
        let rule = |source: &str, description: Option<&str>| IngressRule {
            description: description.unwrap_or_default().to_string(),
            from_port,
            protocol: protocol.clone(),
            source: source.to_string(),
            to_port,
        };
        for range in permission.ip_ranges() {
            rules.push(rule(range.cidr_ip().unwrap_or_default(), range.description()));
        }
        for range in permission.ipv6_ranges() {
            rules.push(rule(range.cidr_ipv6().unwrap_or_default(), range.description()));
        }
        for pair in permission.user_id_group_pairs() {
            let source = pair.group_id().unwrap_or_default();
            let source = if !own_id.is_empty() && source == own_id { OWN_GROUP } else { source };
            rules.push(rule(source, pair.description()));
        }
        for list in permission.prefix_list_ids() {
            rules.push(rule(list.prefix_list_id().unwrap_or_default(), list.description()));
        }
    }
    rules.sort();
    rules
}

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_security_groups()
        .filters(tags::ec2_stack_filter(&clients.stack))
        .send()
        .await
        .aws("DescribeSecurityGroups", "the stack's security groups")?;
    Ok(output
        .security_groups()
        .iter()
        .filter_map(|group| {
            let id = tags::ec2_owned_id(&clients.stack, group.tags())?;
            let group_id = group.group_id()?;
            let props = SecurityGroupProps {
                name: group.group_name().unwrap_or_default().to_string(),
                description: group.description().unwrap_or_default().to_string(),
                vpc_id: group.vpc_id().unwrap_or_default().to_string(),
                ingress: read_rules(group),
                tags: tags::ec2_read(group.tags()),
            };
            Some(live_resource(Kind::SecurityGroup, id, group_id, &props, id_attributes(group_id)))
        })
        .collect())
}

/// What a rule's source is, from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Ipv4,
    Ipv6,
    Group,
    /// The group itself (`self` in the graph: its members reach each other).
    OwnGroup,
    PrefixList,
}

pub fn source_kind(source: &str) -> Source {
    if source == OWN_GROUP {
        Source::OwnGroup
    } else if source.starts_with("sg-") {
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
fn permission(rule: &IngressRule, group_id: &str) -> IpPermission {
    let (source, description) = (rule.source.clone(), rule.description.clone());
    let builder = IpPermission::builder().ip_protocol(&rule.protocol).from_port(rule.from_port).to_port(rule.to_port);
    match source_kind(&source) {
        Source::OwnGroup => builder
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(group_id).description(description).build())
            .build(),
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

async fn authorize(context: &StepContext<'_>, group_id: &str, rules: &[&IngressRule]) -> Result<(), AwsError> {
    if rules.is_empty() {
        return Ok(());
    }
    let authorized = context
        .clients
        .ec2
        .authorize_security_group_ingress()
        .group_id(group_id)
        .set_ip_permissions(Some(rules.iter().map(|rule| permission(rule, group_id)).collect()))
        .send()
        .await
        .map(|_| ())
        .aws("AuthorizeSecurityGroupIngress", &context.resource());
    super::done_if(authorized, &["InvalidPermission.Duplicate"])
}

async fn revoke(context: &StepContext<'_>, group_id: &str, rules: &[&IngressRule]) -> Result<(), AwsError> {
    if rules.is_empty() {
        return Ok(());
    }
    let revoked = context
        .clients
        .ec2
        .revoke_security_group_ingress()
        .group_id(group_id)
        .set_ip_permissions(Some(rules.iter().map(|rule| permission(rule, group_id)).collect()))
        .send()
        .await
        .map(|_| ())
        .aws("RevokeSecurityGroupIngress", &context.resource());
    super::done_if(revoked, &["InvalidPermission.NotFound"])
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: SecurityGroupProps = context.decode(props)?;
    let output = context
        .clients
        .ec2
        .create_security_group()
        .group_name(&props.name)
        .description(&props.description)
        .vpc_id(&props.vpc_id)
        .tag_specifications(tags::ec2_specification(ResourceType::SecurityGroup, &props.tags))
        .send()
        .await
        .aws("CreateSecurityGroup", &context.resource())?;
    let group_id = output.group_id().unwrap_or_default().to_string();
    let rules: Vec<&IngressRule> = props.ingress.iter().collect();
    authorize(context, &group_id, &rules).await?;
    Ok(id_attributes(&group_id))
}

/// Revokes rules that are not desired (added by hand, or changed) and authorizes missing ones.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (SecurityGroupProps, SecurityGroupProps) = update.decode(context)?;
    if update.changed(SecurityGroupProps::NAMES.ingress) {
        let extra: Vec<&IngressRule> = live.ingress.iter().filter(|rule| !desired.ingress.contains(rule)).collect();
        let missing: Vec<&IngressRule> = desired.ingress.iter().filter(|rule| !live.ingress.contains(rule)).collect();
        revoke(context, update.physical_id, &extra).await?;
        authorize(context, update.physical_id, &missing).await?;
    }
    tags::replace(context, tags::Style::Ec2, update.physical_id, &desired.tags, &live.tags).await?;
    Ok(id_attributes(update.physical_id))
}

/// Waits until no network interface uses the group (those of stopped Fargate tasks and of a
/// deleted load balancer are released minutes after their owner is gone), then deletes it. A
/// DependencyViolation that still comes (an interface of another owner, a group that refers to
/// this one) is waited out too, within the kind's limit.
pub async fn delete(context: &StepContext<'_>, group_id: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    super::wait_for_network_interfaces_to_go(context, "group-id", group_id).await?;
    super::retry_while(context, "deleted", &["DependencyViolation"], || async {
        context
            .clients
            .ec2
            .delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .map(|_| ())
            .aws("DeleteSecurityGroup", &resource)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::props::encode;
    use crate::graph::Value;

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
        let mut sources: Vec<&str> = rules.iter().map(|rule| rule.source.as_str()).collect();
        sources.sort_unstable();
        assert_eq!(sources, vec!["2001:db8::/32", "203.0.113.0/24", "pl-4fa04526", "sg-0abc"]);
        for rule in &rules {
            let written = permission(rule, "sg-own");
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

    /// A rule naming the group itself reads as `self`, and `self` is written as the group's id.
    #[test]
    fn a_rule_from_the_group_itself_reads_and_writes_as_self() {
        let from_itself = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(8001)
            .to_port(8001)
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-app1").description("calls").build())
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-alb1").build())
            .build();
        let group = SecurityGroup::builder().group_id("sg-app1").ip_permissions(from_itself).build();
        let sources: Vec<String> = read_rules(&group).into_iter().map(|rule| rule.source).collect();
        assert_eq!(sources, vec!["sg-alb1".to_string(), "self".to_string()]);
        let own = read_rules(&group).into_iter().find(|rule| rule.source == "self").expect("the own rule");
        let written = permission(&own, "sg-app1");
        assert_eq!(written.user_id_group_pairs()[0].group_id(), Some("sg-app1"));
    }

    /// A rule reads as the map the graph builds for it, and rules sort as those maps do.
    #[test]
    fn rules_are_the_graph_s_maps_in_the_maps_order() {
        let rule = |description: &str, port: i32, source: &str| IngressRule {
            description: description.to_string(),
            from_port: port,
            protocol: "tcp".to_string(),
            source: source.to_string(),
            to_port: port,
        };
        let mut rules = [rule("b", 80, "sg-1"), rule("a", 443, "0.0.0.0/0"), rule("a", 80, "sg-2")];
        let map = |rule: &IngressRule| Value::Map(encode(rule));
        let mut maps: Vec<Value> = rules.iter().map(map).collect();
        maps.sort();
        rules.sort();
        assert_eq!(rules.iter().map(map).collect::<Vec<_>>(), maps);
        let keys: Vec<String> = encode(&rules[0]).into_keys().collect();
        assert_eq!(keys, ["description", "from_port", "protocol", "source", "to_port"]);
        assert_eq!(encode(&rules[0]).get("from_port"), Some(&Value::Integer(80)));
    }
}
