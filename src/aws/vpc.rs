//! Driver for the VPC: CIDR block and DNS attributes.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName, VpcState};

use super::driver::driver;
use super::{
    id_attributes, live_resource, tags, wait_until, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update,
};
use crate::graph::properties::network::VpcProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(VpcDriver, VpcProps);

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_vpcs()
        .filters(tags::ec2_stack_filter(&clients.stack))
        .send()
        .await
        .aws("DescribeVpcs", "the stack's vpcs")?;
    let mut live = Vec::new();
    for vpc in output.vpcs() {
        let (Some(id), Some(vpc_id)) = (tags::ec2_owned_id(&clients.stack, vpc.tags()), vpc.vpc_id()) else { continue };
        let (dns_support, dns_hostnames) = tokio::join!(
            attribute(clients, vpc_id, VpcAttributeName::EnableDnsSupport),
            attribute(clients, vpc_id, VpcAttributeName::EnableDnsHostnames)
        );
        let props = VpcProps {
            cidr_block: vpc.cidr_block().unwrap_or_default().to_string(),
            enable_dns_support: dns_support?,
            enable_dns_hostnames: dns_hostnames?,
            tags: tags::ec2_read(vpc.tags()),
        };
        live.push(live_resource(Kind::Vpc, id, vpc_id, &props, id_attributes(vpc_id)));
    }
    Ok(live)
}

async fn attribute(clients: &Clients, vpc_id: &str, name: VpcAttributeName) -> Result<bool, AwsError> {
    let call = clients.ec2.describe_vpc_attribute().vpc_id(vpc_id).attribute(name.clone());
    let output = call.send().await.aws("DescribeVpcAttribute", vpc_id)?;
    let value = match name {
        VpcAttributeName::EnableDnsHostnames => output.enable_dns_hostnames(),
        _ => output.enable_dns_support(),
    };
    Ok(value.and_then(AttributeBooleanValue::value).unwrap_or(false))
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: VpcProps = context.decode(props)?;
    let resource = context.resource();
    let output = context
        .clients
        .ec2
        .create_vpc()
        .cidr_block(&props.cidr_block)
        .tag_specifications(tags::ec2_specification(ResourceType::Vpc, &props.tags))
        .customize()
        .config_override(super::no_sdk_retries())
        .send()
        .await
        .aws("CreateVpc", &resource)?;
    let vpc_id = output.vpc().and_then(|vpc| vpc.vpc_id()).unwrap_or_default().to_string();
    wait_until(context, "available", || async {
        let output = context.clients.ec2.describe_vpcs().vpc_ids(&vpc_id).send().await;
        match output.aws_or_gone("DescribeVpcs", &resource)? {
            Some(output) => Ok(output.vpcs().iter().any(|vpc| vpc.state() == Some(&VpcState::Available))),
            None => Ok(false),
        }
    })
    .await?;
    set_dns(context, &vpc_id, &props, true, true).await?;
    Ok(id_attributes(&vpc_id))
}

/// Sets the DNS attributes; AWS takes one attribute per call, support before hostnames.
async fn set_dns(
    context: &StepContext<'_>,
    vpc_id: &str,
    props: &VpcProps,
    support: bool,
    hostnames: bool,
) -> Result<(), AwsError> {
    let resource = context.resource();
    let ec2 = &context.clients.ec2;
    if support {
        let value = AttributeBooleanValue::builder().value(props.enable_dns_support).build();
        let call = ec2.modify_vpc_attribute().vpc_id(vpc_id).enable_dns_support(value);
        call.send().await.aws("ModifyVpcAttribute", &resource)?;
    }
    if hostnames {
        let value = AttributeBooleanValue::builder().value(props.enable_dns_hostnames).build();
        let call = ec2.modify_vpc_attribute().vpc_id(vpc_id).enable_dns_hostnames(value);
        call.send().await.aws("ModifyVpcAttribute", &resource)?;
    }
    Ok(())
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (VpcProps, VpcProps) = update.decode(context)?;
    let (support, hostnames) =
        (update.changed(VpcProps::NAMES.enable_dns_support), update.changed(VpcProps::NAMES.enable_dns_hostnames));
    set_dns(context, update.physical_id, &desired, support, hostnames).await?;
    tags::replace(context, tags::Style::Ec2, update.physical_id, &desired.tags, &live.tags).await?;
    Ok(id_attributes(update.physical_id))
}

pub async fn delete(context: &StepContext<'_>, vpc_id: &str, _live: &Props) -> Result<(), AwsError> {
    let call = context.clients.ec2.delete_vpc().vpc_id(vpc_id);
    call.send().await.aws("DeleteVpc", &context.resource())?;
    Ok(())
}
