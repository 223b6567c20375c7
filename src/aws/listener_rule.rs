//! Driver for each service's listener rule: its paths forward to its target group, at a priority
//! derived from the service's name (see `graph::rule_priorities`).

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, HttpHeaderConditionConfig, PathPatternConditionConfig, Rule,
    RuleCondition, RulePriorityPair, TargetGroupTuple, TargetHealthStateEnum,
};

use super::driver::driver;
use super::driver::found_with_owner as discover;
use super::load_balancer::{owned, read_tags};
use super::origin_verify::OriginSecret;
use super::props::Tags;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::ListenerRuleProps;
use crate::graph::{Kind, Props};
use crate::plan::LiveResource;

driver!(ListenerRuleDriver, ListenerRuleProps);

fn attributes(arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), arn.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The owned rules of the given listeners: one DescribeRules per listener, all at once.
pub async fn discover_on(clients: &Clients, listeners: Vec<String>) -> Result<Vec<LiveResource>, AwsError> {
    let reads = listeners.iter().map(|listener| async move {
        // DescribeRules has no paginator in the SDK; follow the marker by hand.
        let mut rules = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = clients.elb.describe_rules().listener_arn(listener).set_marker(marker.clone()).send().await;
            match output.aws("DescribeRules", listener) {
                Ok(output) => {
                    rules.extend(output.rules().iter().cloned().map(|rule| (listener.clone(), rule)));
                    marker = output.next_marker().map(str::to_string);
                    if marker.is_none() {
                        break;
                    }
                }
                Err(error) if error.is_not_found() => break,
                Err(error) => return Err(error),
            }
        }
        Ok::<_, AwsError>(rules)
    });
    let rules: Vec<(String, Rule)> = super::bounded(reads.collect()).await?.into_iter().flatten().collect();
    let arns: Vec<String> = rules
        .iter()
        .filter(|(_, rule)| !rule.is_default().unwrap_or(false))
        .filter_map(|(_, r)| r.rule_arn().map(str::to_string))
        .collect();
    let tags = read_tags(clients, &arns).await?;
    // The origin secret is read only when a rule requires the header.
    let origin_secret = if rules.iter().any(|(_, rule)| !origin_verify_values(rule).is_empty()) {
        super::origin_verify::read_stack(clients).await?
    } else {
        None
    };
    Ok(rules
        .iter()
        .filter_map(|(listener, rule)| {
            let arn = rule.rule_arn().unwrap_or_default();
            let (id, tags) = owned(clients, tags.get(arn))?;
            let props = props_of(listener, rule, tags, origin_secret.as_ref());
            Some(live_resource(Kind::ListenerRule, id, arn, &props, attributes(arn)))
        })
        .collect())
}

/// The values the rule's `X-Origin-Verify` header condition accepts.
fn origin_verify_values(rule: &Rule) -> Vec<String> {
    rule.conditions()
        .iter()
        .filter(|condition| condition.field() == Some("http-header"))
        .filter_map(|condition| condition.http_header_config())
        .filter(|config| {
            config.http_header_name().is_some_and(|name| name.eq_ignore_ascii_case(super::origin_verify::HEADER))
        })
        .flat_map(|config| config.values().to_vec())
        .collect()
}

fn props_of(listener: &str, rule: &Rule, tags: Tags, origin_secret: Option<&OriginSecret>) -> ListenerRuleProps {
    let verified = origin_verify_values(rule);
    let mut paths: Vec<String> = rule
        .conditions()
        .iter()
        .filter(|condition| condition.field() == Some("path-pattern"))
        .flat_map(|condition| {
            // AWS answers with both the old `values` and `path_pattern_config`; either will do.
            let configured = condition.path_pattern_config().map(|c| c.values().to_vec()).unwrap_or_default();
            if configured.is_empty() {
                condition.values().to_vec()
            } else {
                configured
            }
        })
        .collect();
    paths.sort();
    paths.dedup();
    let (target, standby) = forward_targets(rule.actions());
    ListenerRuleProps {
        listener_arn: listener.to_string(),
        priority: rule.priority().and_then(|p| p.parse().ok()).unwrap_or(0),
        paths,
        target_group_arn: target,
        standby_target_group_arn: standby,
        origin_verify_secret: super::origin_verify::live_reference(origin_secret, OriginSecret::accepted, &verified),
        tags,
    }
}

