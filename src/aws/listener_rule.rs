//! Driver for each service's listener rule: its paths forward to its target group, at a priority
//! derived from the service's name (see `graph::rule_priorities`).

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, PathPatternConditionConfig, Rule, RuleCondition, RulePriorityPair,
};

use super::load_balancer::{elb_tags, owned, read_tags, update_tags};
use super::{error::from_sdk, integer, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

fn attributes(arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), arn.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The owned rules of the given listeners: one DescribeRules per listener, all at once.
pub async fn discover_on(clients: &super::Clients, listeners: Vec<String>) -> Result<Vec<LiveResource>, AwsError> {
    let reads = listeners.iter().map(|listener| async move {
        // DescribeRules has no paginator in the SDK; follow the marker by hand.
        let mut rules = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = clients.elb.describe_rules().listener_arn(listener).set_marker(marker.clone()).send().await;
            match output.map_err(|e| from_sdk("DescribeRules", listener, e)) {
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
    let rules: Vec<(String, Rule)> = futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect();
    let arns: Vec<String> = rules
        .iter()
        .filter(|(_, rule)| !rule.is_default().unwrap_or(false))
        .filter_map(|(_, r)| r.rule_arn().map(str::to_string))
        .collect();
    let tags = read_tags(clients, &arns).await?;
    Ok(rules
        .iter()
        .filter_map(|(listener, rule)| {
            let arn = rule.rule_arn().unwrap_or_default();
            let (id, tags) = owned(clients, tags.get(arn))?;
            Some(LiveResource {
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::ListenerRule,
                physical_id: arn.to_string(),
                props: props_of(listener, rule, tags),
                attributes: attributes(arn),
            })
        })
        .collect())
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    super::load_balancer::discover_routing_kind(clients, Kind::ListenerRule).await
}

fn props_of(listener: &str, rule: &Rule, tags: Value) -> Props {
    let mut paths: Vec<Value> = rule
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
        .map(Value::String)
        .collect();
    paths.sort();
    paths.dedup();
    let target = rule
        .actions()
        .iter()
        .find(|action| action.r#type() == Some(&ActionTypeEnum::Forward))
        .and_then(|action| {
            action.target_group_arn().map(str::to_string).or_else(|| {
                action
                    .forward_config()
                    .and_then(|config| config.target_groups().first())
                    .and_then(|group| group.target_group_arn().map(str::to_string))
            })
        })
        .unwrap_or_default();
    let mut props = Props::new();
    props.insert("listener_arn".into(), Value::string(listener));
    props.insert("priority".into(), Value::Integer(rule.priority().and_then(|p| p.parse().ok()).unwrap_or(0)));
    props.insert("paths".into(), Value::List(paths));
    props.insert("target_group_arn".into(), Value::string(target));
    props.insert("tags".into(), tags);
    props
}

fn condition(props: &Props) -> RuleCondition {
    let paths: Vec<String> = super::texts(props, "paths");
    RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(PathPatternConditionConfig::builder().set_values(Some(paths)).build())
        .build()
}

fn forward(props: &Props) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(text(props, "target_group_arn")).build()
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let output = context
        .clients
        .elb
        .create_rule()
        .listener_arn(text(props, "listener_arn"))
        .priority(integer(props, "priority") as i32)
        .conditions(condition(props))
        .actions(forward(props))
        .set_tags(Some(elb_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateRule", &context.resource(Kind::ListenerRule), e))?;
    let arn = output.rules().first().and_then(|r| r.rule_arn()).unwrap_or_default().to_string();
    Ok(attributes(&arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let arn = update.physical_id;
    let resource = context.resource(Kind::ListenerRule);
    let elb = &context.clients.elb;
    if update.changed("paths") || update.changed("target_group_arn") {
        elb.modify_rule()
            .rule_arn(arn)
            .conditions(condition(update.props))
            .actions(forward(update.props))
            .send()
            .await
            .map_err(|e| from_sdk("ModifyRule", &resource, e))?;
    }
    if update.changed("priority") {
        elb.set_rule_priorities()
            .rule_priorities(
                RulePriorityPair::builder().rule_arn(arn).priority(integer(update.props, "priority") as i32).build(),
            )
            .send()
            .await
            .map_err(|e| from_sdk("SetRulePriorities", &resource, e))?;
    }
    update_tags(context, Kind::ListenerRule, arn, update).await?;
    Ok(attributes(arn))
}

pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .elb
        .delete_rule()
        .rule_arn(arn)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteRule", &context.resource(Kind::ListenerRule), e))?;
    Ok(())
}
