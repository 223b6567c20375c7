//! Driver for NAT gateways: created with a client token, waited on until available or deleted.

use aws_sdk_ec2::types::{NatGatewayState, ResourceType};

use super::driver::driver;
use super::{
    client_token, id_attributes, live_resource, tags, wait_until, Attributes, AwsError, Clients, SdkResultExt,
    StepContext, Update,
};
use crate::graph::properties::network::NatGatewayProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::{LiveResource, LiveState};

driver!(NatGatewayDriver, NatGatewayProps, wait_ready = wait_ready);

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_nat_gateways()
        .filter(tags::ec2_stack_filter(&clients.stack))
        .send()
        .await
        .aws("DescribeNatGateways", "the stack's nat gateways")?;
    Ok(output
        .nat_gateways()
        .iter()
        // Deleted (and failed) gateways stay visible for about an hour; they are gone for planning
        // purposes. One still deleting holds its address and subnet, so it is reported.
        .filter(|gateway| {
            matches!(
                gateway.state(),
                Some(NatGatewayState::Pending | NatGatewayState::Available | NatGatewayState::Deleting)
            )
        })
        .filter_map(|gateway| {
            let id = tags::ec2_owned_id(&clients.stack, gateway.tags())?;
            let gateway_id = gateway.nat_gateway_id()?;
            let allocation_id =
                gateway.nat_gateway_addresses().first().and_then(|a| a.allocation_id()).unwrap_or_default();
            let props = NatGatewayProps {
                subnet_id: gateway.subnet_id().unwrap_or_default().to_string(),
                allocation_id: allocation_id.to_string(),
                tags: tags::ec2_read(gateway.tags()),
            };
            let mut live = live_resource(Kind::NatGateway, id, gateway_id, &props, id_attributes(gateway_id));
            live.state = live_state(gateway.state());
            Some(live)
        })
        .collect())
}

/// The state of one NAT gateway, `None` when AWS no longer knows it.
async fn state(context: &StepContext<'_>, gateway_id: &str) -> Result<Option<(NatGatewayState, String)>, AwsError> {
    let output = context.clients.ec2.describe_nat_gateways().nat_gateway_ids(gateway_id).send().await;
    let Some(output) = output.aws_or_gone("DescribeNatGateways", &context.resource())? else { return Ok(None) };
    Ok(output.nat_gateways().first().and_then(|gateway| {
        gateway.state().map(|state| (state.clone(), gateway.failure_message().unwrap_or_default().to_string()))
    }))
}

/// Where a gateway in `state` stands for the plan.
pub fn live_state(state: Option<&NatGatewayState>) -> LiveState {
    match state {
        Some(NatGatewayState::Deleting) => LiveState::Deleting,
        Some(NatGatewayState::Pending) => LiveState::Pending("pending".to_string()),
        _ => LiveState::Ready,
    }
}

/// Whether a NAT gateway in `state` is ready; a failed gateway is a permanent error.
pub fn ready(resource: &str, state: Option<&(NatGatewayState, String)>) -> Result<bool, AwsError> {
    match state {
        Some((NatGatewayState::Available, _)) => Ok(true),
        Some((NatGatewayState::Failed, reason)) => Err(AwsError::refused(
            resource,
            format!("the nat gateway failed: {reason}; it will be deleted and created again by the next apply"),
        )),
        Some((NatGatewayState::Deleting | NatGatewayState::Deleted, _)) => {
            Err(AwsError::refused(resource, "the nat gateway was deleted while it was being created; run apply again"))
        }
        _ => Ok(false),
    }
}

/// Whether a NAT gateway in `state` is gone.
pub fn gone(state: Option<&(NatGatewayState, String)>) -> bool {
    matches!(state, None | Some((NatGatewayState::Deleted | NatGatewayState::Failed, _)))
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    // The token is made from the resolved properties, as they came.
    let token = client_token(super::TokenApi::Ec2, &context.clients.run_id, context.id, props);
    let props: NatGatewayProps = context.decode(props)?;
    let resource = context.resource();
    let output = context
        .clients
        .ec2
        .create_nat_gateway()
        .subnet_id(&props.subnet_id)
        .allocation_id(&props.allocation_id)
        .client_token(token)
        .tag_specifications(tags::ec2_specification(ResourceType::Natgateway, &props.tags))
        .send()
        .await
        .aws("CreateNatGateway", &resource)?;
    let gateway_id = output.nat_gateway().and_then(|g| g.nat_gateway_id()).unwrap_or_default().to_string();
    wait_ready(context, &gateway_id, &id_attributes(&gateway_id)).await
}

/// Waits until the gateway is available (after its create, or for one an earlier run left pending).
pub async fn wait_ready(
    context: &StepContext<'_>,
    gateway_id: &str,
    _known: &Attributes,
) -> Result<Attributes, AwsError> {
    let resource = context.resource();
    wait_until(context, "available", || async {
        let state = state(context, gateway_id).await?;
        ready(&resource, state.as_ref())
    })
    .await?;
    Ok(id_attributes(gateway_id))
}

/// Only the tags change in place (`subnet_id` and `allocation_id` are replaced).
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (NatGatewayProps, NatGatewayProps) = update.decode(context)?;
    tags::replace(context, tags::Style::Ec2, update.physical_id, &desired.tags, &live.tags).await?;
    Ok(id_attributes(update.physical_id))
}

/// Deletes the gateway and waits until it is gone, so its address and subnet can be released.
pub async fn delete(context: &StepContext<'_>, gateway_id: &str, _live: &Props) -> Result<(), AwsError> {
    let deleted = context
        .clients
        .ec2
        .delete_nat_gateway()
        .nat_gateway_id(gateway_id)
        .send()
        .await
        .aws("DeleteNatGateway", &context.resource());
    match deleted {
        // Gone already, or on its way out: the wait below says which.
        Err(error) if !error.is_not_found() => return Err(error),
        _ => {}
    }
    wait_until(context, "deleted", || async { Ok(gone(state(context, gateway_id).await?.as_ref())) }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_is_not_ready_and_failed_is_an_error() {
        assert!(!ready("nat", Some(&(NatGatewayState::Pending, String::new()))).unwrap_or(true));
        assert!(ready("nat", Some(&(NatGatewayState::Available, String::new()))).unwrap_or(false));
        let failed = ready("nat", Some(&(NatGatewayState::Failed, "Elastic IP already in use".into())));
        assert!(failed.is_err_and(|error| error.to_string().contains("Elastic IP already in use")));
    }

    #[test]
    fn discovery_reports_pending_and_deleting_gateways() {
        assert_eq!(live_state(Some(&NatGatewayState::Pending)), LiveState::Pending("pending".into()));
        assert_eq!(live_state(Some(&NatGatewayState::Deleting)), LiveState::Deleting);
        assert_eq!(live_state(Some(&NatGatewayState::Available)), LiveState::Ready);
    }

    #[test]
    fn deleting_is_not_gone() {
        assert!(!gone(Some(&(NatGatewayState::Deleting, String::new()))));
        assert!(gone(Some(&(NatGatewayState::Deleted, String::new()))));
        assert!(gone(None));
    }
}
