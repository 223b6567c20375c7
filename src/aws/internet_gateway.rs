//! Driver for the internet gateway and its attachment to the VPC.

use aws_sdk_ec2::types::ResourceType;

use super::{ec2_tags, error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_internet_gateways()
        .filters(ec2_tags::stack_filter(&clients.stack))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeInternetGateways", "the stack's internet gateways", e))?;
    Ok(output
        .internet_gateways()
        .iter()
        .filter_map(|gateway| {
            let id = ec2_tags::owned_id(&clients.stack, gateway.tags())?;
            let gateway_id = gateway.internet_gateway_id()?.to_string();
            let vpc_id = gateway.attachments().first().and_then(|attachment| attachment.vpc_id()).unwrap_or_default();
            let mut props = Props::new();
            props.insert("vpc_id".into(), Value::string(vpc_id));
            props.insert("tags".into(), ec2_tags::read(gateway.tags()));
            Some(LiveResource {
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::InternetGateway,
                physical_id: gateway_id.clone(),
                props,
                attributes: Attributes::from([("id".to_string(), gateway_id)]),
            })
        })
        .collect())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::InternetGateway);
    let output = context
        .clients
        .ec2
        .create_internet_gateway()
        .tag_specifications(ec2_tags::specification(ResourceType::InternetGateway, props))
        .customize()
        .config_override(super::no_sdk_retries())
        .send()
        .await
        .map_err(|e| from_sdk("CreateInternetGateway", &resource, e))?;
    let gateway_id = output.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
    attach(context, &gateway_id, text(props, "vpc_id")).await?;
    Ok(Attributes::from([("id".to_string(), gateway_id)]))
}

async fn attach(context: &StepContext<'_>, gateway_id: &str, vpc_id: &str) -> Result<(), AwsError> {
    let attached = context
        .clients
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(gateway_id)
        .vpc_id(vpc_id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("AttachInternetGateway", &context.resource(Kind::InternetGateway), e));
    super::done_if(attached, &["Resource.AlreadyAssociated"])
}

/// Detaches the gateway. AWS refuses while public addresses are mapped in the VPC
/// (DependencyViolation: "Network vpc-... has some mapped public address(es). Please unmap those
/// public address(es) before detaching the gateway."): a NAT gateway's address or a deleted load
/// balancer's interfaces are released minutes later, so that is waited out within the kind's limit.
async fn detach(context: &StepContext<'_>, gateway_id: &str, vpc_id: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::InternetGateway);
    super::retry_while(context, Kind::InternetGateway, "detached", &["DependencyViolation"], || async {
        context
            .clients
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(gateway_id)
            .vpc_id(vpc_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("DetachInternetGateway", &resource, e))
    })
    .await
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    if update.changed("vpc_id") {
        let attached = text(update.live, "vpc_id");
        if !attached.is_empty() {
            detach(context, update.physical_id, attached).await?;
        }
        attach(context, update.physical_id, text(update.props, "vpc_id")).await?;
    }
    ec2_tags::update(context, update).await?;
    Ok(Attributes::from([("id".to_string(), update.physical_id.to_string())]))
}

/// Detaches the gateway from its VPC (AWS refuses to delete an attached one), then deletes it.
pub async fn delete(context: &StepContext<'_>, gateway_id: &str, live: &Props) -> Result<(), AwsError> {
    let attached = text(live, "vpc_id");
    if !attached.is_empty() {
        match detach(context, gateway_id, attached).await {
            Err(error) if error.code() == Some("Gateway.NotAttached") || error.is_not_found() => {}
            other => other?,
        }
    }
    context
        .clients
        .ec2
        .delete_internet_gateway()
        .internet_gateway_id(gateway_id)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteInternetGateway", &context.resource(Kind::InternetGateway), e))?;
    Ok(())
}
