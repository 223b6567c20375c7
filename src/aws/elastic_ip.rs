//! Driver for Elastic IP addresses (one per NAT gateway).

use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::{ec2_tags, error::from_sdk, Attributes, AwsError, StepContext};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_addresses()
        .filters(ec2_tags::stack_filter(&clients.stack))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeAddresses", "the stack's elastic ips", e))?;
    Ok(output
        .addresses()
        .iter()
        .filter_map(|address| {
            let id = ec2_tags::owned_id(&clients.stack, address.tags())?;
            let allocation_id = address.allocation_id()?.to_string();
            let mut props = Props::new();
            props.insert("domain".into(), Value::string(address.domain().map_or("vpc", |d| d.as_str())));
            props.insert("tags".into(), ec2_tags::read(address.tags()));
            Some(LiveResource {
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::ElasticIp,
                physical_id: allocation_id.clone(),
                props,
                attributes: Attributes::from([
                    ("id".to_string(), allocation_id),
                    ("public_ip".to_string(), address.public_ip().unwrap_or_default().to_string()),
                ]),
            })
        })
        .collect())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let output = context
        .clients
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(ec2_tags::specification(ResourceType::ElasticIp, props))
        .customize()
        .config_override(super::no_sdk_retries())
        .send()
        .await
        .map_err(|e| from_sdk("AllocateAddress", &context.resource(Kind::ElasticIp), e))?;
    Ok(Attributes::from([
        ("id".to_string(), output.allocation_id().unwrap_or_default().to_string()),
        ("public_ip".to_string(), output.public_ip().unwrap_or_default().to_string()),
    ]))
}

/// What ReleaseAddress answers while the address is still held by a NAT gateway being deleted
/// (AWS keeps it associated until the gateway is `deleted`): wait, do not give up. Only
/// InvalidAllocationID.NotFound means the address is gone.
pub const STILL_HELD: &[&str] = &["AuthFailure", "InvalidIPAddress.InUse", "InvalidNetworkInterfaceID.NotFound"];

pub async fn delete(context: &StepContext<'_>, allocation_id: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::ElasticIp);
    super::retry_while(context, Kind::ElasticIp, "released", STILL_HELD, || async {
        context
            .clients
            .ec2
            .release_address()
            .allocation_id(allocation_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("ReleaseAddress", &resource, e))
    })
    .await
}