/// The group a forward action sends traffic to (the heaviest), and a group beside it with weight
/// 0 (a rule an interrupted port change left forwarding to both). AWS answers a plain forward
/// with both `TargetGroupArn` and a one-group `ForwardConfig`.
pub fn forward_targets(actions: &[Action]) -> (String, Option<String>) {
    let Some(action) = actions.iter().find(|action| action.r#type() == Some(&ActionTypeEnum::Forward)) else {
        return (String::new(), None);
    };
    let mut groups: Vec<(&str, i32)> = action
        .forward_config()
        .map(|config| config.target_groups())
        .unwrap_or_default()
        .iter()
        .filter_map(|group| Some((group.target_group_arn()?, group.weight().unwrap_or(1))))
        .collect();
    if groups.is_empty() {
        return (action.target_group_arn().unwrap_or_default().to_string(), None);
    }
    // Heaviest first; equal weights keep AWS's order.
    groups.sort_by_key(|(_, weight)| std::cmp::Reverse(*weight));
    let standby = groups.iter().skip(1).find(|(_, weight)| *weight == 0).map(|(arn, _)| arn.to_string());
    (groups[0].0.to_string(), standby)
}

/// The rule's conditions: its paths, and behind CloudFront the origin secret's values in its
/// header (at most 3 paths and 2 values: "up to five match evaluations per rule", ALB listener
/// rules).
fn conditions(props: &ListenerRuleProps, origin_verify: Option<&OriginSecret>) -> Vec<RuleCondition> {
    let mut conditions = vec![RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(PathPatternConditionConfig::builder().set_values(Some(props.paths.clone())).build())
        .build()];
    if let Some(secret) = origin_verify {
        conditions.push(
            RuleCondition::builder()
                .field("http-header")
                .http_header_config(
                    HttpHeaderConditionConfig::builder()
                        .http_header_name(super::origin_verify::HEADER)
                        .set_values(Some(secret.accepted()))
                        .build(),
                )
                .build(),
        );
    }
    conditions
}

/// The origin secret the rule requires, read for a create or update.
async fn origin_verify(context: &StepContext<'_>, props: &ListenerRuleProps) -> Result<Option<OriginSecret>, AwsError> {
    let Some(secret) = &props.origin_verify_secret else { return Ok(None) };
    super::origin_verify::read_required(context, secret).await.map(Some)
}

