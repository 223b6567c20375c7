//! Driver for subnets: one public and one private per availability zone.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::driver::driver;
use super::{id_attributes, live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::network::SubnetProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(SubnetDriver, SubnetProps);

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_subnets()
        .filters(tags::ec2_stack_filter(&clients.stack))
        .send()
        .await
        .aws("DescribeSubnets", "the stack's subnets")?;
    Ok(output
        .subnets()
        .iter()
        .filter_map(|subnet| {
            let id = tags::ec2_owned_id(&clients.stack, subnet.tags())?;
            let subnet_id = subnet.subnet_id()?;
            let props = SubnetProps {
                vpc_id: subnet.vpc_id().unwrap_or_default().to_string(),
                cidr_block: subnet.cidr_block().unwrap_or_default().to_string(),
                availability_zone: subnet.availability_zone().unwrap_or_default().to_string(),
                map_public_ip_on_launch: subnet.map_public_ip_on_launch().unwrap_or(false),
                tags: tags::ec2_read(subnet.tags()),
            };
            Some(live_resource(Kind::Subnet, id, subnet_id, &props, id_attributes(subnet_id)))
        })
        .collect())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: SubnetProps = context.decode(props)?;
    let resource = context.resource();
    let output = context
        .clients
        .ec2
        .create_subnet()
        .vpc_id(&props.vpc_id)
        .cidr_block(&props.cidr_block)
        .availability_zone(&props.availability_zone)
        .tag_specifications(tags::ec2_specification(ResourceType::Subnet, &props.tags))
        .send()
        .await
        .aws("CreateSubnet", &resource)?;
    let subnet_id = output.subnet().and_then(|subnet| subnet.subnet_id()).unwrap_or_default().to_string();
    if props.map_public_ip_on_launch {
        set_public_ip(context, &subnet_id, true).await?;
    }
    Ok(id_attributes(&subnet_id))
}

async fn set_public_ip(context: &StepContext<'_>, subnet_id: &str, public: bool) -> Result<(), AwsError> {
    context
        .clients
        .ec2
        .modify_subnet_attribute()
        .subnet_id(subnet_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(public).build())
        .send()
        .await
        .aws("ModifySubnetAttribute", &context.resource())?;
    Ok(())
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (SubnetProps, SubnetProps) = update.decode(context)?;
    if update.changed(SubnetProps::NAMES.map_public_ip_on_launch) {
        set_public_ip(context, update.physical_id, desired.map_public_ip_on_launch).await?;
    }
    tags::replace(context, tags::Style::Ec2, update.physical_id, &desired.tags, &live.tags).await?;
    Ok(id_attributes(update.physical_id))
}

/// Waits until no network interface is left in the subnet (AWS takes minutes to release those of
/// deleted tasks, load balancers, databases and caches), then deletes it, waiting out any
/// DependencyViolation that still comes within the kind's limit.
pub async fn delete(context: &StepContext<'_>, subnet_id: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    super::wait_for_network_interfaces_to_go(context, "subnet-id", subnet_id).await?;
    super::retry_while(context, "deleted", &["DependencyViolation"], || async {
        context.clients.ec2.delete_subnet().subnet_id(subnet_id).send().await.map(|_| ()).aws("DeleteSubnet", &resource)
    })
    .await
}
