//! Driver for subnets: one public and one private per availability zone.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::{ec2_tags, error::from_sdk, flag, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_subnets()
        .filters(ec2_tags::stack_filter(&clients.stack))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeSubnets", "the stack's subnets", e))?;
    Ok(output
        .subnets()
        .iter()
        .filter_map(|subnet| {
            let id = ec2_tags::owned_id(&clients.stack, subnet.tags())?;
            let subnet_id = subnet.subnet_id()?.to_string();
            let mut props = Props::new();
            props.insert("vpc_id".into(), Value::string(subnet.vpc_id().unwrap_or_default()));
            props.insert("cidr_block".into(), Value::string(subnet.cidr_block().unwrap_or_default()));
            props.insert("availability_zone".into(), Value::string(subnet.availability_zone().unwrap_or_default()));
            props.insert(
                "map_public_ip_on_launch".into(),
                Value::Bool(subnet.map_public_ip_on_launch().unwrap_or(false)),
            );
            props.insert("tags".into(), ec2_tags::read(subnet.tags()));
            Some(LiveResource {
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::Subnet,
                physical_id: subnet_id.clone(),
                props,
                attributes: Attributes::from([("id".to_string(), subnet_id)]),
            })
        })
        .collect())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::Subnet);
    let output = context
        .clients
        .ec2
        .create_subnet()
        .vpc_id(text(props, "vpc_id"))
        .cidr_block(text(props, "cidr_block"))
        .availability_zone(text(props, "availability_zone"))
        .tag_specifications(ec2_tags::specification(ResourceType::Subnet, props))
        .send()
        .await
        .map_err(|e| from_sdk("CreateSubnet", &resource, e))?;
    let subnet_id = output.subnet().and_then(|subnet| subnet.subnet_id()).unwrap_or_default().to_string();
    if flag(props, "map_public_ip_on_launch") {
        set_public_ip(context, &subnet_id, true).await?;
    }
    Ok(Attributes::from([("id".to_string(), subnet_id)]))
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
        .map_err(|e| from_sdk("ModifySubnetAttribute", &context.resource(Kind::Subnet), e))?;
    Ok(())
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    if update.changed("map_public_ip_on_launch") {
        set_public_ip(context, update.physical_id, flag(update.props, "map_public_ip_on_launch")).await?;
    }
    ec2_tags::update(context, update).await?;
    Ok(Attributes::from([("id".to_string(), update.physical_id.to_string())]))
}

/// Waits until no network interface is left in the subnet (AWS takes minutes to release those of
/// deleted tasks, load balancers, databases and caches), then deletes it, waiting out any
/// DependencyViolation that still comes within the kind's limit.
pub async fn delete(context: &StepContext<'_>, subnet_id: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::Subnet);
    super::wait_for_network_interfaces_to_go(context, Kind::Subnet, "subnet-id", subnet_id).await?;
    super::retry_while(context, Kind::Subnet, "deleted", &["DependencyViolation"], || async {
        context
            .clients
            .ec2
            .delete_subnet()
            .subnet_id(subnet_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("DeleteSubnet", &resource, e))
    })
    .await
}