/// Forwards to the target group; with a standby group, to both: every request to the first
/// (weight 1), none to the standby (weight 0), which only associates it with the load balancer
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html:
/// weights 0 to 999).
pub fn forward(props: &ListenerRuleProps) -> Action {
    let action = Action::builder().r#type(ActionTypeEnum::Forward);
    match &props.standby_target_group_arn {
        None => action.target_group_arn(&props.target_group_arn).build(),
        Some(standby) => action
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(
                        TargetGroupTuple::builder().target_group_arn(&props.target_group_arn).weight(1).build(),
                    )
                    .target_groups(TargetGroupTuple::builder().target_group_arn(standby).weight(0).build())
                    .build(),
            )
            .build(),
    }
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: ListenerRuleProps = context.decode(props)?;
    let secret = origin_verify(context, &props).await?;
    let output = context
        .clients
        .elb
        .create_rule()
        .listener_arn(&props.listener_arn)
        .priority(props.priority)
        .set_conditions(Some(conditions(&props, secret.as_ref())))
        .actions(forward(&props))
        .set_tags(Some(tags::elb_list(&props.tags)))
        .send()
        .await
        .aws("CreateRule", &context.resource())?;
    let arn = output.rules().first().and_then(|r| r.rule_arn()).unwrap_or_default().to_string();
    Ok(attributes(&arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (ListenerRuleProps, ListenerRuleProps) = update.decode(context)?;
    let arn = update.physical_id;
    let resource = context.resource();
    let elb = &context.clients.elb;
    if update.changed(ListenerRuleProps::NAMES.target_group_arn) && desired.standby_target_group_arn.is_none() {
        wait_until_the_standby_serves(context, arn, &desired.target_group_arn).await?;
    }
    let modified = ["paths", "target_group_arn", "standby_target_group_arn", "origin_verify_secret"];
    if modified.iter().any(|field| update.changed(field)) {
        let secret = origin_verify(context, &desired).await?;
        elb.modify_rule()
            .rule_arn(arn)
            .set_conditions(Some(conditions(&desired, secret.as_ref())))
            .actions(forward(&desired))
            .send()
            .await
            .aws("ModifyRule", &resource)?;
    }
    if update.changed(ListenerRuleProps::NAMES.priority) {
        elb.set_rule_priorities()
            .rule_priorities(RulePriorityPair::builder().rule_arn(arn).priority(desired.priority).build())
            .send()
            .await
            .aws("SetRulePriorities", &resource)?;
    }
    tags::replace(context, tags::Style::Elb, arn, &desired.tags, &live.tags).await?;
    Ok(attributes(arn))
}

/// A rule that forwards to `new_group` as its standby (weight 0, beside the group it serves from)
/// moves to it once it can serve: when it has a healthy target (the service's new tasks passed its
/// health check) or the group served from now has none left (nothing is lost by moving). Until
/// then the old group keeps every request, so a service moving to a new target group never leaves
/// requests with a group that has no target. A rule without that standby moves at once.
async fn wait_until_the_standby_serves(context: &StepContext<'_>, arn: &str, new_group: &str) -> Result<(), AwsError> {
    let resource = context.resource();
    let elb = &context.clients.elb;
    let rules = elb.describe_rules().rule_arns(arn).send().await.aws("DescribeRules", &resource)?;
    let (serving, standby) = rules.rules().first().map(|rule| forward_targets(rule.actions())).unwrap_or_default();
    if standby.as_deref() != Some(new_group) {
        return Ok(());
    }
    let healthy = |group: String| {
        let resource = resource.clone();
        async move {
            let output = elb.describe_target_health().target_group_arn(&group).send().await;
            let output = output.aws("DescribeTargetHealth", &resource)?;
            Ok::<_, AwsError>(
                output
                    .target_health_descriptions()
                    .iter()
                    .filter(|target| {
                        target.target_health().and_then(|health| health.state())
                            == Some(&TargetHealthStateEnum::Healthy)
                    })
                    .count(),
            )
        }
    };
    super::wait_until(context, "serving from its new target group", || async {
        Ok(healthy(new_group.to_string()).await? > 0 || healthy(serving.clone()).await? == 0)
    })
    .await
}

pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    context.clients.elb.delete_rule().rule_arn(arn).send().await.aws("DeleteRule", &context.resource())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(standby: Option<&str>) -> ListenerRuleProps {
        ListenerRuleProps {
            listener_arn: "listener".into(),
            priority: 10,
            paths: vec!["/api/movies*".into()],
            target_group_arn: "tg-old".into(),
            standby_target_group_arn: standby.map(str::to_string),
            origin_verify_secret: None,
            tags: Tags::new(),
        }
    }

    #[test]
    fn a_standby_group_is_forwarded_to_with_no_traffic_and_reads_back_as_standby() {
        let both = forward(&props(Some("tg-new")));
        let groups = both.forward_config().expect("a forward config").target_groups();
        let weights: Vec<(&str, Option<i32>)> =
            groups.iter().map(|g| (g.target_group_arn().unwrap_or_default(), g.weight())).collect();
        assert_eq!(weights, vec![("tg-old", Some(1)), ("tg-new", Some(0))]);
        assert_eq!(forward_targets(&[both]), ("tg-old".to_string(), Some("tg-new".to_string())));
        let alone = forward(&props(None));
        assert_eq!(alone.target_group_arn(), Some("tg-old"));
        assert_eq!(forward_targets(&[alone]), ("tg-old".to_string(), None));
    }

    #[test]
    fn the_heaviest_group_is_the_target_whatever_the_order_aws_answers_in() {
        let action = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(TargetGroupTuple::builder().target_group_arn("tg-new").weight(0).build())
                    .target_groups(TargetGroupTuple::builder().target_group_arn("tg-old").weight(1).build())
                    .build(),
            )
            .build();
        assert_eq!(forward_targets(&[action]), ("tg-old".to_string(), Some("tg-new".to_string())));
    }
}
