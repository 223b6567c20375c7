//! Driver for the CloudFront origin access control that signs the distribution's requests to the
//! frontend bucket. Origin access controls carry no tags: the stack's one is found by its name.

use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};

use super::driver::driver;
use super::driver::found_with_owner as discover;
use super::{id_attributes, live_resource, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::edge::OriginAccessControlProps;
use crate::graph::{physical_name, Kind, Props};
use crate::plan::LiveResource;

driver!(OriginAccessControlDriver, OriginAccessControlProps);

fn config(props: &OriginAccessControlProps, resource: &str) -> Result<OriginAccessControlConfig, AwsError> {
    OriginAccessControlConfig::builder()
        .name(&props.name)
        .description(&props.description)
        .signing_protocol(OriginAccessControlSigningProtocols::from(props.signing_protocol.as_str()))
        .signing_behavior(OriginAccessControlSigningBehaviors::from(props.signing_behavior.as_str()))
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::from(props.origin_type.as_str()))
        .build()
        .map_err(|e| {
            AwsError::refused(resource, format!("cannot build the configuration: {e}; this is a bug in wl-infra"))
        })
}

/// One listing; the stack's origin access control is the one with its name, and one with the name
/// of before (`<stack>-frontend`, which carried no region) that `used_by` (the ids the stack's
/// distributions read through) names. The distributions' discovery calls it.
pub async fn discover_on(clients: &Clients, used_by: &[String]) -> Result<Vec<LiveResource>, AwsError> {
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
            .aws("ListOriginAccessControls", "the stack's origin access control")?;
        let Some(list) = output.origin_access_control_list() else { break };
        let ours = |summary: &&aws_sdk_cloudfront::types::OriginAccessControlSummary| {
            summary.name() == name || (summary.name() == legacy && used_by.iter().any(|id| id == summary.id()))
        };
        for summary in list.items().iter().filter(ours) {
            let props = OriginAccessControlProps {
                name: summary.name().to_string(),
                description: summary.description().to_string(),
                origin_type: summary.origin_access_control_origin_type().as_str().to_string(),
                signing_behavior: summary.signing_behavior().as_str().to_string(),
                signing_protocol: summary.signing_protocol().as_str().to_string(),
            };
            let id = summary.id();
            live.push(live_resource(
                Kind::OriginAccessControl,
                "frontend-oac".to_string(),
                id,
                &props,
                id_attributes(id),
            ));
        }
        marker = list.next_marker().filter(|_| list.is_truncated()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    Ok(live)
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: OriginAccessControlProps = context.decode(props)?;
    let resource = context.resource();
    let output = context
        .clients
        .cloudfront
        .create_origin_access_control()
        .origin_access_control_config(config(&props, &resource)?)
        .send()
        .await
        .aws("CreateOriginAccessControl", &resource)?;
    Ok(id_attributes(output.origin_access_control().map_or("", |control| control.id())))
}

async fn etag(context: &StepContext<'_>, id: &str) -> Result<String, AwsError> {
    let output = context
        .clients
        .cloudfront
        .get_origin_access_control()
        .id(id)
        .send()
        .await
        .aws("GetOriginAccessControl", &context.resource())?;
    Ok(output.e_tag().unwrap_or_default().to_string())
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, _live): (OriginAccessControlProps, OriginAccessControlProps) = update.decode(context)?;
    let resource = context.resource();
    let etag = etag(context, update.physical_id).await?;
    context
        .clients
        .cloudfront
        .update_origin_access_control()
        .id(update.physical_id)
        .if_match(etag)
        .origin_access_control_config(config(&desired, &resource)?)
        .send()
        .await
        .aws("UpdateOriginAccessControl", &resource)?;
    Ok(id_attributes(update.physical_id))
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
        .aws("DeleteOriginAccessControl", &context.resource())?;
    Ok(())
}
