//! Driver for Elastic IP addresses (one per NAT gateway).

use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::driver::driver;
use super::{id_attributes, live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::network::ElasticIpProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(ElasticIpDriver, ElasticIpProps);

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_addresses()
        .filters(tags::ec2_stack_filter(&clients.stack))
        .send()
        .await
        .aws("DescribeAddresses", "the stack's elastic ips")?;
    Ok(output
        .addresses()
        .iter()
        .filter_map(|address| {
            let id = tags::ec2_owned_id(&clients.stack, address.tags())?;
            let allocation_id = address.allocation_id()?;
            let props = ElasticIpProps {
                domain: address.domain().map_or("vpc", |d| d.as_str()).to_string(),
                tags: tags::ec2_read(address.tags()),
            };
            let attributes = Attributes::from([
                ("id".to_string(), allocation_id.to_string()),
                ("public_ip".to_string(), address.public_ip().unwrap_or_default().to_string()),
            ]);
            Some(live_resource(Kind::ElasticIp, id, allocation_id, &props, attributes))
        })
        .collect())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: ElasticIpProps = context.decode(props)?;
    let output = context
        .clients
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tags::ec2_specification(ResourceType::ElasticIp, &props.tags))
        .customize()
        .config_override(super::no_sdk_retries())
        .send()
        .await
        .aws("AllocateAddress", &context.resource())?;
    Ok(Attributes::from([
        ("id".to_string(), output.allocation_id().unwrap_or_default().to_string()),
        ("public_ip".to_string(), output.public_ip().unwrap_or_default().to_string()),
    ]))
}

/// Only the tags change in place (`domain` is replaced).
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (ElasticIpProps, ElasticIpProps) = update.decode(context)?;
    tags::replace(context, tags::Style::Ec2, update.physical_id, &desired.tags, &live.tags).await?;
    Ok(id_attributes(update.physical_id))
}

/// What ReleaseAddress answers while the address is still held by a NAT gateway being deleted
/// (AWS keeps it associated until the gateway is `deleted`): wait, do not give up. Only
/// InvalidAllocationID.NotFound means the address is gone.
pub const STILL_HELD: &[&str] = &["AuthFailure", "InvalidIPAddress.InUse", "InvalidNetworkInterfaceID.NotFound"];

pub async fn delete(context: &StepContext<'_>, allocation_id: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    super::retry_while(context, "released", STILL_HELD, || async {
        context
            .clients
            .ec2
            .release_address()
            .allocation_id(allocation_id)
            .send()
            .await
            .map(|_| ())
            .aws("ReleaseAddress", &resource)
    })
    .await
}
