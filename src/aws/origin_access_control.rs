//! Driver for the CloudFront origin access control that signs the distribution's requests to the
//! frontend bucket. Origin access controls carry no tags: the stack's one is found by its name.

use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};

use super::{error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{physical_name, Kind, Props, Value};
use crate::plan::LiveResource;

fn attributes(id: &str) -> Attributes {
    Attributes::from([("id".to_string(), id.to_string())])
}

fn config(props: &Props, resource: &str) -> Result<OriginAccessControlConfig, AwsError> {
    OriginAccessControlConfig::builder()
        .name(text(props, "name"))
        .description(text(props, "description"))
        .signing_protocol(OriginAccessControlSigningProtocols::from(text(props, "signing_protocol")))
        .signing_behavior(OriginAccessControlSigningBehaviors::from(text(props, "signing_behavior")))
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::from(text(props, "origin_type")))
        .build()
        .map_err(|e| {
            AwsError::refused(resource, format!("cannot build the configuration: {e}; this is a bug in wl-infra"))
        })
}

/// One listing; the stack's origin access control is the one with its name, and one with the name
/// of before (`<stack>-frontend`, which carried no region) that `used_by` (the ids the stack's
/// distributions read through) names.
pub async fn discover(clients: &super::Clients, used_by: &[String]) -> Result<Vec<LiveResource>, AwsError> {
    let name = crate::graph::access_control_name(&clients.stack, &clients.region);
    let legacy = physical_name(&clients.stack, "frontend");
    let mut live = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let output = clients
            .cloudfront
            .list_origin_access_controls()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| from_sdk("ListOriginAccessControls", "the stack's origin access control", e))?;
        let Some(list) = output.origin_access_control_list() else { break };
        let ours = |summary: &&aws_sdk_cloudfront::types::OriginAccessControlSummary| {
            summary.name() == name || (summary.name() == legacy && used_by.iter().any(|id| id == summary.id()))
        };
        for summary in list.items().iter().filter(ours) {
            let mut props = Props::new();
            props.insert("name".into(), Value::string(summary.name()));
            props.insert("description".into(), Value::string(summary.description()));
            props.insert("origin_type".into(), Value::string(summary.origin_access_control_origin_type().as_str()));
            props.insert("signing_behavior".into(), Value::string(summary.signing_behavior().as_str()));
            props.insert("signing_protocol".into(), Value::string(summary.signing_protocol().as_str()));
            live.push(LiveResource {
                state: crate::plan::LiveState::Ready,
                id: "frontend-oac".to_string(),
                kind: Kind::OriginAccessControl,
                physical_id: summary.id().to_string(),
                props,
                attributes: attributes(summary.id()),
            });
        }
        marker = list.next_marker().filter(|_| list.is_truncated()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    Ok(live)
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::OriginAccessControl);
    let output = context
        .clients
        .cloudfront
        .create_origin_access_control()
        .origin_access_control_config(config(props, &resource)?)
        .send()
        .await
        .map_err(|e| from_sdk("CreateOriginAccessControl", &resource, e))?;
    Ok(attributes(output.origin_access_control().map_or("", |control| control.id())))
}

async fn etag(context: &StepContext<'_>, id: &str) -> Result<String, AwsError> {
    let output = context
        .clients
        .cloudfront
        .get_origin_access_control()
        .id(id)
        .send()
        .await
        .map_err(|e| from_sdk("GetOriginAccessControl", &context.resource(Kind::OriginAccessControl), e))?;
    Ok(output.e_tag().unwrap_or_default().to_string())
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::OriginAccessControl);
    let etag = etag(context, update.physical_id).await?;
    context
        .clients
        .cloudfront
        .update_origin_access_control()
        .id(update.physical_id)
        .if_match(etag)
        .origin_access_control_config(config(update.props, &resource)?)
        .send()
        .await
        .map_err(|e| from_sdk("UpdateOriginAccessControl", &resource, e))?;
    Ok(attributes(update.physical_id))
}

pub async fn delete(context: &StepContext<'_>, id: &str, _live: &Props) -> Result<(), AwsError> {
    let etag = etag(context, id).await?;
    context
        .clients
        .cloudfront
        .delete_origin_access_control()
        .id(id)
        .if_match(etag)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteOriginAccessControl", &context.resource(Kind::OriginAccessControl), e))?;
    Ok(())
}
