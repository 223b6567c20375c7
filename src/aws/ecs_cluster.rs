//! Driver for the stack's ECS cluster (named after the stack, container insights on), and the
//! ECS tagging helpers the service and task definition drivers share.

use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName, Tag};

use super::{error::from_sdk, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

pub fn ecs_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// `(key, value)` pairs of ECS tags.
pub fn pairs(tags: &[Tag]) -> Vec<(&str, &str)> {
    tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())).collect()
}

/// Makes an ECS resource's tags equal to the desired ones.
pub async fn update_tags(
    context: &StepContext<'_>,
    kind: Kind,
    arn: &str,
    update: &Update<'_>,
) -> Result<(), AwsError> {
    let ecs = &context.clients.ecs;
    let resource = &context.resource(kind);
    super::replace_tags(
        update,
        |stale| async move {
            ecs.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(stale))
                .send()
                .await
                .map_err(|e| from_sdk("UntagResource", resource, e))?;
            Ok(())
        },
        || async move {
            ecs.tag_resource()
                .resource_arn(arn)
                .set_tags(Some(ecs_tags(update.props)))
                .send()
                .await
                .map_err(|e| from_sdk("TagResource", resource, e))?;
            Ok(())
        },
    )
    .await
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

/// The cluster has the stack's name, so one DescribeClusters finds it.
pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ecs
        .describe_clusters()
        .clusters(&clients.stack)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeClusters", "the stack's cluster", e))?;
    let mut live = Vec::new();
    // A deleted cluster stays visible as INACTIVE for a while.
    for cluster in output.clusters().iter().filter(|cluster| cluster.status() == Some("ACTIVE")) {
        let tags = pairs(cluster.tags());
        let Some(id) = super::owned_id(&clients.stack, tags.iter().copied()) else { continue };
        let name = cluster.cluster_name().unwrap_or_default();
        let insights = cluster
            .settings()
            .iter()
            .find(|setting| setting.name() == Some(&ClusterSettingName::ContainerInsights))
            .and_then(|setting| setting.value())
            .unwrap_or("disabled");
        let mut props = Props::new();
        props.insert("name".into(), Value::string(name));
        props.insert("container_insights".into(), Value::string(insights));
        props.insert("tags".into(), super::tags_value(tags));
        live.push(LiveResource {
            state: crate::plan::LiveState::Ready,
            id,
            kind: Kind::EcsCluster,
            physical_id: name.to_string(),
            props,
            attributes: attributes(name, cluster.cluster_arn().unwrap_or_default()),
        });
    }
    Ok(live)
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let name = text(props, "name");
    // CreateCluster of an existing cluster name answers with that cluster: safe to repeat.
    let output = context
        .clients
        .ecs
        .create_cluster()
        .cluster_name(name)
        .settings(insights(text(props, "container_insights")))
        .set_tags(Some(ecs_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateCluster", &context.resource(Kind::EcsCluster), e))?;
    Ok(attributes(name, output.cluster().and_then(|c| c.cluster_arn()).unwrap_or_default()))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let output = context
        .clients
        .ecs
        .update_cluster_settings()
        .cluster(update.physical_id)
        .settings(insights(text(update.props, "container_insights")))
        .send()
        .await
        .map_err(|e| from_sdk("UpdateClusterSettings", &context.resource(Kind::EcsCluster), e))?;
    let arn = output.cluster().and_then(|c| c.cluster_arn()).unwrap_or_default().to_string();
    update_tags(context, Kind::EcsCluster, &arn, update).await?;
    Ok(attributes(update.physical_id, &arn))
}

/// Deletes the cluster, then the log group Container Insights made for it
/// (`/aws/ecs/containerinsights/<cluster>/performance`): AWS creates it and never deletes it.
pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource(Kind::EcsCluster);
    context
        .clients
        .ecs
        .delete_cluster()
        .cluster(name)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteCluster", &resource, e))?;
    let deleted = context
        .clients
        .logs
        .delete_log_group()
        .log_group_name(insights_log_group(name))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("DeleteLogGroup", &resource, e));
    match deleted {
        Err(error) if error.is_not_found() => Ok(()),
        other => other,
    }
}

/// The log group Container Insights writes a cluster's performance events to.
pub fn insights_log_group(cluster: &str) -> String {
    format!("/aws/ecs/containerinsights/{cluster}/performance")
}
