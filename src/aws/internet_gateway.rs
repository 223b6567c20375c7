//! Driver for the internet gateway and its attachment to the VPC.

use aws_sdk_ec2::types::ResourceType;

use super::driver::driver;
use super::{id_attributes, live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::network::InternetGatewayProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(InternetGatewayDriver, InternetGatewayProps);

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_internet_gateways()
        .filters(tags::ec2_stack_filter(&clients.stack))
        .send()
        .await
        .aws("DescribeInternetGateways", "the stack's internet gateways")?;
    Ok(output
        .internet_gateways()
        .iter()
        .filter_map(|gateway| {
            let id = tags::ec2_owned_id(&clients.stack, gateway.tags())?;
            let gateway_id = gateway.internet_gateway_id()?;
            let vpc_id = gateway.attachments().first().and_then(|attachment| attachment.vpc_id()).unwrap_or_default();
            let props = InternetGatewayProps { vpc_id: vpc_id.to_string(), tags: tags::ec2_read(gateway.tags()) };
            Some(live_resource(Kind::InternetGateway, id, gateway_id, &props, id_attributes(gateway_id)))
        })
        .collect())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: InternetGatewayProps = context.decode(props)?;
    let resource = context.resource();
    let output = context
        .clients
        .ec2
        .create_internet_gateway()
        .tag_specifications(tags::ec2_specification(ResourceType::InternetGateway, &props.tags))
        .customize()
        .config_override(super::no_sdk_retries())
        .send()
        .await
        .aws("CreateInternetGateway", &resource)?;
    let gateway_id = output.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
    attach(context, &gateway_id, &props.vpc_id).await?;
    Ok(id_attributes(&gateway_id))
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
        .aws("AttachInternetGateway", &context.resource());
    super::done_if(attached, &["Resource.AlreadyAssociated"])
}

/// Detaches the gateway. AWS refuses while public addresses are mapped in the VPC
/// (DependencyViolation: "Network vpc-... has some mapped public address(es). Please unmap those
/// public address(es) before detaching the gateway."): a NAT gateway's address or a deleted load
/// balancer's interfaces are released minutes later, so that is waited out within the kind's limit.
async fn detach(context: &StepContext<'_>, gateway_id: &str, vpc_id: &str) -> Result<(), AwsError> {
    let resource = context.resource();
    super::retry_while(context, "detached", &["DependencyViolation"], || async {
        context
            .clients
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(gateway_id)
            .vpc_id(vpc_id)
            .send()
            .await
            .map(|_| ())
            .aws("DetachInternetGateway", &resource)
    })
    .await
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (InternetGatewayProps, InternetGatewayProps) = update.decode(context)?;
    if update.changed(InternetGatewayProps::NAMES.vpc_id) {
        if !live.vpc_id.is_empty() {
            detach(context, update.physical_id, &live.vpc_id).await?;
        }
        attach(context, update.physical_id, &desired.vpc_id).await?;
    }
    tags::replace(context, tags::Style::Ec2, update.physical_id, &desired.tags, &live.tags).await?;
    Ok(id_attributes(update.physical_id))
}

/// Detaches the gateway from its VPC (AWS refuses to delete an attached one), then deletes it.
pub async fn delete(context: &StepContext<'_>, gateway_id: &str, live: &Props) -> Result<(), AwsError> {
    let live: InternetGatewayProps = context.decode(live)?;
    if !live.vpc_id.is_empty() {
        match detach(context, gateway_id, &live.vpc_id).await {
            Err(error) if error.code() == Some("Gateway.NotAttached") || error.is_not_found() => {}
            other => other?,
        }
    }
    let call = context.clients.ec2.delete_internet_gateway().internet_gateway_id(gateway_id);
    call.send().await.aws("DeleteInternetGateway", &context.resource())?;
    Ok(())
}
