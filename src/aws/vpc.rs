//! Driver for the VPC: CIDR block and DNS attributes.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName, VpcState};

use super::{ec2_tags, error::from_sdk, flag, text, wait_until, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_vpcs()
        .filters(ec2_tags::stack_filter(&clients.stack))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeVpcs", "the stack's vpcs", e))?;
    let mut live = Vec::new();
    for vpc in output.vpcs() {
        let (Some(id), Some(vpc_id)) = (ec2_tags::owned_id(&clients.stack, vpc.tags()), vpc.vpc_id()) else { continue };
        let (dns_support, dns_hostnames) = tokio::join!(
            attribute(clients, vpc_id, VpcAttributeName::EnableDnsSupport),
            attribute(clients, vpc_id, VpcAttributeName::EnableDnsHostnames)
        );
        let mut props = Props::new();
        props.insert("cidr_block".into(), Value::string(vpc.cidr_block().unwrap_or_default()));
        props.insert("enable_dns_support".into(), Value::Bool(dns_support?));
        props.insert("enable_dns_hostnames".into(), Value::Bool(dns_hostnames?));
        props.insert("tags".into(), ec2_tags::read(vpc.tags()));
        live.push(LiveResource {
            state: crate::plan::LiveState::Ready,
            id,
            kind: Kind::Vpc,
            physical_id: vpc_id.to_string(),
            props,
            attributes: Attributes::from([("id".to_string(), vpc_id.to_string())]),
        });
    }
    Ok(live)
}

async fn attribute(clients: &super::Clients, vpc_id: &str, name: VpcAttributeName) -> Result<bool, AwsError> {
    let output = clients
        .ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(name.clone())
        .send()
        .await
        .map_err(|e| from_sdk("DescribeVpcAttribute", vpc_id, e))?;
    let value = match name {
        VpcAttributeName::EnableDnsHostnames => output.enable_dns_hostnames(),
        _ => output.enable_dns_support(),
    };
    Ok(value.and_then(AttributeBooleanValue::value).unwrap_or(false))
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::Vpc);
    let output = context
        .clients
        .ec2
        .create_vpc()
        .cidr_block(text(props, "cidr_block"))
        .tag_specifications(ec2_tags::specification(ResourceType::Vpc, props))
        .customize()
        .config_override(super::no_sdk_retries())
        .send()
        .await
        .map_err(|e| from_sdk("CreateVpc", &resource, e))?;
    let vpc_id = output.vpc().and_then(|vpc| vpc.vpc_id()).unwrap_or_default().to_string();
    wait_until(context, Kind::Vpc, "available", || async {
        let output = context.clients.ec2.describe_vpcs().vpc_ids(&vpc_id).send().await;
        match output {
            Ok(output) => Ok(output.vpcs().iter().any(|vpc| vpc.state() == Some(&VpcState::Available))),
            Err(e) => {
                let error = from_sdk("DescribeVpcs", &resource, e);
                if error.is_not_found() {
                    Ok(false)
                } else {
                    Err(error)
                }
            }
        }
    })
    .await?;
    set_dns(context, &vpc_id, props, true, true).await?;
    Ok(Attributes::from([("id".to_string(), vpc_id)]))
}

/// Sets the DNS attributes; AWS takes one attribute per call, support before hostnames.
async fn set_dns(
    context: &StepContext<'_>,
    vpc_id: &str,
    props: &Props,
    support: bool,
    hostnames: bool,
) -> Result<(), AwsError> {
    let resource = context.resource(Kind::Vpc);
    if support {
        let value = AttributeBooleanValue::builder().value(flag(props, "enable_dns_support")).build();
        context
            .clients
            .ec2
            .modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_support(value)
            .send()
            .await
            .map_err(|e| from_sdk("ModifyVpcAttribute", &resource, e))?;
    }
    if hostnames {
        let value = AttributeBooleanValue::builder().value(flag(props, "enable_dns_hostnames")).build();
        context
            .clients
            .ec2
            .modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_hostnames(value)
            .send()
            .await
            .map_err(|e| from_sdk("ModifyVpcAttribute", &resource, e))?;
    }
    Ok(())
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    set_dns(
        context,
        update.physical_id,
        update.props,
        update.changed("enable_dns_support"),
        update.changed("enable_dns_hostnames"),
    )
    .await?;
    ec2_tags::update(context, update).await?;
    Ok(Attributes::from([("id".to_string(), update.physical_id.to_string())]))
}

pub async fn delete(context: &StepContext<'_>, vpc_id: &str) -> Result<(), AwsError> {
    context
        .clients
        .ec2
        .delete_vpc()
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteVpc", &context.resource(Kind::Vpc), e))?;
    Ok(())
}
