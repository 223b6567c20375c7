//! Driver for NAT gateways: created with a client token, waited on until available or deleted.

use aws_sdk_ec2::types::{NatGatewayState, ResourceType};

use super::{client_token, ec2_tags, error::from_sdk, text, wait_until, Attributes, AwsError, StepContext};
use crate::graph::{Kind, Props, Value};
use crate::plan::{LiveResource, LiveState};

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_nat_gateways()
        .filter(ec2_tags::stack_filter(&clients.stack))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeNatGateways", "the stack's nat gateways", e))?;
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
            let id = ec2_tags::owned_id(&clients.stack, gateway.tags())?;
            let gateway_id = gateway.nat_gateway_id()?.to_string();
            let allocation_id =
                gateway.nat_gateway_addresses().first().and_then(|a| a.allocation_id()).unwrap_or_default();
            let mut props = Props::new();
            props.insert("subnet_id".into(), Value::string(gateway.subnet_id().unwrap_or_default()));
            props.insert("allocation_id".into(), Value::string(allocation_id));
            props.insert("tags".into(), ec2_tags::read(gateway.tags()));
            Some(LiveResource {
                state: live_state(gateway.state()),
                id,
                kind: Kind::NatGateway,
                physical_id: gateway_id.clone(),
                props,
                attributes: Attributes::from([("id".to_string(), gateway_id)]),
            })
        })
        .collect())
}

/// The state of one NAT gateway, `None` when AWS no longer knows it.
async fn state(context: &StepContext<'_>, gateway_id: &str) -> Result<Option<(NatGatewayState, String)>, AwsError> {
    let output = context.clients.ec2.describe_nat_gateways().nat_gateway_ids(gateway_id).send().await;
    match output {
        Ok(output) => Ok(output.nat_gateways().first().and_then(|gateway| {
            gateway.state().map(|state| (state.clone(), gateway.failure_message().unwrap_or_default().to_string()))
        })),
        Err(e) => {
            let error = from_sdk("DescribeNatGateways", &context.resource(Kind::NatGateway), e);
            if error.is_not_found() {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
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
    let resource = context.resource(Kind::NatGateway);
    let output = context
        .clients
        .ec2
        .create_nat_gateway()
        .subnet_id(text(props, "subnet_id"))
        .allocation_id(text(props, "allocation_id"))
        .client_token(client_token(super::TokenApi::Ec2, &context.clients.run_id, context.id, props))
        .tag_specifications(ec2_tags::specification(ResourceType::Natgateway, props))
        .send()
        .await
        .map_err(|e| from_sdk("CreateNatGateway", &resource, e))?;
    let gateway_id = output.nat_gateway().and_then(|g| g.nat_gateway_id()).unwrap_or_default().to_string();
    wait_ready(context, &gateway_id).await
}

/// Waits until the gateway is available (after its create, or for one an earlier run left pending).
pub async fn wait_ready(context: &StepContext<'_>, gateway_id: &str) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::NatGateway);
    wait_until(context, Kind::NatGateway, "available", || async {
        let state = state(context, gateway_id).await?;
        ready(&resource, state.as_ref())
    })
    .await?;
    Ok(Attributes::from([("id".to_string(), gateway_id.to_string())]))
}

/// Deletes the gateway and waits until it is gone, so its address and subnet can be released.
pub async fn delete(context: &StepContext<'_>, gateway_id: &str) -> Result<(), AwsError> {
    let deleted = context
        .clients
        .ec2
        .delete_nat_gateway()
        .nat_gateway_id(gateway_id)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteNatGateway", &context.resource(Kind::NatGateway), e));
    match deleted {
        // Gone already, or on its way out: the wait below says which.
        Err(error) if !error.is_not_found() => return Err(error),
        _ => {}
    }
    wait_until(context, Kind::NatGateway, "deleted", || async { Ok(gone(state(context, gateway_id).await?.as_ref())) })
        .await
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
