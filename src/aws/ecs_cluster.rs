//! Driver for the stack's ECS cluster (named after the stack, container insights on), and the
//! ECS tag reading the service and task definition drivers share.

use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName, Tag};

use super::driver::driver;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::EcsClusterProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(EcsClusterDriver, EcsClusterProps);

/// `(key, value)` pairs of ECS tags.
pub fn pairs(tags: &[Tag]) -> Vec<(&str, &str)> {
    tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())).collect()
}

fn insights(value: &str) -> ClusterSetting {
    ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value(value).build()
}

fn attributes(name: &str, arn: &str) -> Attributes {
    Attributes::from([
        ("id".to_string(), name.to_string()),
        ("arn".to_string(), arn.to_string()),
        ("name".to_string(), name.to_string()),
    ])
}

/// The ACTIVE cluster of this name, with its tags and settings (a deleted cluster stays visible
/// as INACTIVE for a while, and a new one of its name can be made).
async fn active_cluster(clients: &Clients, name: &str) -> Result<Option<Cluster>, AwsError> {
    let output = clients
        .ecs
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .aws("DescribeClusters", name)?;
    Ok(output.clusters().iter().find(|cluster| cluster.status() == Some("ACTIVE")).cloned())
}

/// The cluster as a live resource of the stack, when it carries the stack's tags.
fn owned_cluster(stack: &str, cluster: &Cluster) -> Option<LiveResource> {
    let tags = pairs(cluster.tags());
    let id = super::owned_id(stack, tags.iter().copied())?;
    let name = cluster.cluster_name().unwrap_or_default();
    let insights = cluster
        .settings()
        .iter()
        .find(|setting| setting.name() == Some(&ClusterSettingName::ContainerInsights))
        .and_then(|setting| setting.value())
        .unwrap_or("disabled");
    let props = EcsClusterProps {
        name: name.to_string(),
        container_insights: insights.to_string(),
        tags: super::props::tags_of(tags),
    };
    let attributes = attributes(name, cluster.cluster_arn().unwrap_or_default());
    Some(live_resource(Kind::EcsCluster, id, name, &props, attributes))
}

/// The cluster has the stack's name, so one DescribeClusters finds it.
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let found = active_cluster(clients, &clients.stack).await?;
    Ok(found.and_then(|cluster| owned_cluster(&clients.stack, &cluster)).into_iter().collect())
}

/// Looks first: "If you create a cluster with the same name as an existing cluster, the existing
/// cluster is returned" with neither the new tags nor the new settings
/// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html — the call
/// is idempotent by name). An ACTIVE cluster of the stack's name is adopted when it is the stack's
/// own (an earlier attempt made it) and refused otherwise: never used, never changed.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let desired: EcsClusterProps = context.decode(props)?;
    if let Some(cluster) = active_cluster(context.clients, &desired.name).await? {
        let own = owned_cluster(&context.clients.stack, &cluster).filter(|live| live.id == context.id);
        return super::lifecycle::adopt_or_refuse(
            context,
            props,
            own,
            "an ACTIVE ECS cluster of that name exists, and CreateCluster would answer with it unchanged",
        )
        .await;
    }
    let output = context
        .clients
        .ecs
        .create_cluster()
        .cluster_name(&desired.name)
        .settings(insights(&desired.container_insights))
        .set_tags(Some(tags::ecs_list(&desired.tags)))
        .send()
        .await
        .aws("CreateCluster", &context.resource())?;
    Ok(attributes(&desired.name, output.cluster().and_then(|c| c.cluster_arn()).unwrap_or_default()))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (EcsClusterProps, EcsClusterProps) = update.decode(context)?;
    let output = context
        .clients
        .ecs
        .update_cluster_settings()
        .cluster(update.physical_id)
        .settings(insights(&desired.container_insights))
        .send()
        .await
        .aws("UpdateClusterSettings", &context.resource())?;
    let arn = output.cluster().and_then(|c| c.cluster_arn()).unwrap_or_default().to_string();
    tags::replace(context, tags::Style::Ecs, &arn, &desired.tags, &live.tags).await?;
    Ok(attributes(update.physical_id, &arn))
}

/// Deletes the cluster, then the log group Container Insights made for it
/// (`/aws/ecs/containerinsights/<cluster>/performance`): AWS creates it and never deletes it.
pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    // Gone already (a repeated destroy, or an attempt whose answer was lost): the log group may
    // still be there.
    context.clients.ecs.delete_cluster().cluster(name).send().await.aws_or_gone("DeleteCluster", &resource)?;
    let call = context.clients.logs.delete_log_group().log_group_name(insights_log_group(name));
    call.send().await.aws_or_gone("DeleteLogGroup", &resource)?;
    Ok(())
}

/// The log group Container Insights writes a cluster's performance events to.
pub fn insights_log_group(cluster: &str) -> String {
    format!("/aws/ecs/containerinsights/{cluster}/performance")
}
