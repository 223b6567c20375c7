//! Driver for the stack's CloudWatch dashboard (`<stack>-<region>`: dashboards are global to the
//! account), its body compared in canonical JSON so key order and whitespace are never a change.
//!
//! PutDashboard "creates a dashboard if it does not already exist, or updates an existing
//! dashboard ... the entire contents are replaced" (API_PutDashboard). The SDK crate wl-infra pins
//! (aws-sdk-cloudwatch 1.99) cannot tag on PutDashboard, so the dashboard is tagged right after
//! with TagResource on its ARN `arn:<partition>:cloudwatch::<account>:dashboard/<name>`.

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::monitoring::DashboardProps;
use crate::graph::{canonical_dashboard_body, AccountFacts, Kind, Props, STACK_TAG};
use crate::plan::LiveResource;

driver!(DashboardDriver, DashboardProps);

fn attributes(name: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), arn.to_string())])
}

/// What one dashboard of the stack's name holds: its ARN, tags and canonical body.
struct Found {
    arn: String,
    tags: Vec<(String, String)>,
    body: String,
}

/// The ARN of the dashboard of this name, if there is one (ListDashboards answers it; PutDashboard
/// does not).
async fn listed_arn(clients: &Clients, name: &str) -> Result<Option<String>, AwsError> {
    let listed = clients.cloudwatch.list_dashboards().dashboard_name_prefix(name).send().await;
    let listed = listed.aws("ListDashboards", name)?;
    let entry = listed.dashboard_entries().iter().find(|entry| entry.dashboard_name() == Some(name));
    Ok(entry.map(|entry| entry.dashboard_arn().unwrap_or_default().to_string()))
}

/// The dashboard of this name, if there is one.
async fn read(clients: &Clients, name: &str) -> Result<Option<Found>, AwsError> {
    let Some(arn) = listed_arn(clients, name).await? else { return Ok(None) };
    let tagged = clients.cloudwatch.list_tags_for_resource().resource_arn(&arn).send().await;
    let Some(tagged) = tagged.aws_or_gone("ListTagsForResource", name)? else { return Ok(None) };
    let tags = tagged
        .tags()
        .iter()
        .map(|tag| (tag.key().unwrap_or_default().to_string(), tag.value().unwrap_or_default().to_string()))
        .collect();
    let got = clients.cloudwatch.get_dashboard().dashboard_name(name).send().await;
    let Some(got) = got.aws_or_gone("GetDashboard", name)? else { return Ok(None) };
    let raw = got.dashboard_body().unwrap_or_default();
    // A body that is not JSON (never what AWS keeps) compares as written, so it shows as a change.
    let body = canonical_dashboard_body(raw).unwrap_or_else(|| raw.to_string());
    Ok(Some(Found { arn, tags, body }))
}

/// The one dashboard the stack may own, read by its name.
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let name = crate::graph::dashboard_name(&clients.stack, &clients.region);
    let Some(found) = read(clients, &name).await? else { return Ok(Vec::new()) };
    let pairs: Vec<(&str, &str)> = found.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some(owner) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(Vec::new()) };
    let props = DashboardProps { name: name.clone(), body: found.body, tags: tags_of(pairs) };
    Ok(vec![live_resource(Kind::Dashboard, owner, &name, &props, attributes(&name, &found.arn))])
}

async fn put(context: &StepContext<'_>, props: &DashboardProps) -> Result<(), AwsError> {
    let output = context
        .clients
        .cloudwatch
        .put_dashboard()
        .dashboard_name(&props.name)
        .dashboard_body(&props.body)
        .send()
        .await
        .aws("PutDashboard", &context.resource())?;
    // Errors come back as DashboardInvalidInputError; what is left are warnings about widgets
    // that may not render, which wl-infra's own widgets never earn.
    let warnings: Vec<String> = output
        .dashboard_validation_messages()
        .iter()
        .map(|message| format!("{}: {}", message.data_path().unwrap_or("/"), message.message().unwrap_or_default()))
        .collect();
    if !warnings.is_empty() {
        return Err(AwsError::refused(
            context.resource(),
            format!("CloudWatch accepted the dashboard with warnings ({}); this is a bug", warnings.join("; ")),
        ));
    }
    Ok(())
}

/// A dashboard of the name tagged for another stack is refused; one without tags (left by a
/// run interrupted between PutDashboard and TagResource) is taken over.
pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: DashboardProps = context.decode(resolved)?;
    if let Some(found) = read(context.clients, &props.name).await? {
        let stack = found.tags.iter().find(|(key, _)| key == STACK_TAG).map(|(_, value)| value.as_str());
        if stack.is_some_and(|stack| stack != context.clients.stack) {
            return Err(AwsError::refused(
                context.resource(),
                format!(
                    "the dashboard {} belongs to stack {}; wl-infra never touches resources it does not own: rename the stack or delete that dashboard",
                    props.name,
                    stack.unwrap_or_default()
                ),
            ));
        }
    }
    put(context, &props).await?;
    let arn = arn_of(context, &props.name).await?;
    tags::replace(context, tags::Style::Cloudwatch, &arn, &props.tags, &Tags::new()).await?;
    Ok(attributes(&props.name, &arn))
}

/// The dashboard's ARN, as ListDashboards answers it (PutDashboard does not).
async fn arn_of(context: &StepContext<'_>, name: &str) -> Result<String, AwsError> {
    let found = listed_arn(context.clients, name).await?;
    found.ok_or_else(|| {
        AwsError::refused(context.resource(), "the dashboard disappeared while wl-infra tagged it; run apply again")
    })
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (DashboardProps, DashboardProps) = update.decode(context)?;
    if update.changed(DashboardProps::NAMES.body) {
        put(context, &desired).await?;
    }
    let arn = arn_of(context, update.physical_id).await?;
    tags::replace(context, tags::Style::Cloudwatch, &arn, &desired.tags, &live.tags).await?;
    Ok(attributes(update.physical_id, &arn))
}

pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    let result = context.clients.cloudwatch.delete_dashboards().dashboard_names(name).send().await;
    result.aws_or_gone("DeleteDashboards", &context.resource())?;
    Ok(())
}
