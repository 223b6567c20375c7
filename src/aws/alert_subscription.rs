//! Driver for the e-mail subscriptions of the stack's alert topic: one per address in
//! `[alarms] notify`, found through the topic (a subscription has no tags).
//!
//! An e-mail subscription waits for its recipient to confirm it ("If the endpoint type is HTTP/S or
//! email ... the endpoint owner must run the ConfirmSubscription action", API_Subscribe); until
//! then ListSubscriptionsByTopic answers `PendingConfirmation` in place of its ARN, so it can be
//! neither read by ARN nor unsubscribed, and SNS deletes it 48 hours after the confirmation was
//! sent (What's New, 2023-05-10). Subscribe again would send the recipient another e-mail: a
//! converged apply never calls it, and a lost answer is looked for before a retry.

use super::driver::driver;
use super::driver::found_with_owner as discover;
use super::{live_resource, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::monitoring::AlertSubscriptionProps;
use crate::graph::{Kind, Props};
use crate::plan::{LiveResource, LiveState};

/// What ListSubscriptionsByTopic answers in place of the ARN of a subscription not confirmed yet.
pub const PENDING_CONFIRMATION: &str = "PendingConfirmation";

driver!(AlertSubscriptionDriver, AlertSubscriptionProps);

/// The subscriptions of `topic_arn` the stack asks for: its e-mail ones, each under the logical id
/// its address gives. A pending one is `Unconfirmed`, its physical id the address.
pub async fn discover_on(clients: &Clients, topic_arn: &str) -> Result<Vec<LiveResource>, AwsError> {
    let mut found = Vec::new();
    let mut pages = clients.sns.list_subscriptions_by_topic().topic_arn(topic_arn).into_paginator().send();
    while let Some(page) = pages.next().await {
        let Some(page) = page.aws_or_gone("ListSubscriptionsByTopic", topic_arn)? else { break };
        for subscription in page.subscriptions() {
            let protocol = subscription.protocol().unwrap_or_default();
            if protocol != "email" {
                continue;
            }
            let endpoint = subscription.endpoint().unwrap_or_default();
            let arn = subscription.subscription_arn().unwrap_or_default();
            let confirmed = arn.starts_with("arn:");
            let props = AlertSubscriptionProps {
                topic_arn: topic_arn.to_string(),
                protocol: protocol.to_string(),
                endpoint: endpoint.to_string(),
            };
            let physical_id = if confirmed { arn } else { endpoint };
            let mut live = live_resource(
                Kind::AlertSubscription,
                crate::graph::alert_subscription_id(endpoint),
                physical_id,
                &props,
                super::id_attributes(physical_id),
            );
            if !confirmed {
                live.state = LiveState::Unconfirmed(UNCONFIRMED.to_string());
            }
            found.push(live);
        }
    }
    Ok(found)
}

/// How the plan names the state of a subscription whose recipient has not confirmed it.
pub const UNCONFIRMED: &str = "pending confirmation";

/// Subscribes the address; SNS sends it the confirmation e-mail. The answer carries the
/// subscription's ARN even while it is pending (`ReturnSubscriptionArn`).
pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: AlertSubscriptionProps = context.decode(resolved)?;
    let output = context
        .clients
        .sns
        .subscribe()
        .topic_arn(&props.topic_arn)
        .protocol(&props.protocol)
        .endpoint(&props.endpoint)
        .return_subscription_arn(true)
        .send()
        .await
        .aws("Subscribe", &context.resource())?;
    Ok(super::id_attributes(output.subscription_arn().unwrap_or_default()))
}

/// Every field of a subscription is fixed (a change replaces it); nothing to update.
pub async fn update(_context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    Ok(super::id_attributes(update.physical_id))
}

/// Unsubscribes a confirmed subscription. A pending one has no ARN to unsubscribe with; the plan
/// never deletes it (it lapses, or goes with its topic).
pub async fn delete(context: &StepContext<'_>, physical_id: &str, _live: &Props) -> Result<(), AwsError> {
    if !physical_id.starts_with("arn:") {
        return Err(AwsError::refused(
            context.resource(),
            format!("{physical_id} has not confirmed its subscription, which SNS cannot unsubscribe until it is; it lapses 48 hours after its confirmation e-mail"),
        ));
    }
    let result = context.clients.sns.unsubscribe().subscription_arn(physical_id).send().await;
    result.aws_or_gone("Unsubscribe", &context.resource())?;
    Ok(())
}
