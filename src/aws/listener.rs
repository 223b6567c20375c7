//! Driver for the load balancer's listeners: HTTP (a fixed 404, or a redirect to HTTPS when the
//! stack has a certificate) and HTTPS.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, Listener, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum,
};

use super::load_balancer::{elb_tags, owned, read_tags, update_tags};
use super::{error::from_sdk, integer, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

fn attributes(arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), arn.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The owned listeners of the given load balancers: one DescribeListeners per load balancer, all at once.
pub async fn discover_on(clients: &super::Clients, balancers: Vec<String>) -> Result<Vec<LiveResource>, AwsError> {
    let reads = balancers.iter().map(|arn| async move {
        let mut listeners = Vec::new();
        let mut pages = clients.elb.describe_listeners().load_balancer_arn(arn).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page.map_err(|e| from_sdk("DescribeListeners", arn, e)) {
                Ok(page) => listeners.extend(page.listeners().iter().cloned()),
                Err(error) if error.is_not_found() => break,
                Err(error) => return Err(error),
            }
        }
        Ok::<_, AwsError>(listeners)
    });
    let listeners: Vec<Listener> = futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect();
    let arns: Vec<String> = listeners.iter().filter_map(|l| l.listener_arn().map(str::to_string)).collect();
    let tags = read_tags(clients, &arns).await?;
    Ok(listeners
        .iter()
        .filter_map(|listener| {
            let arn = listener.listener_arn().unwrap_or_default();
            let (id, tags) = owned(clients, tags.get(arn))?;
            Some(LiveResource {
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::Listener,
                physical_id: arn.to_string(),
                props: props_of(listener, tags),
                attributes: attributes(arn),
            })
        })
        .collect())
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    super::load_balancer::discover_routing_kind(clients, Kind::Listener).await
}

/// A default action in the graph's shape: the fields of a fixed response or of a redirect.
pub fn action_value(action: &Action) -> Value {
    let mut map = BTreeMap::new();
    let mut put = |key: &str, value: &str| {
        map.insert(key.to_string(), Value::string(value));
    };
    match action.r#type() {
        Some(ActionTypeEnum::FixedResponse) => {
            let config = action.fixed_response_config();
            put("type", "fixed-response");
            put("status_code", config.and_then(|c| c.status_code()).unwrap_or_default());
            put("content_type", config.and_then(|c| c.content_type()).unwrap_or_default());
            put("message_body", config.and_then(|c| c.message_body()).unwrap_or_default());
        }
        Some(ActionTypeEnum::Redirect) => {
            let config = action.redirect_config();
            put("type", "redirect");
            put("protocol", config.and_then(|c| c.protocol()).unwrap_or_default());
            put("port", config.and_then(|c| c.port()).unwrap_or_default());
            put("status_code", config.and_then(|c| c.status_code()).map_or("", |c| c.as_str()));
        }
        other => put("type", other.map_or("", |t| t.as_str())),
    }
    Value::Map(map)
}

fn props_of(listener: &Listener, tags: Value) -> Props {
    let mut props = Props::new();
    props.insert("load_balancer_arn".into(), Value::string(listener.load_balancer_arn().unwrap_or_default()));
    props.insert("port".into(), Value::Integer(i64::from(listener.port().unwrap_or(0))));
    props.insert("protocol".into(), Value::string(listener.protocol().map_or("", |p| p.as_str())));
    if let Some(action) = listener.default_actions().first() {
        props.insert("default_action".into(), action_value(action));
    }
    if let Some(certificate) = listener.certificates().first().and_then(|c| c.certificate_arn()) {
        props.insert("certificate_arn".into(), Value::string(certificate));
    }
    if let Some(policy) = listener.ssl_policy() {
        props.insert("ssl_policy".into(), Value::string(policy));
    }
    props.insert("tags".into(), tags);
    props
}

fn default_action(props: &Props) -> Action {
    let empty = BTreeMap::new();
    let action = props.get("default_action").and_then(Value::as_map).unwrap_or(&empty);
    let field = |key: &str| action.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    if field("type") == "redirect" {
        Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(field("protocol"))
                    .port(field("port"))
                    .status_code(RedirectActionStatusCodeEnum::from(field("status_code").as_str()))
                    .build(),
            )
            .build()
    } else {
        Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(field("status_code"))
                    .content_type(field("content_type"))
                    .message_body(field("message_body"))
                    .build(),
            )
            .build()
    }
}

fn certificates(props: &Props) -> Option<Vec<Certificate>> {
    let arn = props.get("certificate_arn").and_then(Value::as_str)?;
    Some(vec![Certificate::builder().certificate_arn(arn).build()])
}

/// Creates the listener (a repeated create with the same settings answers with the same one).
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let output = context
        .clients
        .elb
        .create_listener()
        .load_balancer_arn(text(props, "load_balancer_arn"))
        .port(integer(props, "port") as i32)
        .protocol(ProtocolEnum::from(text(props, "protocol")))
        .set_certificates(certificates(props))
        .set_ssl_policy(props.get("ssl_policy").and_then(Value::as_str).map(str::to_string))
        .default_actions(default_action(props))
        .set_tags(Some(elb_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateListener", &context.resource(Kind::Listener), e))?;
    let arn = output.listeners().first().and_then(|l| l.listener_arn()).unwrap_or_default().to_string();
    Ok(attributes(&arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let arn = update.physical_id;
    if update.changes.iter().any(|change| change.field != "tags") {
        let props = update.props;
        context
            .clients
            .elb
            .modify_listener()
            .listener_arn(arn)
            .port(integer(props, "port") as i32)
            .protocol(ProtocolEnum::from(text(props, "protocol")))
            .set_certificates(certificates(props))
            .set_ssl_policy(props.get("ssl_policy").and_then(Value::as_str).map(str::to_string))
            .default_actions(default_action(props))
            .send()
            .await
            .map_err(|e| from_sdk("ModifyListener", &context.resource(Kind::Listener), e))?;
    }
    update_tags(context, Kind::Listener, arn, update).await?;
    Ok(attributes(arn))
}

pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .elb
        .delete_listener()
        .listener_arn(arn)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteListener", &context.resource(Kind::Listener), e))?;
    Ok(())
}
