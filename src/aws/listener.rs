//! Driver for the load balancer's listeners: HTTP (a fixed 404, or a redirect to HTTPS when the
//! stack has a certificate) and HTTPS.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, Listener, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum,
};

use super::driver::driver;
use super::driver::found_with_owner as discover;
use super::load_balancer::{owned, read_tags};
use super::props::Tags;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::{DefaultAction, ListenerProps};
use crate::graph::{Kind, Props};
use crate::plan::LiveResource;

driver!(ListenerDriver, ListenerProps);

fn attributes(arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), arn.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The owned listeners of the given load balancers: one DescribeListeners per load balancer, all at once.
pub async fn discover_on(clients: &Clients, balancers: Vec<String>) -> Result<Vec<LiveResource>, AwsError> {
    let reads = balancers.iter().map(|arn| async move {
        let mut listeners = Vec::new();
        let mut pages = clients.elb.describe_listeners().load_balancer_arn(arn).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page.aws("DescribeListeners", arn) {
                Ok(page) => listeners.extend(page.listeners().iter().cloned()),
                Err(error) if error.is_not_found() => break,
                Err(error) => return Err(error),
            }
        }
        Ok::<_, AwsError>(listeners)
    });
    let listeners: Vec<Listener> = super::bounded(reads.collect()).await?.into_iter().flatten().collect();
    let arns: Vec<String> = listeners.iter().filter_map(|l| l.listener_arn().map(str::to_string)).collect();
    let tags = read_tags(clients, &arns).await?;
    Ok(listeners
        .iter()
        .filter_map(|listener| {
            let arn = listener.listener_arn().unwrap_or_default();
            let (id, tags) = owned(clients, tags.get(arn))?;
            Some(live_resource(Kind::Listener, id, arn, &props_of(listener, tags), attributes(arn)))
        })
        .collect())
}

/// A default action in the graph's shape: the fields of a fixed response or of a redirect.
pub fn action_value(action: &Action) -> DefaultAction {
    let answered = |value: Option<&str>| Some(value.unwrap_or_default().to_string());
    match action.r#type() {
        Some(ActionTypeEnum::FixedResponse) => {
            let config = action.fixed_response_config();
            DefaultAction {
                r#type: "fixed-response".to_string(),
                status_code: answered(config.and_then(|c| c.status_code())),
                content_type: answered(config.and_then(|c| c.content_type())),
                message_body: answered(config.and_then(|c| c.message_body())),
                ..DefaultAction::default()
            }
        }
        Some(ActionTypeEnum::Redirect) => {
            let config = action.redirect_config();
            DefaultAction {
                r#type: "redirect".to_string(),
                protocol: answered(config.and_then(|c| c.protocol())),
                port: answered(config.and_then(|c| c.port())),
                status_code: answered(config.and_then(|c| c.status_code()).map(|c| c.as_str())),
                ..DefaultAction::default()
            }
        }
        other => DefaultAction { r#type: other.map_or("", |t| t.as_str()).to_string(), ..DefaultAction::default() },
    }
}

/// The live properties. A listener without a default action (AWS answers with one always) reads
/// as an action of no type, which differs from every desired one.
fn props_of(listener: &Listener, tags: Tags) -> ListenerProps {
    ListenerProps {
        load_balancer_arn: listener.load_balancer_arn().unwrap_or_default().to_string(),
        port: listener.port().unwrap_or(0),
        protocol: listener.protocol().map_or("", |p| p.as_str()).to_string(),
        default_action: listener.default_actions().first().map(action_value).unwrap_or_default(),
        certificate_arn: listener.certificates().first().and_then(|c| c.certificate_arn()).map(str::to_string),
        ssl_policy: listener.ssl_policy().map(str::to_string),
        tags,
    }
}

fn default_action(action: &DefaultAction) -> Action {
    let field = |value: &Option<String>| value.clone().unwrap_or_default();
    if action.r#type == "redirect" {
        Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(field(&action.protocol))
                    .port(field(&action.port))
                    .status_code(RedirectActionStatusCodeEnum::from(field(&action.status_code).as_str()))
                    .build(),
            )
            .build()
    } else {
        Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(field(&action.status_code))
                    .content_type(field(&action.content_type))
                    .message_body(field(&action.message_body))
                    .build(),
            )
            .build()
    }
}

fn certificates(props: &ListenerProps) -> Option<Vec<Certificate>> {
    let arn = props.certificate_arn.as_deref()?;
    Some(vec![Certificate::builder().certificate_arn(arn).build()])
}

/// Creates the listener (a repeated create with the same settings answers with the same one).
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: ListenerProps = context.decode(props)?;
    let output = context
        .clients
        .elb
        .create_listener()
        .load_balancer_arn(&props.load_balancer_arn)
        .port(props.port)
        .protocol(ProtocolEnum::from(props.protocol.as_str()))
        .set_certificates(certificates(&props))
        .set_ssl_policy(props.ssl_policy)
        .default_actions(default_action(&props.default_action))
        .set_tags(Some(tags::elb_list(&props.tags)))
        .send()
        .await
        .aws("CreateListener", &context.resource())?;
    let arn = output.listeners().first().and_then(|l| l.listener_arn()).unwrap_or_default().to_string();
    Ok(attributes(&arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (ListenerProps, ListenerProps) = update.decode(context)?;
    let arn = update.physical_id;
    if update.changed_beyond_tags() {
        context
            .clients
            .elb
            .modify_listener()
            .listener_arn(arn)
            .port(desired.port)
            .protocol(ProtocolEnum::from(desired.protocol.as_str()))
            .set_certificates(certificates(&desired))
            .set_ssl_policy(desired.ssl_policy)
            .default_actions(default_action(&desired.default_action))
            .send()
            .await
            .aws("ModifyListener", &context.resource())?;
    }
    tags::replace(context, tags::Style::Elb, arn, &desired.tags, &live.tags).await?;
    Ok(attributes(arn))
}

pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    context.clients.elb.delete_listener().listener_arn(arn).send().await.aws("DeleteListener", &context.resource())?;
    Ok(())
}
